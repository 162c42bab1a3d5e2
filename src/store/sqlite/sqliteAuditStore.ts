/**
 * AuditStore on SQLite: `<data-dir>/audit.db`, a database file of its own (WAL,
 * synchronous=FULL) so that audit commits never wait on key-state writes and the other
 * way round. The store is the portable SqlAuditStore on the SQLite engine (sqliteEngine.ts).
 *
 * The audit writer thread opens its own store with `pollLocks`: it then waits for another
 * process's write lock by polling every 0.1 ms (retryWhileLocked), blocking its thread,
 * instead of going through SQLite's busy handler, whose millisecond sleeps made two
 * workers serve barely more than one. Other connections (the main thread's reads and
 * delivery bookkeeping, `kmsd audit`) wait through the busy handler first.
 */
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { SqlAuditStore } from "../sqlAuditStore.ts";
import { migrateAuditDb } from "./auditMigrations.ts";
import { BUSY_TIMEOUT_MS, openSharedDatabase } from "./connection.ts";
import { sqliteEngine } from "./sqliteEngine.ts";

/** The file name of the audit database in a data directory. */
export const AUDIT_DB_FILE = "audit.db";

/** Where the audit database of a data directory lives. */
export function auditDbPath(dataDir: string): string {
  return join(dataDir, AUDIT_DB_FILE);
}

/** How the audit database is opened. */
export interface SqliteAuditStoreOptions {
  /** An existing database, for reading only (`kmsd audit verify`, `public-key`): nothing is created or migrated. */
  readOnly?: boolean;
  /** Wait for other processes' write lock by polling (blocks the thread): for the writer thread only. */
  pollLocks?: boolean;
}

/** Opens (creating and migrating, unless read-only) the audit database at `path`. */
export function openSqliteAuditStore(path: string, options: SqliteAuditStoreOptions = {}): SqlAuditStore {
  if (options.readOnly) return new SqlAuditStore(sqliteEngine(new DatabaseSync(path, { readOnly: true, timeout: BUSY_TIMEOUT_MS })));
  const db = openSharedDatabase(path);
  try {
    migrateAuditDb(db);
    // From here on the writer thread's waits for the lock are retryWhileLocked's, not SQLite's busy handler's.
    if (options.pollLocks) db.exec("PRAGMA busy_timeout = 0");
  } catch (error) {
    db.close();
    throw error;
  }
  return new SqlAuditStore(sqliteEngine(db));
}

