/**
 * LookupEvents on an open audit.db connection, synchronously: for reading a trail outside
 * the AuditStore (the lookup benchmark, the query-plan test). The SQL is the shared one.
 */
import type { DatabaseSync, SQLInputValue } from "node:sqlite";
import { lookupPage, lookupSql } from "../auditLookupSql.ts";
import type { LookupPage, LookupQuery } from "../auditStore.ts";

/** One page of events, newest first, and whether more follow. */
export function lookupEvents(db: DatabaseSync, query: LookupQuery): LookupPage {
  const { sql, params } = lookupSql(query);
  return lookupPage(db.prepare(sql).all(...(params as SQLInputValue[])), query.limit);
}
