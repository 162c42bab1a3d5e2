/**
 * Schema migrations for the SQLite store, applied in order inside one transaction and
 * tracked by PRAGMA user_version. Add a migration; never edit a released one.
 */
import type { DatabaseSync } from "node:sqlite";
import { inTransaction } from "./connection.ts";

const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE accounts (account_id TEXT PRIMARY KEY, created_at INTEGER NOT NULL);
  CREATE TABLE access_keys (
    access_key_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(account_id),
    owner TEXT NOT NULL,
    wrapped_secret BLOB NOT NULL,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE keys (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    key_id TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL,
    region TEXT NOT NULL,
    deletion_due INTEGER,
    record TEXT NOT NULL
  );
  CREATE INDEX keys_by_account ON keys(account_id, region, seq);
  CREATE INDEX keys_by_deletion_due ON keys(deletion_due) WHERE deletion_due IS NOT NULL;
  CREATE TABLE key_materials (
    key_id TEXT NOT NULL,
    key_material_id TEXT NOT NULL,
    wrapped BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (key_id, key_material_id)
  );
  CREATE TABLE aliases (
    account_id TEXT NOT NULL,
    region TEXT NOT NULL,
    alias_name TEXT NOT NULL,
    target_key_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, region, alias_name)
  );
  CREATE INDEX aliases_by_key ON aliases(target_key_id);
  `,
  // The scheduler now also rotates keys and expires imported material: one "next due" column for all.
  `
  ALTER TABLE keys RENAME COLUMN deletion_due TO due_at;
  DROP INDEX keys_by_deletion_due;
  CREATE INDEX keys_by_due ON keys(due_at) WHERE due_at IS NOT NULL;
  `,

  // IAM identities and STS sessions. Names are unique per account without regard to
  // case (name_key is the lower-cased name); user access keys share access_keys.
  `
  ALTER TABLE access_keys ADD COLUMN user_id TEXT;
  CREATE INDEX access_keys_by_user ON access_keys(user_id) WHERE user_id IS NOT NULL;
  CREATE TABLE deleted_access_keys (
    access_key_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    deleted_at INTEGER NOT NULL
  );
  CREATE TABLE iam_users (
    user_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(account_id),
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    path TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    tags TEXT NOT NULL,
    UNIQUE (account_id, name_key)
  );
  CREATE TABLE iam_groups (
    group_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(account_id),
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    path TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (account_id, name_key)
  );
  CREATE TABLE iam_group_members (
    group_id TEXT NOT NULL REFERENCES iam_groups(group_id),
    user_id TEXT NOT NULL REFERENCES iam_users(user_id),
    PRIMARY KEY (group_id, user_id)
  );
  CREATE INDEX iam_group_members_by_user ON iam_group_members(user_id);
  CREATE TABLE iam_roles (
    role_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(account_id),
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    path TEXT NOT NULL,
    trust_policy TEXT NOT NULL,
    description TEXT,
    max_session_duration INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    tags TEXT NOT NULL,
    UNIQUE (account_id, name_key)
  );
  CREATE TABLE iam_inline_policies (
    owner_id TEXT NOT NULL,
    owner_kind TEXT NOT NULL,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    document TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (owner_id, name_key)
  );
  CREATE TABLE iam_managed_policies (
    policy_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(account_id),
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    path TEXT NOT NULL,
    description TEXT,
    default_version TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    tags TEXT NOT NULL,
    UNIQUE (account_id, name_key)
  );
  CREATE TABLE iam_policy_versions (
    policy_id TEXT NOT NULL REFERENCES iam_managed_policies(policy_id),
    version_id TEXT NOT NULL,
    document TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (policy_id, version_id)
  );
  CREATE TABLE iam_policy_attachments (
    owner_id TEXT NOT NULL,
    owner_kind TEXT NOT NULL,
    policy_id TEXT NOT NULL REFERENCES iam_managed_policies(policy_id),
    PRIMARY KEY (owner_id, policy_id)
  );
  CREATE INDEX iam_policy_attachments_by_policy ON iam_policy_attachments(policy_id);
  CREATE TABLE sts_sessions (
    access_key_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    token_hash BLOB NOT NULL,
    wrapped_secret BLOB NOT NULL,
    role_id TEXT NOT NULL,
    role_name TEXT NOT NULL,
    role_path TEXT NOT NULL,
    session_name TEXT NOT NULL,
    session_policy TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX sts_sessions_by_expiry ON sts_sessions(expires_at);
  `,
  // KMS grants, deleted with their key.
  `
  CREATE TABLE grants (
    grant_id TEXT PRIMARY KEY,
    key_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    retiring_principal TEXT,
    account_id TEXT NOT NULL,
    region TEXT NOT NULL,
    record TEXT NOT NULL
  );
  CREATE INDEX grants_by_key ON grants(key_id, seq);
  CREATE INDEX grants_by_retiring_principal ON grants(account_id, region, retiring_principal, seq);
  `,
  // A new grant's seq is MAX(seq) + 1: found through this index, not by scanning every grant.
  `
  CREATE INDEX grants_by_seq ON grants(seq);
  `,
  // Each key record carries a revision: a write names the one it read and fails if another
  // process committed first (several workers, later several nodes, write the same rows).
  `
  ALTER TABLE keys ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
  `,
  // IAM policy versions are numbered v1, v2... and a number is never used twice (next_version),
  // role sessions carry session tags and managed session policies, and GetSessionToken's
  // sessions (an IAM user's or an account root's) have a table of their own.
  `
  ALTER TABLE iam_managed_policies ADD COLUMN next_version INTEGER NOT NULL DEFAULT 2;
  ALTER TABLE sts_sessions ADD COLUMN policy_arns TEXT NOT NULL DEFAULT '[]';
  ALTER TABLE sts_sessions ADD COLUMN session_tags TEXT NOT NULL DEFAULT '[]';
  ALTER TABLE sts_sessions ADD COLUMN transitive_tag_keys TEXT NOT NULL DEFAULT '[]';
  CREATE TABLE sts_token_sessions (
    access_key_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    token_hash BLOB NOT NULL,
    wrapped_secret BLOB NOT NULL,
    user_id TEXT,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
  );
  CREATE INDEX sts_token_sessions_by_expiry ON sts_token_sessions(expires_at);
  `,
  // Custom key stores (docs/custom-key-stores.md): the record is JSON, like a key's; the
  // columns are what uniqueness and listings need. proxy_uri is the external key store's
  // endpoint and path, cluster_id a CloudHSM-type store's cluster: each unique per account
  // and Region, as AWS requires.
  `
  CREATE TABLE custom_key_stores (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    custom_key_store_id TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL,
    region TEXT NOT NULL,
    name TEXT NOT NULL,
    proxy_uri TEXT,
    cluster_id TEXT,
    revision INTEGER NOT NULL DEFAULT 0,
    record TEXT NOT NULL,
    UNIQUE (account_id, region, name)
  );
  CREATE UNIQUE INDEX custom_key_stores_by_uri ON custom_key_stores(account_id, region, proxy_uri) WHERE proxy_uri IS NOT NULL;
  CREATE UNIQUE INDEX custom_key_stores_by_cluster ON custom_key_stores(account_id, region, cluster_id) WHERE cluster_id IS NOT NULL;
  `,
];

/** The schema version the migrations bring a database to. */
export const STORE_SCHEMA_VERSION = MIGRATIONS.length;

/** Brings the database schema up to date (or up to `upTo`, for the tests of an upgrade). */
export function migrate(db: DatabaseSync, upTo = STORE_SCHEMA_VERSION): void {
  inTransaction(db, () => {
    const row = db.prepare("PRAGMA user_version").get() as { user_version: number };
    for (let version = row.user_version; version < upTo; version++) {
      db.exec(MIGRATIONS[version] as string);
      db.exec(`PRAGMA user_version = ${version + 1}`);
    }
  });
}
