/**
 * The identity part of the Store contract: IAM users, groups, roles, managed and inline
 * policies, user access keys and STS sessions. As for the rest of the Store, every
 * method is asynchronous and each mutating method is one transaction, durable when its
 * promise resolves; checks that must hold at commit (name taken, key limit, dependents
 * before a delete) are made inside that transaction. Names are matched without regard
 * to case, as IAM does.
 */
import type {
  GroupRecord,
  IdentityAccessKey,
  ManagedPolicyRecord,
  PolicyOwnerKind,
  PolicyVersionRecord,
  IamTag,
  RoleChanges,
  RoleRecord,
  SessionRecord,
  StoredIdentityPolicy,
  TaggableKind,
  TokenSessionRecord,
  UserRecord,
} from "../identity/records.ts";
import type { Page } from "./store.ts";

/** How a listing is narrowed and paged. */
export interface ListOptions {
  /** Only entities whose path starts with this (default `/`). */
  pathPrefix?: string;
  limit: number;
  /** The `next` of the previous page. */
  cursor?: string;
}

/** Why a user, group, role or policy cannot be deleted yet (AWS's DeleteConflict). */
export type DeleteBlocker = "accessKeys" | "inlinePolicies" | "attachedPolicies" | "groups" | "members" | "attachments" | "versions";

/** The result of TagUser/TagRole/TagPolicy: done, no such entity, or the tag quota would be exceeded. */
export type TagOutcome = "tagged" | "missing" | "limit";

/** The result of CreatePolicyVersion: the new version, or why there is none. */
export type NewVersionOutcome = { created: PolicyVersionRecord } | { created: undefined; reason: "missing" | "limit" };

/** The result of DeletePolicyVersion. */
export type DeleteVersionOutcome = "deleted" | "missing" | "default";

/** The result of a delete that checks dependents: done, nothing to delete, or what blocks it. */
export type DeleteOutcome = { deleted: true } | { deleted: false; blocker: DeleteBlocker | "missing" };

export interface IdentityStore {
  /** Inserts a user; false if the account has a user of that name. */
  insertUser(user: UserRecord): Promise<boolean>;
  getUser(accountId: string, userName: string): Promise<UserRecord | undefined>;
  getUserById(userId: string): Promise<UserRecord | undefined>;
  listUsers(accountId: string, options: ListOptions): Promise<Page<UserRecord>>;
  /** Deletes a user that has no access keys, policies or group memberships. */
  deleteUser(userId: string): Promise<DeleteOutcome>;

  /** Inserts an access key unless its owner (a user, or the account root) already has `limit` keys; false then. */
  insertAccessKey(key: IdentityAccessKey, limit: number): Promise<boolean>;
  /** An access key (root or user, active or inactive); undefined if it does not exist. */
  getAccessKey(accessKeyId: string): Promise<IdentityAccessKey | undefined>;
  /** Whether the id belonged to an access key that was deleted (such an id never authenticates again). */
  wasAccessKeyDeleted(accessKeyId: string): Promise<boolean>;
  /** The access keys of a user (or, with no user, of the account root), oldest first. */
  listAccessKeys(accountId: string, userId: string | undefined): Promise<IdentityAccessKey[]>;
  /** Sets a key's status; false if there is no such key. */
  setAccessKeyStatus(accessKeyId: string, status: "Active" | "Inactive"): Promise<boolean>;
  /** Deletes a key and remembers its id as deleted; false if there is no such key. */
  deleteAccessKey(accessKeyId: string, nowMs: number): Promise<boolean>;

  insertGroup(group: GroupRecord): Promise<boolean>;
  getGroup(accountId: string, groupName: string): Promise<GroupRecord | undefined>;
  listGroups(accountId: string, options: ListOptions): Promise<Page<GroupRecord>>;
  /** Deletes a group that has no members and no policies. */
  deleteGroup(groupId: string): Promise<DeleteOutcome>;
  /** Adds a user to a group (no-op if it is a member already). */
  addUserToGroup(groupId: string, userId: string): Promise<void>;
  /** Removes a user from a group; false if it was not a member. */
  removeUserFromGroup(groupId: string, userId: string): Promise<boolean>;
  listGroupMembers(groupId: string, options: ListOptions): Promise<Page<UserRecord>>;
  listGroupsForUser(userId: string, options: ListOptions): Promise<Page<GroupRecord>>;

  insertRole(role: RoleRecord): Promise<boolean>;
  getRole(accountId: string, roleName: string): Promise<RoleRecord | undefined>;
  listRoles(accountId: string, options: ListOptions): Promise<Page<RoleRecord>>;
  /**
   * Sets the given fields of a role and no others, in one statement, so a concurrent
   * change to another field (from any process) is kept; false if the role is gone.
   */
  updateRole(roleId: string, changes: RoleChanges): Promise<boolean>;
  /** Deletes a role that has no policies. */
  deleteRole(roleId: string): Promise<DeleteOutcome>;

  /** Creates or replaces an inline policy of a user, group or role. */
  putInlinePolicy(ownerKind: PolicyOwnerKind, ownerId: string, policyName: string, document: string, nowMs: number): Promise<void>;
  /** An inline policy: its name as stored and its document. */
  getInlinePolicy(ownerId: string, policyName: string): Promise<{ policyName: string; document: string } | undefined>;
  /** Names of an owner's inline policies, in order. */
  listInlinePolicies(ownerId: string, options: ListOptions): Promise<Page<string>>;
  /** Deletes an inline policy; false if there was none of that name. */
  deleteInlinePolicy(ownerId: string, policyName: string): Promise<boolean>;

  /** Inserts a managed policy with its first (default) version; false if the name is taken. */
  insertManagedPolicy(policy: ManagedPolicyRecord, firstVersion: PolicyVersionRecord): Promise<boolean>;
  getManagedPolicy(accountId: string, policyName: string): Promise<ManagedPolicyRecord | undefined>;
  getPolicyVersion(policyId: string, versionId: string): Promise<PolicyVersionRecord | undefined>;
  listManagedPolicies(accountId: string, options: ListOptions & { onlyAttached?: boolean }): Promise<Page<ManagedPolicyRecord>>;
  /**
   * Adds a version (numbered after every version the policy ever had), the default if
   * `setAsDefault`, unless the policy has `maxVersions` already.
   */
  insertPolicyVersion(policyId: string, document: string, setAsDefault: boolean, maxVersions: number, nowMs: number): Promise<NewVersionOutcome>;
  /** A policy's versions, newest first. */
  listPolicyVersions(policyId: string): Promise<PolicyVersionRecord[]>;
  /** Deletes a version other than the default. */
  deletePolicyVersion(policyId: string, versionId: string): Promise<DeleteVersionOutcome>;
  /** Makes an existing version the default; false if there is no such version. */
  setDefaultPolicyVersion(policyId: string, versionId: string): Promise<boolean>;
  /** Deletes a policy that is not attached and has no version but its default. */
  deleteManagedPolicy(policyId: string): Promise<DeleteOutcome>;
  /** Attaches a managed policy (no-op if attached already). */
  attachPolicy(ownerKind: PolicyOwnerKind, ownerId: string, policyId: string): Promise<void>;
  /** Detaches a managed policy; false if it was not attached. */
  detachPolicy(ownerId: string, policyId: string): Promise<boolean>;
  /** Managed policies attached to an owner, by name. */
  listAttachedPolicies(ownerId: string, options: ListOptions): Promise<Page<ManagedPolicyRecord>>;

  /**
   * Every identity policy of a user (its own inline and attached ones and those of its
   * groups) or of a role, with the documents (default versions for managed policies).
   */
  identityPolicies(owner: { kind: "user"; userId: string } | { kind: "role"; roleId: string }): Promise<StoredIdentityPolicy[]>;

  /**
   * Merges `tags` into the tags of a user, role or managed policy (a key given again
   * replaces its value, keys compared without regard to case), read and written in one
   * transaction, unless the result would have more than `limit` tags.
   */
  tagEntity(kind: TaggableKind, id: string, tags: readonly IamTag[], limit: number): Promise<TagOutcome>;
  /** Removes the tags of these keys (read and written in one transaction); false if the entity is gone. */
  untagEntity(kind: TaggableKind, id: string, keys: readonly string[]): Promise<boolean>;

  insertSession(session: SessionRecord): Promise<void>;
  getSession(accessKeyId: string): Promise<SessionRecord | undefined>;
  insertTokenSession(session: TokenSessionRecord): Promise<void>;
  getTokenSession(accessKeyId: string): Promise<TokenSessionRecord | undefined>;
  /** Forgets sessions (of both kinds) that expired before `beforeMs`; returns how many. */
  purgeSessions(beforeMs: number): Promise<number>;
}
