/**
 * What kmsd stores about IAM identities: users, groups, roles, managed and inline
 * policies, their access keys and STS role sessions. Secrets are only ever held wrapped
 * by the root key; a session token is kept as its SHA-256 hash.
 */

/** A tag as IAM takes and returns it. */
export interface IamTag {
  Key: string;
  Value: string;
}

/** An IAM user. Names are unique per account regardless of case and path. */
export interface UserRecord {
  accountId: string;
  /** `AIDA…`, the user's unique id (aws:userid). */
  userId: string;
  userName: string;
  /** `/` or `/a/b/`. */
  path: string;
  createdAtMs: number;
  tags: IamTag[];
}

/** An IAM group. */
export interface GroupRecord {
  accountId: string;
  /** `AGPA…` */
  groupId: string;
  groupName: string;
  path: string;
  createdAtMs: number;
}

/** An IAM role with its trust (assume-role) policy. */
export interface RoleRecord {
  accountId: string;
  /** `AROA…` */
  roleId: string;
  roleName: string;
  path: string;
  /** The trust policy as the caller sent it (JSON text, not URL-encoded). */
  assumeRolePolicyDocument: string;
  description: string | undefined;
  /** 3600 unless set; AssumeRole's DurationSeconds may not exceed it. */
  maxSessionDurationSeconds: number;
  createdAtMs: number;
  tags: IamTag[];
}

/** A customer managed policy; its documents live in PolicyVersionRecords. */
export interface ManagedPolicyRecord {
  accountId: string;
  /** `ANPA…` */
  policyId: string;
  policyName: string;
  path: string;
  description: string | undefined;
  /** `v1`, `v2`… */
  defaultVersionId: string;
  createdAtMs: number;
  updatedAtMs: number;
  tags: IamTag[];
  /** How many users, groups and roles it is attached to (computed by the store). */
  attachmentCount: number;
}

/** One immutable version of a managed policy. */
export interface PolicyVersionRecord {
  policyId: string;
  versionId: string;
  document: string;
  createdAtMs: number;
}

/** The kinds of identities that carry inline and attached policies. */
export type PolicyOwnerKind = "user" | "group" | "role";

/** Who an access key authenticates as: an account root or an IAM user (by unique id). */
export type IdentityKeyOwner = { kind: "root" } | { kind: "user"; userId: string };

/**
 * An access key as the identity layer sees it. Same table as keys/records.ts's
 * StoredAccessKey, whose owner type knows roots only.
 */
export interface IdentityAccessKey {
  accessKeyId: string;
  accountId: string;
  owner: IdentityKeyOwner;
  wrappedSecret: Buffer;
  status: "Active" | "Inactive";
  createdAtMs: number;
}

/** The temporary credentials of one AssumeRole call. */
export interface SessionRecord {
  /** `ASIA…` */
  accessKeyId: string;
  /** The role's account (the session principal's account). */
  accountId: string;
  /** SHA-256 of the session token; the token itself is never stored. */
  tokenHash: Buffer;
  wrappedSecret: Buffer;
  roleId: string;
  roleName: string;
  rolePath: string;
  sessionName: string;
  /** The inline session policy passed to AssumeRole (JSON text), if any. */
  sessionPolicy: string | undefined;
  /** ARNs of the managed policies passed as session policies (read when the session is used). */
  policyArns: string[];
  /** Session tags (passed to AssumeRole or inherited as transitive); they override the role's tags of the same key. */
  sessionTags: IamTag[];
  /** Keys of the session tags that pass on to a role this session assumes (role chaining). */
  transitiveTagKeys: string[];
  createdAtMs: number;
  expiresAtMs: number;
}

/**
 * The temporary credentials of one GetSessionToken call: they act as the IAM user (or
 * the account root) that asked for them, with the same permissions.
 */
export interface TokenSessionRecord {
  /** `ASIA…` */
  accessKeyId: string;
  accountId: string;
  /** SHA-256 of the session token; the token itself is never stored. */
  tokenHash: Buffer;
  wrappedSecret: Buffer;
  /** The IAM user's unique id; undefined for the account root. */
  userId: string | undefined;
  createdAtMs: number;
  expiresAtMs: number;
}

/** The IAM entities that carry tags. */
export type TaggableKind = "user" | "role" | "policy";

/** The fields of a role that UpdateRole, UpdateRoleDescription and UpdateAssumeRolePolicy change (only those given). */
export interface RoleChanges {
  assumeRolePolicyDocument?: string;
  description?: string;
  maxSessionDurationSeconds?: number;
}

/** A policy that applies to a user or role, as the store gathers it for authorization. */
export interface StoredIdentityPolicy {
  /** How the policy reaches the principal. */
  source: "user-inline" | "user-managed" | "group-inline" | "group-managed" | "role-inline" | "role-managed";
  /** The user, group or role that carries the policy (its unique id). */
  ownerId: string;
  /** Inline: the policy name. Managed: the policy's name. */
  policyName: string;
  /** Managed only: the policy id and default version id. */
  policyId?: string;
  versionId?: string;
  /** Managed only: the policy ARN's path. */
  policyPath?: string;
  document: string;
}
