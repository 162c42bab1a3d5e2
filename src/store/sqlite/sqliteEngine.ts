/**
 * The SqlEngine of SQLite (sqlEngine.ts): what the portable Store and AuditStore SQL needs
 * that differs from PostgreSQL. Writes are IMMEDIATE transactions on the connection
 * (SqliteConnection: the write lock taken up front, another process's lock waited for by
 * polling), so the whole file is held and rows need no `FOR UPDATE`; JSON fields through
 * `json_extract`; a grant's seq is MAX + 1, read under that write lock; LookupEvents names
 * its indexes (`INDEXED BY`). Sequence-paged listings need no locks: the single writer
 * commits in the order places are taken.
 */
import type { DatabaseSync } from "node:sqlite";
import { writeAppendRows } from "../auditAppend.ts";
import type { SqlEngine } from "../sqlEngine.ts";
import { SqliteConnection } from "./connection.ts";

/** The engine on an open, migrated connection (closed with the engine). */
export function sqliteEngine(db: DatabaseSync): SqlEngine {
  const connection = new SqliteConnection(db);
  return {
    sql: connection,
    writeTransaction: (body) => connection.transaction(body),
    writeAppend: writeAppendRows,
    appendIsOneStatement: false,
    forUpdate: "",
    jsonText: (column, field) => `json_extract(${column}, '$.${field}')`,
    // Found through the grants_by_seq index, not by scanning every grant.
    nextGrantSeq: "(SELECT COALESCE(MAX(seq), 0) + 1 FROM grants)",
    indexHints: true,
    lockForInsert: async () => undefined,
    readListing: (_listing, _scope, read) => read(connection),
    // VACUUM INTO reads in one transaction: in WAL mode writers go on, and the copy is of one moment.
    snapshotTo: (path) => connection.turn(() => void db.prepare("VACUUM INTO ?").run(path)),
    close: async () => db.close(),
  };
}
