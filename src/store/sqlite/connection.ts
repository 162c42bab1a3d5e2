/**
 * Opening a SQLite database file that other processes share: workers, the scheduler and
 * `kmsd account create` or `kmsd audit` use the same files at once.
 */
import { DatabaseSync } from "node:sqlite";

/**
 * How long a connection waits for another process's lock before failing with "database is
 * locked". Transactions are short, so a wait this long means something is stuck, not busy.
 */
export const BUSY_TIMEOUT_MS = 10_000;

/** How often the switch to WAL is tried again while another connection is in the way. */
const WAL_SWITCH_RETRY_MS = 5;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * Opens `path` read-write in WAL mode with `synchronous=FULL` (a commit is on disk when it
 * returns) and the busy timeout set before anything else runs. Switching a new file to WAL
 * needs it to itself, and SQLite answers "database is locked" at once, without its busy
 * handler, when two connections try together (each holds the shared lock the other's switch
 * waits for): so that one step is tried again here, within the same timeout.
 */
export function openSharedDatabase(path: string): DatabaseSync {
  const db = new DatabaseSync(path, { timeout: BUSY_TIMEOUT_MS });
  try {
    const deadline = performance.now() + BUSY_TIMEOUT_MS;
    for (;;) {
      try {
        db.exec("PRAGMA journal_mode = WAL");
        break;
      } catch (error) {
        if (!isBusy(error) || performance.now() > deadline) throw error;
        Atomics.wait(sleeper, 0, 0, WAL_SWITCH_RETRY_MS);
      }
    }
    db.exec("PRAGMA synchronous = FULL");
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/**
 * Runs `body` in one IMMEDIATE transaction (the write lock taken up front, so no upgrade
 * deadlock). On failure it rolls back only if the transaction is still open (SQLite may
 * have rolled it back already), so that a ROLLBACK error never hides the real one.
 */
export function inTransaction<T>(db: DatabaseSync, body: () => T): T {
  db.exec("BEGIN IMMEDIATE");
  try {
    const result = body();
    db.exec("COMMIT");
    return result;
  } catch (error) {
    if (db.isTransaction) db.exec("ROLLBACK");
    throw error;
  }
}

/** How often a connection that found the database locked tries again. */
const LOCK_POLL_MS = 0.1;

/**
 * Runs `attempt`, trying again every LOCK_POLL_MS while another process holds the lock it
 * needs, for up to BUSY_TIMEOUT_MS. For connections whose busy timeout is 0: SQLite's own
 * busy handler sleeps 1, 2, 5, 10, 15... ms between tries, while a rival commit holds the
 * lock for about half a millisecond, so a waiter would sleep through many of them. Blocks
 * the calling thread while it waits, for the time the rival actually holds the lock.
 * `attempt` must undo itself when it fails (a transaction rolls back), so that it can run again.
 */
export function retryWhileLocked<T>(attempt: () => T): T {
  const deadline = performance.now() + BUSY_TIMEOUT_MS;
  for (;;) {
    try {
      return attempt();
    } catch (error) {
      if (!isBusy(error) || performance.now() > deadline) throw error;
      Atomics.wait(sleeper, 0, 0, LOCK_POLL_MS);
    }
  }
}

/** Whether SQLite refused for a lock another connection holds (SQLITE_BUSY, with any extended code). */
export function isBusy(error: unknown): boolean {
  const code = (error as { errcode?: number } | undefined)?.errcode;
  return code !== undefined && (code & 0xff) === 5;
}
