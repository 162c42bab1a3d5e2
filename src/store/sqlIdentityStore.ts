/**
 * The identity part of the Store (see identityStore.ts), written once in portable SQL on
 * the asynchronous SqlRunner (sqlRunner.ts): SQLite runs it on the SqliteStore's connection
 * (identity writes and key writes take turns on one handle), PostgreSQL on its pool.
 *
 * Kept portable on purpose: `?` placeholders (the PostgreSQL runner numbers them);
 * `INSERT ... ON CONFLICT DO NOTHING` (both engines; `changes` is the row count); path
 * prefixes as `substr(x, 1, length(CAST(? AS TEXT))) = ?` (the cast tells PostgreSQL the
 * parameter's type); `CAST(substr(version_id, 2) AS INTEGER)`; binary columns (BLOB,
 * bytea) read back through Buffer.from (rows.ts's `bytes`). A check that must hold at commit is made inside
 * `transaction`, whose isolation each runner guarantees (SQLite's write lock, PostgreSQL's
 * SERIALIZABLE with retry).
 */
import type {
  GroupRecord,
  IamTag,
  IdentityAccessKey,
  IdentityKeyOwner,
  ManagedPolicyRecord,
  PolicyOwnerKind,
  PolicyVersionRecord,
  RoleChanges,
  RoleRecord,
  SessionRecord,
  StoredIdentityPolicy,
  TaggableKind,
  TokenSessionRecord,
  UserRecord,
} from "../identity/records.ts";
import { overrideTags, removeTags } from "../identity/tags.ts";
import type {
  DeleteBlocker,
  DeleteOutcome,
  DeleteVersionOutcome,
  IdentityStore,
  ListOptions,
  NewVersionOutcome,
  TagOutcome,
} from "./identityStore.ts";
import { bytes, optionalText, pageOf } from "./rows.ts";
import type { SqlExecutor, SqlRow, SqlRunner, SqlValue } from "./sqlRunner.ts";
import type { Page } from "./store.ts";

type Row = SqlRow;

/**
 * Writes an access key's row with `run` (synchronous inside account creation's
 * transaction, asynchronous here): a root's or a user's, whose user_id column lets
 * per-user counts and deletes find it.
 */
export function insertAccessKeyRow<R>(run: (sql: string, ...params: SqlValue[]) => R, key: IdentityAccessKey): R {
  return run(
    "INSERT INTO access_keys(access_key_id, account_id, owner, wrapped_secret, status, created_at, user_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
    key.accessKeyId,
    key.accountId,
    JSON.stringify(key.owner),
    key.wrappedSecret,
    key.status,
    key.createdAtMs,
    key.owner.kind === "user" ? key.owner.userId : null,
  );
}

/** The table and id column of each taggable entity (fixed SQL, never built from input). */
const TAGGED_TABLES: Readonly<Record<TaggableKind, { select: string; update: string }>> = {
  user: { select: "SELECT tags FROM iam_users WHERE user_id = ?", update: "UPDATE iam_users SET tags = ? WHERE user_id = ?" },
  role: { select: "SELECT tags FROM iam_roles WHERE role_id = ?", update: "UPDATE iam_roles SET tags = ? WHERE role_id = ?" },
  policy: {
    select: "SELECT tags FROM iam_managed_policies WHERE policy_id = ?",
    update: "UPDATE iam_managed_policies SET tags = ? WHERE policy_id = ?",
  },
};

/** The column each field of RoleChanges is stored in. */
const ROLE_CHANGE_COLUMNS: Readonly<Record<keyof RoleChanges, string>> = {
  assumeRolePolicyDocument: "trust_policy",
  description: "description",
  maxSessionDurationSeconds: "max_session_duration",
};

const MANAGED_POLICY_COLUMNS =
  "p.*, (SELECT COUNT(*) FROM iam_policy_attachments a WHERE a.policy_id = p.policy_id) AS attachment_count";

/** IdentityStore in portable SQL, on any engine's SqlRunner. */
export class SqlIdentityStore implements IdentityStore {
  readonly #sql: SqlRunner;

  constructor(sql: SqlRunner) {
    this.#sql = sql;
  }

  // ---- users

  async insertUser(user: UserRecord): Promise<boolean> {
    const result = await this.#sql.run(
      "INSERT INTO iam_users(user_id, account_id, name, name_key, path, created_at, tags) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
      user.userId,
      user.accountId,
      user.userName,
      nameKey(user.userName),
      user.path,
      user.createdAtMs,
      JSON.stringify(user.tags),
    );
    return Number(result.changes) > 0;
  }

  async getUser(accountId: string, userName: string): Promise<UserRecord | undefined> {
    const row = await this.#sql.get("SELECT * FROM iam_users WHERE account_id = ? AND name_key = ?", accountId, nameKey(userName));
    return row ? userFromRow(row) : undefined;
  }

  async getUserById(userId: string): Promise<UserRecord | undefined> {
    const row = await this.#sql.get("SELECT * FROM iam_users WHERE user_id = ?", userId);
    return row ? userFromRow(row) : undefined;
  }

  async listUsers(accountId: string, options: ListOptions): Promise<Page<UserRecord>> {
    const { prefix, after, limit } = listParams(options);
    const rows = await this.#sql.all(
      "SELECT * FROM iam_users WHERE account_id = ? AND substr(path, 1, length(CAST(? AS TEXT))) = ? AND name_key > ? ORDER BY name_key LIMIT ?",
      accountId,
      prefix,
      prefix,
      after,
      limit + 1,
    );
    return page(rows, limit, userFromRow);
  }

  async deleteUser(userId: string): Promise<DeleteOutcome> {
    return this.#sql.transaction(async (tx) => {
      if (!(await tx.get("SELECT 1 FROM iam_users WHERE user_id = ?", userId))) return missing();
      const blocker = await this.#firstBlocker(tx, [
        ["accessKeys", "SELECT 1 FROM access_keys WHERE user_id = ? LIMIT 1", userId],
        ["inlinePolicies", "SELECT 1 FROM iam_inline_policies WHERE owner_id = ? LIMIT 1", userId],
        ["attachedPolicies", "SELECT 1 FROM iam_policy_attachments WHERE owner_id = ? LIMIT 1", userId],
        ["groups", "SELECT 1 FROM iam_group_members WHERE user_id = ? LIMIT 1", userId],
      ]);
      if (blocker) return { deleted: false, blocker };
      await tx.run("DELETE FROM iam_users WHERE user_id = ?", userId);
      return { deleted: true };
    });
  }

  // ---- access keys

  async insertAccessKey(key: IdentityAccessKey, limit: number): Promise<boolean> {
    const userId = key.owner.kind === "user" ? key.owner.userId : null;
    return this.#sql.transaction(async (tx) => {
      const count =
        userId === null
          ? (await tx.get("SELECT COUNT(*) AS n FROM access_keys WHERE account_id = ? AND user_id IS NULL", key.accountId))?.n
          : (await tx.get("SELECT COUNT(*) AS n FROM access_keys WHERE user_id = ?", userId))?.n;
      if (Number(count ?? 0) >= limit) return false;
      await insertAccessKeyRow((sql, ...params) => tx.run(sql, ...params), key);
      return true;
    });
  }

  async getAccessKey(accessKeyId: string): Promise<IdentityAccessKey | undefined> {
    const row = await this.#sql.get("SELECT * FROM access_keys WHERE access_key_id = ?", accessKeyId);
    return row ? accessKeyFromRow(row) : undefined;
  }

  async wasAccessKeyDeleted(accessKeyId: string): Promise<boolean> {
    return (await this.#sql.get("SELECT 1 FROM deleted_access_keys WHERE access_key_id = ?", accessKeyId)) !== undefined;
  }

  async listAccessKeys(accountId: string, userId: string | undefined): Promise<IdentityAccessKey[]> {
    const rows =
      userId === undefined
        ? await this.#sql.all("SELECT * FROM access_keys WHERE account_id = ? AND user_id IS NULL ORDER BY created_at, access_key_id", accountId)
        : await this.#sql.all("SELECT * FROM access_keys WHERE user_id = ? ORDER BY created_at, access_key_id", userId);
    return rows.map(accessKeyFromRow);
  }

  async setAccessKeyStatus(accessKeyId: string, status: "Active" | "Inactive"): Promise<boolean> {
    return Number((await this.#sql.run("UPDATE access_keys SET status = ? WHERE access_key_id = ?", status, accessKeyId)).changes) > 0;
  }

  async deleteAccessKey(accessKeyId: string, nowMs: number): Promise<boolean> {
    return this.#sql.transaction(async (tx) => {
      const row = await tx.get("SELECT account_id FROM access_keys WHERE access_key_id = ?", accessKeyId);
      if (!row) return false;
      await tx.run("DELETE FROM access_keys WHERE access_key_id = ?", accessKeyId);
      await tx.run(
        "INSERT INTO deleted_access_keys(access_key_id, account_id, deleted_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
        accessKeyId,
        row.account_id ?? "",
        nowMs,
      );
      return true;
    });
  }

  // ---- groups

  async insertGroup(group: GroupRecord): Promise<boolean> {
    const result = await this.#sql.run(
      "INSERT INTO iam_groups(group_id, account_id, name, name_key, path, created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
      group.groupId,
      group.accountId,
      group.groupName,
      nameKey(group.groupName),
      group.path,
      group.createdAtMs,
    );
    return Number(result.changes) > 0;
  }

  async getGroup(accountId: string, groupName: string): Promise<GroupRecord | undefined> {
    const row = await this.#sql.get("SELECT * FROM iam_groups WHERE account_id = ? AND name_key = ?", accountId, nameKey(groupName));
    return row ? groupFromRow(row) : undefined;
  }

  async listGroups(accountId: string, options: ListOptions): Promise<Page<GroupRecord>> {
    const { prefix, after, limit } = listParams(options);
    const rows = await this.#sql.all(
      "SELECT * FROM iam_groups WHERE account_id = ? AND substr(path, 1, length(CAST(? AS TEXT))) = ? AND name_key > ? ORDER BY name_key LIMIT ?",
      accountId,
      prefix,
      prefix,
      after,
      limit + 1,
    );
    return page(rows, limit, groupFromRow);
  }

  async deleteGroup(groupId: string): Promise<DeleteOutcome> {
    return this.#sql.transaction(async (tx) => {
      if (!(await tx.get("SELECT 1 FROM iam_groups WHERE group_id = ?", groupId))) return missing();
      const blocker = await this.#firstBlocker(tx, [
        ["members", "SELECT 1 FROM iam_group_members WHERE group_id = ? LIMIT 1", groupId],
        ["inlinePolicies", "SELECT 1 FROM iam_inline_policies WHERE owner_id = ? LIMIT 1", groupId],
        ["attachedPolicies", "SELECT 1 FROM iam_policy_attachments WHERE owner_id = ? LIMIT 1", groupId],
      ]);
      if (blocker) return { deleted: false, blocker };
      await tx.run("DELETE FROM iam_groups WHERE group_id = ?", groupId);
      return { deleted: true };
    });
  }

  async addUserToGroup(groupId: string, userId: string): Promise<void> {
    await this.#sql.run("INSERT INTO iam_group_members(group_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING", groupId, userId);
  }

  async removeUserFromGroup(groupId: string, userId: string): Promise<boolean> {
    return Number((await this.#sql.run("DELETE FROM iam_group_members WHERE group_id = ? AND user_id = ?", groupId, userId)).changes) > 0;
  }

  async listGroupMembers(groupId: string, options: ListOptions): Promise<Page<UserRecord>> {
    const { after, limit } = listParams(options);
    const rows = await this.#sql.all(
      "SELECT u.* FROM iam_group_members m JOIN iam_users u ON u.user_id = m.user_id WHERE m.group_id = ? AND u.name_key > ? ORDER BY u.name_key LIMIT ?",
      groupId,
      after,
      limit + 1,
    );
    return page(rows, limit, userFromRow);
  }

  async listGroupsForUser(userId: string, options: ListOptions): Promise<Page<GroupRecord>> {
    const { after, limit } = listParams(options);
    const rows = await this.#sql.all(
      "SELECT g.* FROM iam_group_members m JOIN iam_groups g ON g.group_id = m.group_id WHERE m.user_id = ? AND g.name_key > ? ORDER BY g.name_key LIMIT ?",
      userId,
      after,
      limit + 1,
    );
    return page(rows, limit, groupFromRow);
  }

  // ---- roles

  async insertRole(role: RoleRecord): Promise<boolean> {
    const result = await this.#sql.run(
      `INSERT INTO iam_roles(role_id, account_id, name, name_key, path, trust_policy, description, max_session_duration, created_at, tags)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      role.roleId,
      role.accountId,
      role.roleName,
      nameKey(role.roleName),
      role.path,
      role.assumeRolePolicyDocument,
      role.description ?? null,
      role.maxSessionDurationSeconds,
      role.createdAtMs,
      JSON.stringify(role.tags),
    );
    return Number(result.changes) > 0;
  }

  async getRole(accountId: string, roleName: string): Promise<RoleRecord | undefined> {
    const row = await this.#sql.get("SELECT * FROM iam_roles WHERE account_id = ? AND name_key = ?", accountId, nameKey(roleName));
    return row ? roleFromRow(row) : undefined;
  }

  async listRoles(accountId: string, options: ListOptions): Promise<Page<RoleRecord>> {
    const { prefix, after, limit } = listParams(options);
    const rows = await this.#sql.all(
      "SELECT * FROM iam_roles WHERE account_id = ? AND substr(path, 1, length(CAST(? AS TEXT))) = ? AND name_key > ? ORDER BY name_key LIMIT ?",
      accountId,
      prefix,
      prefix,
      after,
      limit + 1,
    );
    return page(rows, limit, roleFromRow);
  }

  async updateRole(roleId: string, changes: RoleChanges): Promise<boolean> {
    const fields = (Object.keys(ROLE_CHANGE_COLUMNS) as (keyof RoleChanges)[]).filter((field) => changes[field] !== undefined);
    if (fields.length === 0) return (await this.#sql.get("SELECT 1 FROM iam_roles WHERE role_id = ?", roleId)) !== undefined;
    const assignments = fields.map((field) => `${ROLE_CHANGE_COLUMNS[field]} = ?`).join(", ");
    const values = fields.map((field) => changes[field] as string | number);
    return Number((await this.#sql.run(`UPDATE iam_roles SET ${assignments} WHERE role_id = ?`, ...values, roleId)).changes) > 0;
  }

  async deleteRole(roleId: string): Promise<DeleteOutcome> {
    return this.#sql.transaction(async (tx) => {
      if (!(await tx.get("SELECT 1 FROM iam_roles WHERE role_id = ?", roleId))) return missing();
      const blocker = await this.#firstBlocker(tx, [
        ["inlinePolicies", "SELECT 1 FROM iam_inline_policies WHERE owner_id = ? LIMIT 1", roleId],
        ["attachedPolicies", "SELECT 1 FROM iam_policy_attachments WHERE owner_id = ? LIMIT 1", roleId],
      ]);
      if (blocker) return { deleted: false, blocker };
      await tx.run("DELETE FROM iam_roles WHERE role_id = ?", roleId);
      return { deleted: true };
    });
  }

  // ---- inline policies

  async putInlinePolicy(ownerKind: PolicyOwnerKind, ownerId: string, policyName: string, document: string, nowMs: number): Promise<void> {
    await this.#sql.run(
      `INSERT INTO iam_inline_policies(owner_id, owner_kind, name, name_key, document, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(owner_id, name_key) DO UPDATE SET name = excluded.name, document = excluded.document, updated_at = excluded.updated_at`,
      ownerId,
      ownerKind,
      policyName,
      nameKey(policyName),
      document,
      nowMs,
    );
  }

  async getInlinePolicy(ownerId: string, policyName: string): Promise<{ policyName: string; document: string } | undefined> {
    const row = await this.#sql.get("SELECT name, document FROM iam_inline_policies WHERE owner_id = ? AND name_key = ?", ownerId, nameKey(policyName));
    return row ? { policyName: String(row.name), document: String(row.document) } : undefined;
  }

  async listInlinePolicies(ownerId: string, options: ListOptions): Promise<Page<string>> {
    const { after, limit } = listParams(options);
    const rows = await this.#sql.all(
      "SELECT name, name_key FROM iam_inline_policies WHERE owner_id = ? AND name_key > ? ORDER BY name_key LIMIT ?",
      ownerId,
      after,
      limit + 1,
    );
    return page(rows, limit, (row) => String(row.name));
  }

  async deleteInlinePolicy(ownerId: string, policyName: string): Promise<boolean> {
    const result = await this.#sql.run("DELETE FROM iam_inline_policies WHERE owner_id = ? AND name_key = ?", ownerId, nameKey(policyName));
    return Number(result.changes) > 0;
  }

  // ---- managed policies

  async insertManagedPolicy(policy: ManagedPolicyRecord, firstVersion: PolicyVersionRecord): Promise<boolean> {
    return this.#sql.transaction(async (tx) => {
      const result = await tx.run(
        `INSERT INTO iam_managed_policies(policy_id, account_id, name, name_key, path, description, default_version, created_at, updated_at, tags)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
        policy.policyId,
        policy.accountId,
        policy.policyName,
        nameKey(policy.policyName),
        policy.path,
        policy.description ?? null,
        policy.defaultVersionId,
        policy.createdAtMs,
        policy.updatedAtMs,
        JSON.stringify(policy.tags),
      );
      if (Number(result.changes) === 0) return false;
      await tx.run(
        "INSERT INTO iam_policy_versions(policy_id, version_id, document, created_at) VALUES (?, ?, ?, ?)",
        firstVersion.policyId,
        firstVersion.versionId,
        firstVersion.document,
        firstVersion.createdAtMs,
      );
      return true;
    });
  }

  async getManagedPolicy(accountId: string, policyName: string): Promise<ManagedPolicyRecord | undefined> {
    const row = await this.#sql.get(
      `SELECT ${MANAGED_POLICY_COLUMNS} FROM iam_managed_policies p WHERE p.account_id = ? AND p.name_key = ?`,
      accountId,
      nameKey(policyName),
    );
    return row ? managedPolicyFromRow(row) : undefined;
  }

  async getPolicyVersion(policyId: string, versionId: string): Promise<PolicyVersionRecord | undefined> {
    const row = await this.#sql.get("SELECT * FROM iam_policy_versions WHERE policy_id = ? AND version_id = ?", policyId, versionId);
    return row ? policyVersionFromRow(row) : undefined;
  }

  async listManagedPolicies(accountId: string, options: ListOptions & { onlyAttached?: boolean }): Promise<Page<ManagedPolicyRecord>> {
    const { prefix, after, limit } = listParams(options);
    const attached = options.onlyAttached ? "AND EXISTS (SELECT 1 FROM iam_policy_attachments a WHERE a.policy_id = p.policy_id)" : "";
    const rows = await this.#sql.all(
      `SELECT ${MANAGED_POLICY_COLUMNS} FROM iam_managed_policies p
       WHERE p.account_id = ? AND substr(p.path, 1, length(CAST(? AS TEXT))) = ? AND p.name_key > ? ${attached} ORDER BY p.name_key LIMIT ?`,
      accountId,
      prefix,
      prefix,
      after,
      limit + 1,
    );
    return page(rows, limit, managedPolicyFromRow);
  }

  async insertPolicyVersion(policyId: string, document: string, setAsDefault: boolean, maxVersions: number, nowMs: number): Promise<NewVersionOutcome> {
    return this.#sql.transaction(async (tx): Promise<NewVersionOutcome> => {
      const row = await tx.get("SELECT next_version FROM iam_managed_policies WHERE policy_id = ?", policyId);
      if (!row) return { created: undefined, reason: "missing" };
      const count = Number((await tx.get("SELECT COUNT(*) AS n FROM iam_policy_versions WHERE policy_id = ?", policyId))?.n ?? 0);
      if (count >= maxVersions) return { created: undefined, reason: "limit" };
      const versionId = `v${Number(row.next_version)}`;
      await tx.run("INSERT INTO iam_policy_versions(policy_id, version_id, document, created_at) VALUES (?, ?, ?, ?)", policyId, versionId, document, nowMs);
      // UpdateDate is when the newest version was created, as AWS shows it.
      await tx.run(
        `UPDATE iam_managed_policies SET next_version = next_version + 1, updated_at = ?${setAsDefault ? ", default_version = ?" : ""} WHERE policy_id = ?`,
        nowMs,
        ...(setAsDefault ? [versionId] : []),
        policyId,
      );
      return { created: { policyId, versionId, document, createdAtMs: nowMs } };
    });
  }

  async listPolicyVersions(policyId: string): Promise<PolicyVersionRecord[]> {
    // Newest first: version numbers grow (compared as numbers, so v10 follows v9).
    const rows = await this.#sql.all(
      "SELECT * FROM iam_policy_versions WHERE policy_id = ? ORDER BY CAST(substr(version_id, 2) AS INTEGER) DESC",
      policyId,
    );
    return rows.map(policyVersionFromRow);
  }

  async deletePolicyVersion(policyId: string, versionId: string): Promise<DeleteVersionOutcome> {
    return this.#sql.transaction(async (tx): Promise<DeleteVersionOutcome> => {
      const row = await tx.get("SELECT default_version FROM iam_managed_policies WHERE policy_id = ?", policyId);
      if (!row || !(await tx.get("SELECT 1 FROM iam_policy_versions WHERE policy_id = ? AND version_id = ?", policyId, versionId))) return "missing";
      if (row.default_version === versionId) return "default";
      await tx.run("DELETE FROM iam_policy_versions WHERE policy_id = ? AND version_id = ?", policyId, versionId);
      return "deleted";
    });
  }

  async setDefaultPolicyVersion(policyId: string, versionId: string): Promise<boolean> {
    // One statement: the version must exist when the default changes, whatever another process does.
    const result = await this.#sql.run(
      `UPDATE iam_managed_policies SET default_version = ?
       WHERE policy_id = ? AND EXISTS (SELECT 1 FROM iam_policy_versions v WHERE v.policy_id = ? AND v.version_id = ?)`,
      versionId,
      policyId,
      policyId,
      versionId,
    );
    return Number(result.changes) > 0;
  }

  async deleteManagedPolicy(policyId: string): Promise<DeleteOutcome> {
    return this.#sql.transaction(async (tx) => {
      const row = await tx.get("SELECT default_version FROM iam_managed_policies WHERE policy_id = ?", policyId);
      if (!row) return missing();
      const blocker = await this.#firstBlocker(tx, [
        ["attachments", "SELECT 1 FROM iam_policy_attachments WHERE policy_id = ? LIMIT 1", policyId],
        ["versions", "SELECT 1 FROM iam_policy_versions WHERE policy_id = ? AND version_id <> ? LIMIT 1", policyId, row.default_version ?? ""],
      ]);
      if (blocker) return { deleted: false, blocker };
      await tx.run("DELETE FROM iam_policy_versions WHERE policy_id = ?", policyId);
      await tx.run("DELETE FROM iam_managed_policies WHERE policy_id = ?", policyId);
      return { deleted: true };
    });
  }

  async attachPolicy(ownerKind: PolicyOwnerKind, ownerId: string, policyId: string): Promise<void> {
    await this.#sql.run(
      "INSERT INTO iam_policy_attachments(owner_id, owner_kind, policy_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
      ownerId,
      ownerKind,
      policyId,
    );
  }

  async detachPolicy(ownerId: string, policyId: string): Promise<boolean> {
    return Number((await this.#sql.run("DELETE FROM iam_policy_attachments WHERE owner_id = ? AND policy_id = ?", ownerId, policyId)).changes) > 0;
  }

  async listAttachedPolicies(ownerId: string, options: ListOptions): Promise<Page<ManagedPolicyRecord>> {
    const { prefix, after, limit } = listParams(options);
    const rows = await this.#sql.all(
      `SELECT ${MANAGED_POLICY_COLUMNS} FROM iam_policy_attachments x JOIN iam_managed_policies p ON p.policy_id = x.policy_id
       WHERE x.owner_id = ? AND substr(p.path, 1, length(CAST(? AS TEXT))) = ? AND p.name_key > ? ORDER BY p.name_key LIMIT ?`,
      ownerId,
      prefix,
      prefix,
      after,
      limit + 1,
    );
    return page(rows, limit, managedPolicyFromRow);
  }

  // ---- what authorization reads

  async identityPolicies(owner: { kind: "user"; userId: string } | { kind: "role"; roleId: string }): Promise<StoredIdentityPolicy[]> {
    const inline = (source: string, where: string) =>
      `SELECT '${source}' AS source, i.owner_id, i.name, NULL AS policy_id, NULL AS version_id, NULL AS path, i.document ${where}`;
    const managed = (source: string, where: string) =>
      `SELECT '${source}' AS source, a.owner_id, p.name, p.policy_id, p.default_version AS version_id, p.path, v.document ${where}`;
    const managedJoin =
      "JOIN iam_managed_policies p ON p.policy_id = a.policy_id JOIN iam_policy_versions v ON v.policy_id = p.policy_id AND v.version_id = p.default_version";
    let rows: Row[];
    if (owner.kind === "role") {
      rows = await this.#sql.all(
        `${inline("role-inline", "FROM iam_inline_policies i WHERE i.owner_id = ?")}
         UNION ALL ${managed("role-managed", `FROM iam_policy_attachments a ${managedJoin} WHERE a.owner_id = ?`)}`,
        owner.roleId,
        owner.roleId,
      );
    } else {
      rows = await this.#sql.all(
        `${inline("user-inline", "FROM iam_inline_policies i WHERE i.owner_id = ?")}
         UNION ALL ${managed("user-managed", `FROM iam_policy_attachments a ${managedJoin} WHERE a.owner_id = ?`)}
         UNION ALL ${inline("group-inline", "FROM iam_group_members m JOIN iam_inline_policies i ON i.owner_id = m.group_id WHERE m.user_id = ?")}
         UNION ALL ${managed("group-managed", `FROM iam_group_members m JOIN iam_policy_attachments a ON a.owner_id = m.group_id ${managedJoin} WHERE m.user_id = ?`)}`,
        owner.userId,
        owner.userId,
        owner.userId,
        owner.userId,
      );
    }
    return rows.map((row) => ({
      source: String(row.source) as StoredIdentityPolicy["source"],
      ownerId: String(row.owner_id),
      policyName: String(row.name),
      ...(row.policy_id === null ? {} : { policyId: String(row.policy_id), versionId: String(row.version_id), policyPath: String(row.path) }),
      document: String(row.document),
    }));
  }

  // ---- tags

  async tagEntity(kind: TaggableKind, id: string, tags: readonly IamTag[], limit: number): Promise<TagOutcome> {
    const sql = TAGGED_TABLES[kind];
    // Read and write in one transaction: a concurrent tag or untag (any process) is never lost.
    return this.#sql.transaction(async (tx): Promise<TagOutcome> => {
      const row = await tx.get(sql.select, id);
      if (!row) return "missing";
      const merged = overrideTags(tagsFrom(row.tags), tags);
      if (merged.length > limit) return "limit";
      await tx.run(sql.update, JSON.stringify(merged), id);
      return "tagged";
    });
  }

  async untagEntity(kind: TaggableKind, id: string, keys: readonly string[]): Promise<boolean> {
    const sql = TAGGED_TABLES[kind];
    return this.#sql.transaction(async (tx) => {
      const row = await tx.get(sql.select, id);
      if (!row) return false;
      await tx.run(sql.update, JSON.stringify(removeTags(tagsFrom(row.tags), keys)), id);
      return true;
    });
  }

  // ---- sessions

  async insertSession(session: SessionRecord): Promise<void> {
    await this.#sql.run(
      `INSERT INTO sts_sessions(access_key_id, account_id, token_hash, wrapped_secret, role_id, role_name, role_path, session_name, session_policy,
         policy_arns, session_tags, transitive_tag_keys, created_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      session.accessKeyId,
      session.accountId,
      session.tokenHash,
      session.wrappedSecret,
      session.roleId,
      session.roleName,
      session.rolePath,
      session.sessionName,
      session.sessionPolicy ?? null,
      JSON.stringify(session.policyArns),
      JSON.stringify(session.sessionTags),
      JSON.stringify(session.transitiveTagKeys),
      session.createdAtMs,
      session.expiresAtMs,
    );
  }

  async getSession(accessKeyId: string): Promise<SessionRecord | undefined> {
    const row = await this.#sql.get("SELECT * FROM sts_sessions WHERE access_key_id = ?", accessKeyId);
    if (!row) return undefined;
    return {
      accessKeyId: String(row.access_key_id),
      accountId: String(row.account_id),
      tokenHash: bytes(row.token_hash),
      wrappedSecret: bytes(row.wrapped_secret),
      roleId: String(row.role_id),
      roleName: String(row.role_name),
      rolePath: String(row.role_path),
      sessionName: String(row.session_name),
      sessionPolicy: optionalText(row.session_policy),
      policyArns: jsonList<string>(row.policy_arns),
      sessionTags: tagsFrom(row.session_tags),
      transitiveTagKeys: jsonList<string>(row.transitive_tag_keys),
      createdAtMs: Number(row.created_at),
      expiresAtMs: Number(row.expires_at),
    };
  }

  async insertTokenSession(session: TokenSessionRecord): Promise<void> {
    await this.#sql.run(
      `INSERT INTO sts_token_sessions(access_key_id, account_id, token_hash, wrapped_secret, user_id, created_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      session.accessKeyId,
      session.accountId,
      session.tokenHash,
      session.wrappedSecret,
      session.userId ?? null,
      session.createdAtMs,
      session.expiresAtMs,
    );
  }

  async getTokenSession(accessKeyId: string): Promise<TokenSessionRecord | undefined> {
    const row = await this.#sql.get("SELECT * FROM sts_token_sessions WHERE access_key_id = ?", accessKeyId);
    if (!row) return undefined;
    return {
      accessKeyId: String(row.access_key_id),
      accountId: String(row.account_id),
      tokenHash: bytes(row.token_hash),
      wrappedSecret: bytes(row.wrapped_secret),
      userId: optionalText(row.user_id),
      createdAtMs: Number(row.created_at),
      expiresAtMs: Number(row.expires_at),
    };
  }

  async purgeSessions(beforeMs: number): Promise<number> {
    return this.#sql.transaction(
      async (tx) =>
        Number((await tx.run("DELETE FROM sts_sessions WHERE expires_at < ?", beforeMs)).changes) +
        Number((await tx.run("DELETE FROM sts_token_sessions WHERE expires_at < ?", beforeMs)).changes),
    );
  }

  /** The first dependent that exists, checked in order (inside the caller's transaction). */
  async #firstBlocker(tx: SqlExecutor, checks: [DeleteBlocker, string, ...SqlValue[]][]): Promise<DeleteBlocker | undefined> {
    for (const [blocker, sql, ...params] of checks) {
      if (await tx.get(sql, ...params)) return blocker;
    }
    return undefined;
  }
}

// IAM names are ASCII ([\w+=,.@-]), so lower-casing is the whole of case folding.
function nameKey(name: string): string {
  return name.toLowerCase();
}

function missing(): DeleteOutcome {
  return { deleted: false, blocker: "missing" };
}

function listParams(options: ListOptions): { prefix: string; after: string; limit: number } {
  return { prefix: options.pathPrefix ?? "/", after: options.cursor ?? "", limit: options.limit };
}

// Cursors are the name_key of the last row (names sort without regard to case, as in IAM).
function page<T>(rows: Row[], limit: number, map: (row: Row) => T): Page<T> {
  return pageOf(rows, limit, map, "name_key");
}

function tagsFrom(value: SqlValue | undefined): IamTag[] {
  return jsonList<IamTag>(value);
}

function jsonList<T>(value: SqlValue | undefined): T[] {
  return typeof value === "string" ? (JSON.parse(value) as T[]) : [];
}

function policyVersionFromRow(row: Row): PolicyVersionRecord {
  return {
    policyId: String(row.policy_id),
    versionId: String(row.version_id),
    document: String(row.document),
    createdAtMs: Number(row.created_at),
  };
}

function userFromRow(row: Row): UserRecord {
  return {
    accountId: String(row.account_id),
    userId: String(row.user_id),
    userName: String(row.name),
    path: String(row.path),
    createdAtMs: Number(row.created_at),
    tags: tagsFrom(row.tags),
  };
}

function groupFromRow(row: Row): GroupRecord {
  return {
    accountId: String(row.account_id),
    groupId: String(row.group_id),
    groupName: String(row.name),
    path: String(row.path),
    createdAtMs: Number(row.created_at),
  };
}

function roleFromRow(row: Row): RoleRecord {
  return {
    accountId: String(row.account_id),
    roleId: String(row.role_id),
    roleName: String(row.name),
    path: String(row.path),
    assumeRolePolicyDocument: String(row.trust_policy),
    description: optionalText(row.description),
    maxSessionDurationSeconds: Number(row.max_session_duration),
    createdAtMs: Number(row.created_at),
    tags: tagsFrom(row.tags),
  };
}

function managedPolicyFromRow(row: Row): ManagedPolicyRecord {
  return {
    accountId: String(row.account_id),
    policyId: String(row.policy_id),
    policyName: String(row.name),
    path: String(row.path),
    description: optionalText(row.description),
    defaultVersionId: String(row.default_version),
    createdAtMs: Number(row.created_at),
    updatedAtMs: Number(row.updated_at),
    tags: tagsFrom(row.tags),
    attachmentCount: Number(row.attachment_count ?? 0),
  };
}

function accessKeyFromRow(row: Row): IdentityAccessKey {
  const userId = optionalText(row.user_id);
  const owner: IdentityKeyOwner = userId === undefined ? { kind: "root" } : { kind: "user", userId };
  return {
    accessKeyId: String(row.access_key_id),
    accountId: String(row.account_id),
    owner,
    wrappedSecret: bytes(row.wrapped_secret),
    status: row.status === "Inactive" ? "Inactive" : "Active",
    createdAtMs: Number(row.created_at),
  };
}
