/**
 * The SqlEngine of PostgreSQL (sqlEngine.ts): what the portable Store and AuditStore SQL
 * needs that differs from SQLite. Writes are READ COMMITTED transactions (their conditions
 * sit in their statements; the audit trail locks its chains' rows with `FOR UPDATE`), JSON
 * fields through `jsonb`, a grant's seq from the sequence `grants_seq`, no index hints, and
 * the advisory locks of sequence-paged listings below.
 */
import type { ListingScope, SequenceListing, SqlEngine } from "../sqlEngine.ts";
import type { SqlExecutor } from "../sqlRunner.ts";
import { writeAppendRows } from "./pgAuditAppend.ts";
import type { PgRunner } from "./pgRunner.ts";

/** Why `kmsd backup` does not copy a PostgreSQL database: the database's own tools do it consistently. */
export const POSTGRES_BACKUP = "kmsd backup copies SQLite data directories; back up a PostgreSQL deployment with pg_dump or pg_basebackup (docs/deployment.md)";

/*
 * Listings paged by a sequence (keys, retirable grants) while several connections insert.
 * A sequence value is taken when a row is inserted, but the row becomes visible when its
 * transaction commits, and commits need not come in the order of the values: a page could
 * hand out a cursor past a value whose row is still to commit, and the next page would then
 * miss that row for good. So an insert takes its values under a shared advisory lock of its
 * listing (account and Region), held to its commit, and a page is read under the exclusive
 * lock: it waits for the inserts in flight, and every value below the ones it reads is then
 * committed (visible) or never will be. Inserters do not wait for each other; a page waits
 * only for inserts already running. (SQLite needs none of this: its single writer commits
 * in the order values are taken.)
 */

/** The advisory lock class (first key of the two-key form, apart from the one-key locks of migrations and leadership) of each listing. */
const LISTING_LOCK: Readonly<Record<SequenceListing, number>> = { keys: 0x6b6b, grants: 0x6b67 };

function scopeName(scope: ListingScope): string {
  return `${scope.accountId}/${scope.region}`;
}

/** The engine on a pool's runner. */
export function pgEngine(runner: PgRunner): SqlEngine {
  return {
    sql: runner,
    writeTransaction: (body) => runner.readCommitted(body),
    writeAppend: writeAppendRows,
    appendIsOneStatement: true,
    forUpdate: " FOR UPDATE",
    jsonText: (column, field) => `(${column}::jsonb)->>'${field}'`,
    // The column's default is the same; named here because the portable INSERT names every column.
    nextGrantSeq: "nextval('grants_seq')",
    indexHints: false,
    async lockForInsert(tx: SqlExecutor, listing: SequenceListing, rows: readonly ListingScope[]) {
      // Sorted, so that two inserters of several scopes take them in one order.
      const scopes = [...new Set(rows.map(scopeName))].sort();
      for (const scope of scopes) await tx.run(`SELECT pg_advisory_xact_lock_shared(${LISTING_LOCK[listing]}, hashtext(?))`, scope);
    },
    readListing: (listing, scope, read) =>
      runner.readCommitted(async (tx) => {
        await tx.run(`SELECT pg_advisory_xact_lock(${LISTING_LOCK[listing]}, hashtext(?))`, scopeName(scope));
        // READ COMMITTED: the page's statement takes its snapshot now, after the lock.
        return read(tx);
      }),
    snapshotTo: () => Promise.reject(new Error(POSTGRES_BACKUP)),
    close: () => runner.close(),
  };
}
