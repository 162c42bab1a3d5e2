/**
 * Opening a SQLite database file that other processes share: workers, the scheduler and
 * `kmsd account create` or `kmsd audit` use the same files at once; waiting for another
 * process's lock; and SqliteConnection, which runs a connection's statements for the
 * stores as the asynchronous SqlRunner.
 *
 * SQLite-specific, for whoever adds another engine: `PRAGMA journal_mode/synchronous/
 * busy_timeout`, `BEGIN IMMEDIATE` (PostgreSQL: BEGIN, then row or advisory locks), and
 * SQLITE_BUSY as the "another process holds the lock" signal.
 */
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import type { SqlExecutor, SqlRow, SqlRunner, SqlValue } from "../sqlRunner.ts";

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
  const wait = lockWait();
  for (;;) {
    try {
      return attempt();
    } catch (error) {
      wait(error);
    }
  }
}

/** retryWhileLocked for an asynchronous attempt (a transaction whose body awaits); waits the same way. */
export async function retryWhileLockedAsync<T>(attempt: () => Promise<T>): Promise<T> {
  const wait = lockWait();
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      wait(error);
    }
  }
}

/**
 * One wait of retryWhileLocked: rethrows `error` unless it is SQLITE_BUSY within the
 * deadline, else blocks the thread for LOCK_POLL_MS (no timer fires that soon).
 */
function lockWait(): (error: unknown) => void {
  const deadline = performance.now() + BUSY_TIMEOUT_MS;
  return (error) => {
    if (!isBusy(error) || performance.now() > deadline) throw error;
    Atomics.wait(sleeper, 0, 0, LOCK_POLL_MS);
  };
}

/** Whether SQLite refused for a lock another connection holds (SQLITE_BUSY, with any extended code). */
export function isBusy(error: unknown): boolean {
  const code = (error as { errcode?: number } | undefined)?.errcode;
  return code !== undefined && (code & 0xff) === 5;
}

/** The turn of the connections of this thread to one file: `held` settles when the asynchronous transaction holding it ends; undefined when none does. */
interface Turn {
  held: Promise<void> | undefined;
}

/** One turn per database file for this thread's connections (by path). */
const turns = new Map<string, Turn>();

/**
 * One connection's statements for a store (the Store and its IdentityStore share one; an
 * audit store has its own), with one statement cache, as the SqlRunner. An asynchronous
 * transaction keeps the connection across awaits, and SQLite has one transaction per
 * connection: anything run on it meanwhile would join that transaction (or fail to BEGIN
 * its own). So every use of the connection takes its turn (`turn`): at once when no
 * asynchronous transaction holds it, else after it ends, in order of arrival among those
 * that find it held. Connections of one thread to the same file share the turn: another
 * one's BEGIN would otherwise wait for the write lock, blocking the very thread whose
 * transaction holds it.
 */
export class SqliteConnection implements SqlRunner {
  readonly db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  readonly #turn: Turn;
  /** The executor a transaction body gets: statements run at once, inside the transaction. */
  readonly #inTransaction: SqlExecutor = {
    get: async (sql, ...params) => this.#getNow(sql, ...params),
    all: async (sql, ...params) => this.#allNow(sql, ...params),
    run: async (sql, ...params) => this.#runNow(sql, ...params),
  };

  /** Wraps an open connection whose busy timeout is 0 (locks of other processes are waited for by retryWhileLocked). */
  constructor(db: DatabaseSync) {
    this.db = db;
    const path = db.location();
    let turn = path === null ? undefined : turns.get(path);
    if (!turn) {
      turn = { held: undefined };
      if (path !== null) turns.set(path, turn);
    }
    this.#turn = turn;
  }

  /**
   * Runs a synchronous `body` in the connection's turn: at once (in this very call) when no
   * asynchronous transaction holds it. The body must not await: it runs whole, so nothing
   * interleaves with it.
   */
  async turn<T>(body: () => T): Promise<T> {
    // Checked again after every wake-up, in the same synchronous stretch as the body.
    while (this.#turn.held) await this.#turn.held;
    return body();
  }

  get(sql: string, ...params: SqlValue[]): Promise<SqlRow | undefined> {
    return this.turn(() => this.#getNow(sql, ...params));
  }

  all(sql: string, ...params: SqlValue[]): Promise<SqlRow[]> {
    return this.turn(() => this.#allNow(sql, ...params));
  }

  run(sql: string, ...params: SqlValue[]): Promise<{ changes: number }> {
    return this.turn(() => this.#runNow(sql, ...params));
  }

  async transaction<T>(body: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    while (this.#turn.held) await this.#turn.held;
    let release: () => void = () => undefined;
    this.#turn.held = new Promise<void>((resolve) => (release = resolve));
    try {
      return await retryWhileLockedAsync(async () => {
        this.db.exec("BEGIN IMMEDIATE");
        try {
          const result = await body(this.#inTransaction);
          this.db.exec("COMMIT");
          return result;
        } catch (error) {
          if (this.db.isTransaction) this.db.exec("ROLLBACK");
          throw error;
        }
      });
    } finally {
      this.#turn.held = undefined;
      release();
    }
  }

  // Statements run now: only inside the connection's turn or transaction.
  #runNow(sql: string, ...params: SQLInputValue[]): { changes: number } {
    const statement = this.#statement(sql);
    return { changes: Number(retryWhileLocked(() => statement.run(...params)).changes) };
  }

  #getNow(sql: string, ...params: SQLInputValue[]): SqlRow | undefined {
    const statement = this.#statement(sql);
    return retryWhileLocked(() => statement.get(...params) as SqlRow | undefined);
  }

  #allNow(sql: string, ...params: SQLInputValue[]): SqlRow[] {
    const statement = this.#statement(sql);
    return retryWhileLocked(() => statement.all(...params) as SqlRow[]);
  }

  #statement(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }
}
