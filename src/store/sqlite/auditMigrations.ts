/**
 * The schema of the SQLite audit database (`<data-dir>/audit.db`): the chained events with
 * a column (and an index) for every LookupEvents attribute, the chain tails, the registry
 * of delivered log and digest files, each key's last usage, and a few facts (the digest
 * signing key, the date tracking started). Migrations are applied in order and tracked by
 * PRAGMA user_version. Add a migration; never edit a released one.
 *
 * SQLite-specific: `INTEGER PRIMARY KEY` as the row id (PostgreSQL: a sequence), `WITHOUT
 * ROWID`, partial indexes' syntax (portable), PRAGMA user_version (a version table).
 */
import type { DatabaseSync } from "node:sqlite";
import { inTransaction } from "./connection.ts";

const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
  -- One row per event and recipient account. seq numbers the (account, region) chain from 1;
  -- hash = SHA-256(prev_hash, "\\n", record) (canonicalJson.ts). read_only is 'true'/'false' as LookupEvents matches it.
  CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    account_id TEXT NOT NULL,
    region TEXT NOT NULL,
    seq INTEGER NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    event_time INTEGER NOT NULL,
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
  CREATE INDEX events_by_time ON events(account_id, region, event_time);
  CREATE INDEX events_by_event_id ON events(event_id, event_time);
  CREATE INDEX events_by_name ON events(account_id, region, event_name, event_time);
  CREATE INDEX events_by_read_only ON events(account_id, region, read_only, event_time);
  CREATE INDEX events_by_username ON events(account_id, region, username, event_time) WHERE username IS NOT NULL;
  CREATE INDEX events_by_source ON events(account_id, region, event_source, event_time);
  CREATE INDEX events_by_access_key ON events(account_id, region, access_key_id, event_time) WHERE access_key_id IS NOT NULL;
  -- Clustered by event (no rowid): the table is its own by-event index, one B-tree fewer to write.
  CREATE TABLE event_resources (
    event_rowid INTEGER NOT NULL,
    account_id TEXT NOT NULL,
    region TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_name TEXT NOT NULL,
    event_time INTEGER NOT NULL,
    -- 1 on the first resource of its type in an event: a ResourceType lookup finds each event once.
    first_of_type INTEGER NOT NULL,
    PRIMARY KEY (event_rowid, resource_name)
  ) WITHOUT ROWID;
  CREATE INDEX resources_by_type ON event_resources(account_id, region, resource_type, event_time, event_rowid) WHERE first_of_type = 1;
  CREATE INDEX resources_by_name ON event_resources(account_id, region, resource_name, event_time, event_rowid);
  -- The tail of each chain, the first record kept after pruning, and how far log files go.
  CREATE TABLE chains (
    account_id TEXT NOT NULL,
    region TEXT NOT NULL,
    last_seq INTEGER NOT NULL,
    last_hash TEXT NOT NULL,
    first_seq INTEGER NOT NULL DEFAULT 1,
    first_prev_hash TEXT NOT NULL DEFAULT '${"0".repeat(64)}',
    pruned_before INTEGER,
    delivered_seq INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account_id, region)
  );
  -- Every digest file written (and its signature), and every log file it lists.
  CREATE TABLE digests (
    id INTEGER PRIMARY KEY,
    account_id TEXT NOT NULL,
    region TEXT NOT NULL,
    path TEXT NOT NULL UNIQUE,
    start_time INTEGER NOT NULL,
    end_time INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    signature TEXT NOT NULL,
    first_seq INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    last_hash TEXT NOT NULL,
    newest_event_time INTEGER
  );
  CREATE INDEX digests_by_chain ON digests(account_id, region, end_time);
  CREATE TABLE log_files (
    id INTEGER PRIMARY KEY,
    digest_id INTEGER NOT NULL,
    path TEXT NOT NULL UNIQUE,
    sha256 TEXT NOT NULL,
    first_seq INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    previous_hash TEXT NOT NULL,
    last_hash TEXT NOT NULL
  );
  CREATE INDEX log_files_by_digest ON log_files(digest_id);
  -- The last successful cryptographic use of each key (GetKeyLastUsage), written with the audit batch.
  CREATE TABLE key_last_usage (
    key_arn TEXT PRIMARY KEY,
    operation TEXT NOT NULL,
    time_ms INTEGER NOT NULL,
    event_id TEXT NOT NULL,
    request_id TEXT NOT NULL
  );
  `,
];

/** Brings the audit database's schema up to date. */
export function migrateAuditDb(db: DatabaseSync): void {
  inTransaction(db, () => {
    const row = db.prepare("PRAGMA user_version").get() as { user_version: number };
    for (let version = row.user_version; version < MIGRATIONS.length; version++) {
      db.exec(MIGRATIONS[version] as string);
      db.exec(`PRAGMA user_version = ${version + 1}`);
    }
  });
}
