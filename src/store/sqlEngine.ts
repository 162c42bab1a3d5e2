/**
 * What the portable Store and AuditStore SQL (sqlStore.ts, sqlAuditStore.ts) asks of an
 * engine: the runner, the kind of transaction writes take, and the few pieces of SQL and
 * locking that differ. Everything else is written once. SQLite implements it in
 * sqlite/sqliteEngine.ts, PostgreSQL in postgres/pgEngine.ts.
 */
import type { AppendRows } from "./auditAppend.ts";
import type { SqlExecutor, SqlRunner } from "./sqlRunner.ts";

/** A listing paged by a sequence: its rows take their places in insert order. */
export type SequenceListing = "keys" | "grants";

/** Where a row of a sequence-paged listing belongs: listings are per account and Region. */
export interface ListingScope {
  accountId: string;
  region: string;
}

export interface SqlEngine {
  /** Statements outside a transaction, and the identity store's transactions. */
  readonly sql: SqlRunner;
  /**
   * A transaction for the Store's and the audit trail's writes. Their conditions sit in
   * their own statements (`UPDATE ... WHERE revision = ?`, `ON CONFLICT`, `DELETE ...
   * RETURNING`) or rows they lock with `forUpdate`: SQLite's IMMEDIATE (the whole database
   * is locked), PostgreSQL's READ COMMITTED (it re-checks a WHERE on the row a concurrent
   * writer committed).
   */
  writeTransaction<T>(body: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /**
   * Writes an audit append's linked rows in `tx`, after its chains' tails were read under
   * their locks; throws ChainMovedError (rolling the append back) if a tail is not where
   * it was read. SQLite runs the portable statements (auditAppend.ts), PostgreSQL one.
   */
  writeAppend(tx: SqlExecutor, rows: AppendRows): Promise<void>;
  /** Whether writeAppend is one statement, atomic even outside a transaction (PostgreSQL's). */
  readonly appendIsOneStatement: boolean;
  /** Appended to a SELECT whose rows a write transaction must hold until it commits: "" where the transaction locks the whole database. */
  readonly forUpdate: string;
  /** A top-level text field of a JSON document column, as an SQL expression (fixed names only, never input). */
  jsonText(column: string, field: string): string;
  /** The SQL expression of a new grant's seq (its place in the listings). */
  readonly nextGrantSeq: string;
  /** Whether LookupEvents' SQL may name its indexes (SQLite's INDEXED BY). */
  readonly indexHints: boolean;
  /**
   * Called in a transaction that inserts rows into a sequence-paged listing, before its first
   * insert, and `readListing` reads its pages: together they make sure no page hands out a
   * cursor past a place whose row is still to commit (see postgres/pgEngine.ts).
   */
  lockForInsert(tx: SqlExecutor, listing: SequenceListing, rows: readonly ListingScope[]): Promise<void>;
  readListing<T>(listing: SequenceListing, scope: ListingScope, read: (sql: SqlExecutor) => Promise<T>): Promise<T>;
  /** A consistent copy of the whole database as of one moment at `path` (kmsd backup), where the engine can make one. */
  snapshotTo(path: string): Promise<void>;
  close(): Promise<void>;
}
