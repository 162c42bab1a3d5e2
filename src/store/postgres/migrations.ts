/**
 * The PostgreSQL schema: the Store's tables (keys, material versions, aliases, grants,
 * accounts, settings, identities) and the audit trail's (events, chains, delivered files,
 * key usage), in one database. Each migration is applied in one transaction, under an
 * advisory lock so that nodes starting together do not apply it twice, and recorded in
 * `kmsd_schema`. Add a migration; never edit a released one.
 *
 * The tables mirror SQLite's (sqlite/migrations.ts, sqlite/auditMigrations.ts) at their
 * latest version, so the portable SQL runs unchanged on both. PostgreSQL-specific: BIGINT
 * for times and counters, BYTEA for binary columns, identity columns and a sequence
 * (grants' `seq`) where SQLite had row ids and MAX(seq) + 1 under its single writer.
 */
import type pg from "pg";

const GENESIS_HASH = "0".repeat(64);

/** Any fixed number: the advisory lock migrations take. */
const MIGRATION_LOCK = 0x6b6d7364; // "kmsd"

const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE accounts (account_id TEXT PRIMARY KEY, created_at BIGINT NOT NULL);
  CREATE TABLE access_keys (
    access_key_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(account_id),
    owner TEXT NOT NULL,
    wrapped_secret BYTEA NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    user_id TEXT
  );
  CREATE INDEX access_keys_by_user ON access_keys(user_id) WHERE user_id IS NOT NULL;
  CREATE INDEX access_keys_by_account ON access_keys(account_id) WHERE user_id IS NULL;
  -- key_id holds the key's handle (the id, Region-qualified for multi-Region keys).
  CREATE TABLE keys (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key_id TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL,
    region TEXT NOT NULL,
    due_at BIGINT,
    revision BIGINT NOT NULL DEFAULT 0,
    record TEXT NOT NULL
  );
  CREATE INDEX keys_by_account ON keys(account_id, region, seq);
  CREATE INDEX keys_by_due ON keys(due_at) WHERE due_at IS NOT NULL;
  CREATE TABLE key_materials (
    key_id TEXT NOT NULL,
    key_material_id TEXT NOT NULL,
    wrapped BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (key_id, key_material_id)
  );
  CREATE TABLE aliases (
    account_id TEXT NOT NULL,
    region TEXT NOT NULL,
    alias_name TEXT NOT NULL,
    target_key_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (account_id, region, alias_name)
  );
  CREATE INDEX aliases_by_key ON aliases(target_key_id);
  -- A grant's place in the listings: a real sequence (no MAX + 1 under a lock).
  CREATE SEQUENCE grants_seq;
  CREATE TABLE grants (
    grant_id TEXT PRIMARY KEY,
    key_id TEXT NOT NULL,
    seq BIGINT NOT NULL DEFAULT nextval('grants_seq'),
    retiring_principal TEXT,
    account_id TEXT NOT NULL,
    region TEXT NOT NULL,
    record TEXT NOT NULL
  );
  CREATE INDEX grants_by_key ON grants(key_id, seq);
  CREATE INDEX grants_by_retiring_principal ON grants(account_id, region, retiring_principal, seq);
  CREATE TABLE deleted_access_keys (
    access_key_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    deleted_at BIGINT NOT NULL
  );
  CREATE TABLE iam_users (
    user_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(account_id),
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    path TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    tags TEXT NOT NULL,
    UNIQUE (account_id, name_key)
  );
  CREATE TABLE iam_groups (
    group_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(account_id),
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    path TEXT NOT NULL,
    created_at BIGINT NOT NULL,
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
    max_session_duration BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    tags TEXT NOT NULL,
    UNIQUE (account_id, name_key)
  );
  CREATE TABLE iam_inline_policies (
    owner_id TEXT NOT NULL,
    owner_kind TEXT NOT NULL,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    document TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
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
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    tags TEXT NOT NULL,
    next_version BIGINT NOT NULL DEFAULT 2,
    UNIQUE (account_id, name_key)
  );
  CREATE TABLE iam_policy_versions (
    policy_id TEXT NOT NULL REFERENCES iam_managed_policies(policy_id),
    version_id TEXT NOT NULL,
    document TEXT NOT NULL,
    created_at BIGINT NOT NULL,
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
    token_hash BYTEA NOT NULL,
    wrapped_secret BYTEA NOT NULL,
    role_id TEXT NOT NULL,
    role_name TEXT NOT NULL,
    role_path TEXT NOT NULL,
    session_name TEXT NOT NULL,
    session_policy TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    policy_arns TEXT NOT NULL DEFAULT '[]',
    session_tags TEXT NOT NULL DEFAULT '[]',
    transitive_tag_keys TEXT NOT NULL DEFAULT '[]'
  );
  CREATE INDEX sts_sessions_by_expiry ON sts_sessions(expires_at);
  CREATE TABLE sts_token_sessions (
    access_key_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    token_hash BYTEA NOT NULL,
    wrapped_secret BYTEA NOT NULL,
    user_id TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
  );
  CREATE INDEX sts_token_sessions_by_expiry ON sts_token_sessions(expires_at);

  -- The audit trail (sqlite/auditMigrations.ts has the columns' meaning).
  CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id TEXT NOT NULL,
    region TEXT NOT NULL,
    seq BIGINT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    event_time BIGINT NOT NULL,
    event_id TEXT NOT NULL,
    event_name TEXT NOT NULL,
    event_source TEXT NOT NULL,
    read_only TEXT NOT NULL,
    username TEXT,
    access_key_id TEXT,
    request_id TEXT NOT NULL,
    record TEXT NOT NULL
  );
  CREATE UNIQUE INDEX events_by_chain ON events(account_id, region, seq);
  CREATE INDEX events_by_time ON events(account_id, region, event_time, id);
  CREATE INDEX events_by_event_id ON events(event_id, event_time);
  CREATE INDEX events_by_name ON events(account_id, region, event_name, event_time);
  CREATE INDEX events_by_read_only ON events(account_id, region, read_only, event_time);
  CREATE INDEX events_by_username ON events(account_id, region, username, event_time) WHERE username IS NOT NULL;
  CREATE INDEX events_by_source ON events(account_id, region, event_source, event_time);
  CREATE INDEX events_by_access_key ON events(account_id, region, access_key_id, event_time) WHERE access_key_id IS NOT NULL;
  CREATE TABLE event_resources (
    event_rowid BIGINT NOT NULL,
    account_id TEXT NOT NULL,
    region TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_name TEXT NOT NULL,
    event_time BIGINT NOT NULL,
    first_of_type INTEGER NOT NULL,
    PRIMARY KEY (event_rowid, resource_name)
  );
  CREATE INDEX resources_by_type ON event_resources(account_id, region, resource_type, event_time, event_rowid) WHERE first_of_type = 1;
  CREATE INDEX resources_by_name ON event_resources(account_id, region, resource_name, event_time, event_rowid);
  CREATE TABLE chains (
    account_id TEXT NOT NULL,
    region TEXT NOT NULL,
    last_seq BIGINT NOT NULL,
    last_hash TEXT NOT NULL,
    first_seq BIGINT NOT NULL DEFAULT 1,
    first_prev_hash TEXT NOT NULL DEFAULT '${GENESIS_HASH}',
    pruned_before BIGINT,
    delivered_seq BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, region)
  );
  CREATE TABLE digests (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id TEXT NOT NULL,
    region TEXT NOT NULL,
    path TEXT NOT NULL UNIQUE,
    start_time BIGINT NOT NULL,
    end_time BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    signature TEXT NOT NULL,
    first_seq BIGINT NOT NULL,
    last_seq BIGINT NOT NULL,
    last_hash TEXT NOT NULL,
    newest_event_time BIGINT
  );
  CREATE INDEX digests_by_chain ON digests(account_id, region, end_time);
  CREATE TABLE log_files (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    digest_id BIGINT NOT NULL,
    path TEXT NOT NULL UNIQUE,
    sha256 TEXT NOT NULL,
    first_seq BIGINT NOT NULL,
    last_seq BIGINT NOT NULL,
    previous_hash TEXT NOT NULL,
    last_hash TEXT NOT NULL
  );
  CREATE INDEX log_files_by_digest ON log_files(digest_id);
  CREATE TABLE key_last_usage (
    key_arn TEXT PRIMARY KEY,
    operation TEXT NOT NULL,
    time_ms BIGINT NOT NULL,
    event_id TEXT NOT NULL,
    request_id TEXT NOT NULL
  );
  `,
  // Custom key stores: as SQLite's migration of the same name says.
  `
  CREATE TABLE custom_key_stores (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    custom_key_store_id TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL,
    region TEXT NOT NULL,
    name TEXT NOT NULL,
    proxy_uri TEXT,
    cluster_id TEXT,
    revision BIGINT NOT NULL DEFAULT 0,
    record TEXT NOT NULL,
    UNIQUE (account_id, region, name)
  );
  CREATE UNIQUE INDEX custom_key_stores_by_uri ON custom_key_stores(account_id, region, proxy_uri) WHERE proxy_uri IS NOT NULL;
  CREATE UNIQUE INDEX custom_key_stores_by_cluster ON custom_key_stores(account_id, region, cluster_id) WHERE cluster_id IS NOT NULL;
  `,
];

/** The schema version the migrations bring a database to. */
export const PG_SCHEMA_VERSION = MIGRATIONS.length;

/** Brings the database's schema up to date, or up to `upTo` for the tests of an upgrade (safe to call from several nodes at once). */
export async function migratePostgres(pool: pg.Pool, upTo = PG_SCHEMA_VERSION): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    try {
      await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
      await client.query("CREATE TABLE IF NOT EXISTS kmsd_schema (version INTEGER NOT NULL)");
      const row = (await client.query<{ version: number }>("SELECT version FROM kmsd_schema")).rows[0];
      if (!row) await client.query("INSERT INTO kmsd_schema(version) VALUES (0)");
      const current = row?.version ?? 0;
      if (current > MIGRATIONS.length) {
        throw new Error(`the database's schema (version ${current}) is newer than this kmsd knows (${MIGRATIONS.length}): upgrade kmsd`);
      }
      for (let version = current; version < upTo; version++) {
        await client.query(MIGRATIONS[version] as string);
        await client.query("UPDATE kmsd_schema SET version = $1", [version + 1]);
      }
      await client.query("COMMIT");
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    }
  } finally {
    client.release();
  }
}
