/**
 * The embedded Store: the portable SqlStore on one SQLite file through node:sqlite
 * (sqliteEngine.ts), in WAL mode with synchronous=FULL so that a committed transaction
 * survives kill -9 and power loss. Several processes may open the same file (a running
 * server and `kmsd account create`); a writer waits for another's lock instead of failing.
 * The Store and its IdentityStore share the one connection (SqliteConnection), which holds
 * a turn across an asynchronous transaction's awaits.
 */
import type { DatabaseSync } from "node:sqlite";
import { SqlStore } from "../sqlStore.ts";
import { openSharedDatabase } from "./connection.ts";
import { migrate } from "./migrations.ts";
import { sqliteEngine } from "./sqliteEngine.ts";

/** Store on a SQLite database file. */
export class SqliteStore extends SqlStore {
  constructor(path: string) {
    super(sqliteEngine(openStoreDatabase(path)));
  }
}

/** Opens and migrates kmsd.db at `path`. */
function openStoreDatabase(path: string): DatabaseSync {
  const db = openSharedDatabase(path);
  try {
    db.exec("PRAGMA foreign_keys = ON");
    migrate(db);
  } catch (error) {
    db.close();
    throw error;
  }
  // From here on a lock another worker holds is waited for by retryWhileLocked (every
  // 0.1 ms), not by SQLite's busy handler, which sleeps whole milliseconds on the event loop.
  db.exec("PRAGMA busy_timeout = 0");
  return db;
}
