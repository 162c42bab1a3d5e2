/**
 * The SQL runner the shared (portable) SQL of the store runs on: every statement is
 * asynchronous, so the same calls can run on an engine whose driver is (PostgreSQL's),
 * and a transaction hands its body an executor of its own, as a pooled client would be.
 * SQLite implements it in sqlite/connection.ts.
 */

/** A parameter or column value: the types every engine maps both ways. */
export type SqlValue = null | number | bigint | string | Uint8Array;

/** One result row, by column name. */
export type SqlRow = Record<string, SqlValue>;

/** Runs statements. Placeholders are `?` (SQLite's; a PostgreSQL runner rewrites them to $1, $2...). */
export interface SqlExecutor {
  get(sql: string, ...params: SqlValue[]): Promise<SqlRow | undefined>;
  all(sql: string, ...params: SqlValue[]): Promise<SqlRow[]>;
  /** An INSERT, UPDATE or DELETE; `changes` counts the rows it wrote. */
  run(sql: string, ...params: SqlValue[]): Promise<{ changes: number }>;
}

/** A connection (or pool) that runs statements one at a time and transactions whole. */
export interface SqlRunner extends SqlExecutor {
  /**
   * Runs `body` in one transaction that takes the write lock up front, so a check the body
   * makes still holds when it commits. The body's statements go through `tx` (the runner's
   * own methods wait for the transaction to end: calling them inside would never return).
   * Nothing else runs on the same connection until it ends. Commits when the body resolves,
   * rolls back whole when it throws. The body may run again from the start when another
   * process held the lock, so it must read what it decides on through `tx`.
   */
  transaction<T>(body: (tx: SqlExecutor) => Promise<T>): Promise<T>;
}
