/**
 * PostgreSQL through node-postgres: a pool per process and the SqlRunner the portable SQL
 * runs on. PostgreSQL-specific, and only here: `?` placeholders numbered `$1, $2...`,
 * BIGINT columns read as numbers (every one holds a millisecond time, a count or a
 * sequence value, far below 2^53), transactions on one pooled client, and the retry of a
 * transaction PostgreSQL aborted to keep it serializable (SQLSTATE 40001, 40P01).
 *
 * Two kinds of transaction:
 * - `transaction` (the SqlRunner's): SERIALIZABLE. The identity SQL checks and then writes
 *   (a name taken, a key limit, dependents before a delete); on SQLite the write lock taken
 *   up front makes the check hold at commit, here PostgreSQL aborts one of two transactions
 *   whose checks and writes cross, and the body runs again from a fresh read, as the
 *   contract allows.
 * - `readCommitted`: for the Store's key writes, whose conditions sit in the statements
 *   themselves (`UPDATE ... WHERE revision = ?`, `INSERT ... ON CONFLICT DO NOTHING`,
 *   `DELETE ... RETURNING`): PostgreSQL re-checks such a WHERE on the row a concurrent
 *   writer committed, so a compare-and-set cannot pass on a stale revision.
 */
import pg from "pg";
import { DependencyTimeoutException } from "../../errors.ts";
import type { SqlExecutor, SqlRow, SqlRunner, SqlValue } from "../sqlRunner.ts";

/** How long a request waits for a connection before it fails (PostgreSQL down or every connection busy). */
export const CONNECT_TIMEOUT_MS = 5_000;
/** A statement that runs longer than this is cancelled by the server (a lock held by a stuck client). */
const STATEMENT_TIMEOUT_MS = 10_000;
/** Tries of a transaction PostgreSQL aborted for a serialization failure or a deadlock. */
const MAX_ATTEMPTS = 50;
const INT8_OID = 20;

/** The SQLSTATEs after which a transaction is simply run again. */
const RETRYABLE = new Set(["40001", "40P01"]);

/** Options of a pool. */
export interface PgPoolOptions {
  /** Connections this pool may open (default 10). */
  max?: number;
  /** How long a statement may run before the server cancels it (default STATEMENT_TIMEOUT_MS). */
  statementTimeoutMs?: number;
}

/** Opens a pool on `url` (postgres://user:password@host:port/database). */
export function openPool(url: string, options: PgPoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    statement_timeout: options.statementTimeoutMs ?? STATEMENT_TIMEOUT_MS,
    idleTimeoutMillis: 30_000,
    types: { getTypeParser: typeParser },
  });
  // A client whose connection dies emits 'error'; unheard, node-postgres throws it, which
  // ends the process (or the audit writer's thread). An idle client's error reaches the
  // pool's 'error', and the pool drops it. A checked-out client (between a transaction's
  // statements) has no listener of the pool's: its own, added here, hears it; the statement
  // that follows fails, and the pool drops the client when it comes back not queryable.
  pool.on("error", () => undefined);
  pool.on("connect", (client) => client.on("error", () => undefined));
  return pool;
}

function typeParser(oid: number, format?: "text" | "binary"): (value: string) => unknown {
  if (oid === INT8_OID) return Number;
  return pg.types.getTypeParser(oid, format ?? "text") as (value: string) => unknown;
}

/** Rewrites `?` placeholders as `$1, $2...`, leaving quoted text alone. */
export function numberPlaceholders(sql: string): string {
  let n = 0;
  let quoted = false;
  let out = "";
  for (const char of sql) {
    if (char === "'") quoted = !quoted;
    out += char === "?" && !quoted ? `$${++n}` : char;
  }
  return out;
}

/** Something queries run on: the pool or one client inside a transaction. */
type Queryable = Pick<pg.Pool, "query"> | pg.PoolClient;

const numbered = new Map<string, string>();

/** Runs `sql` (with `?` placeholders) on `on`. */
export async function query(on: Queryable, sql: string, params: readonly SqlValue[]): Promise<pg.QueryResult<SqlRow>> {
  let text = numbered.get(sql);
  if (text === undefined) {
    text = numberPlaceholders(sql);
    numbered.set(sql, text);
  }
  try {
    return await on.query<SqlRow>(text, params.map(toParam));
  } catch (error) {
    throw asTimeout(error);
  }
}

/**
 * A PostgreSQL call that ran out of time (the server cancelled a statement past its
 * timeout, or no connection could be had in time) becomes DependencyTimeoutException, as
 * AWS KMS answers when a dependency does not answer in time; any other error is returned as is.
 */
export function asTimeout(error: unknown): unknown {
  const code = (error as { code?: unknown } | undefined)?.code;
  const message = error instanceof Error ? error.message : "";
  // 57014: query_canceled, which statement_timeout raises; node-postgres words its own connect timeouts.
  if (code === "57014" || /timeout exceeded when trying to connect|connection timeout/i.test(message)) {
    return new DependencyTimeoutException("The request timed out while waiting for the key store's database. Retry the request.");
  }
  return error;
}

function toParam(value: SqlValue): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Uint8Array && !Buffer.isBuffer(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  return value;
}

/** The queryable behind each executor this module made, for the PostgreSQL-only statements of prepared(). */
const queryables = new WeakMap<SqlExecutor, Queryable>();

/** An executor over one queryable. */
export function executor(on: Queryable): SqlExecutor {
  const made: SqlExecutor = {
    get: async (sql, ...params) => (await query(on, sql, params)).rows[0],
    all: async (sql, ...params) => (await query(on, sql, params)).rows,
    run: async (sql, ...params) => ({ changes: (await query(on, sql, params)).rowCount ?? 0 }),
  };
  queryables.set(made, on);
  return made;
}

/**
 * Runs a statement of PostgreSQL's own SQL (`$1` placeholders, array parameters) through an
 * executor of this module, as the named statement `name`: each connection parses and plans
 * it once, then only binds. For fixed texts only (one name, one text, for good).
 */
export async function prepared(tx: SqlExecutor, name: string, text: string, values: readonly unknown[]): Promise<pg.QueryResult<SqlRow>> {
  const on = queryables.get(tx);
  if (on === undefined) throw new Error("prepared() runs on an executor of a PostgreSQL runner");
  try {
    return await on.query<SqlRow>({ name, text, values: [...values] });
  } catch (error) {
    throw asTimeout(error);
  }
}

/** The SqlRunner of a pool, plus the read-committed transactions of the Store. */
export class PgRunner implements SqlRunner {
  readonly pool: pg.Pool;
  readonly #executor: SqlExecutor;

  constructor(pool: pg.Pool) {
    this.pool = pool;
    this.#executor = executor(pool);
    queryables.set(this, pool);
  }

  get(sql: string, ...params: SqlValue[]): Promise<SqlRow | undefined> {
    return this.#executor.get(sql, ...params);
  }

  all(sql: string, ...params: SqlValue[]): Promise<SqlRow[]> {
    return this.#executor.all(sql, ...params);
  }

  run(sql: string, ...params: SqlValue[]): Promise<{ changes: number }> {
    return this.#executor.run(sql, ...params);
  }

  transaction<T>(body: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.#transaction("BEGIN ISOLATION LEVEL SERIALIZABLE", body);
  }

  /** A READ COMMITTED transaction, for writes whose conditions are in their own statements. */
  readCommitted<T>(body: (tx: SqlExecutor, client: pg.PoolClient) => Promise<T>): Promise<T> {
    return this.#transaction("BEGIN", body);
  }

  async #transaction<T>(begin: string, body: (tx: SqlExecutor, client: pg.PoolClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect().catch((error: unknown) => {
        throw asTimeout(error);
      });
      let broken: Error | undefined;
      try {
        await client.query(begin);
        try {
          const result = await body(executor(client), client);
          await client.query("COMMIT");
          return result;
        } catch (error) {
          await client.query("ROLLBACK").catch((rollbackError: unknown) => {
            broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
          });
          throw error;
        }
      } catch (error) {
        if (!isRetryable(error) || attempt >= MAX_ATTEMPTS) throw error;
        // Back off a little, more after each lost round, so that rivals do not meet again at once.
        await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(attempt, 10)));
      } finally {
        // A client whose ROLLBACK failed is in an unknown state: destroyed, not reused.
        client.release(broken);
      }
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** Whether PostgreSQL aborted the transaction only to keep transactions apart (run it again). */
export function isRetryable(error: unknown): boolean {
  return RETRYABLE.has(String((error as { code?: unknown } | undefined)?.code));
}
