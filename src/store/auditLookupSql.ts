/**
 * LookupEvents' queries on the audit trail: one account and region, at most one lookup
 * attribute, a time range, newest first, paged by (eventTime, row id). Every attribute
 * has its own index ending in the event time, so each page is an index range read
 * whatever the history's size (a test checks the query plans).
 *
 * The SQL is portable but for SQLite's `INDEXED BY`, left out for PostgreSQL (no index
 * hints; its planner picks the index). Row-value comparison `(a, b) < (?, ?)` is portable.
 */
import type { LookupPage, LookupQuery, LookupAttributeKey } from "./auditStore.ts";
import type { SqlValue } from "./sqlRunner.ts";

/** The columns of `events` each attribute is matched against. */
const EVENT_COLUMNS: Readonly<Partial<Record<LookupAttributeKey, string>>> = {
  EventName: "event_name",
  ReadOnly: "read_only",
  Username: "username",
  EventSource: "event_source",
  AccessKeyId: "access_key_id",
};

const SELECT = "SELECT e.id, e.event_time, e.event_id, e.event_name, e.event_source, e.read_only, e.username, e.access_key_id, e.record";
const MAX_ROWID = Number.MAX_SAFE_INTEGER;

/** The SQL and parameters of a page; `indexHints` false for an engine without INDEXED BY. */
export function lookupSql(query: LookupQuery, indexHints = true): { sql: string; params: SqlValue[] } {
  // Resuming after an event is strictly below it; a first page is up to the end time, inclusive.
  const upper = query.after ?? { timeMs: query.endMs, rowid: MAX_ROWID };
  const below = query.after ? "<" : "<=";
  const limit = query.limit + 1;
  const attribute = query.attribute;
  if (attribute?.key === "EventId") {
    return {
      // An event id matches one event: its own index, never a walk of the account's events in time order.
      sql: `${SELECT} FROM events e${indexHints ? " INDEXED BY events_by_event_id" : ""} WHERE e.event_id = ? AND e.account_id = ? AND e.region = ? AND e.event_time >= ? AND (e.event_time, e.id) ${below} (?, ?) ORDER BY e.event_time DESC, e.id DESC LIMIT ?`,
      params: [attribute.value, query.accountId, query.region, query.startMs, upper.timeMs, upper.rowid, limit],
    };
  }
  if (attribute?.key === "ResourceType" || attribute?.key === "ResourceName") {
    const column = attribute.key === "ResourceType" ? "resource_type" : "resource_name";
    const firstOfType = attribute.key === "ResourceType" ? " AND r.first_of_type = 1" : "";
    return {
      sql:
        `${SELECT} FROM event_resources r JOIN events e ON e.id = r.event_rowid ` +
        `WHERE r.account_id = ? AND r.region = ? AND r.${column} = ?${firstOfType} AND r.event_time >= ? AND (r.event_time, r.event_rowid) ${below} (?, ?) ` +
        `ORDER BY r.event_time DESC, r.event_rowid DESC LIMIT ?`,
      params: [query.accountId, query.region, attribute.value, query.startMs, upper.timeMs, upper.rowid, limit],
    };
  }
  const column = attribute ? EVENT_COLUMNS[attribute.key] : undefined;
  const filter = column ? ` AND e.${column} = ?` : "";
  return {
    sql:
      `${SELECT} FROM events e WHERE e.account_id = ? AND e.region = ?${filter} AND e.event_time >= ? AND (e.event_time, e.id) ${below} (?, ?) ` +
      `ORDER BY e.event_time DESC, e.id DESC LIMIT ?`,
    params: [query.accountId, query.region, ...(column && attribute ? [attribute.value] : []), query.startMs, upper.timeMs, upper.rowid, limit],
  };
}

/** A page from the rows its SQL returned (`limit + 1` at most: one more says more follow). */
export function lookupPage(rows: readonly Record<string, unknown>[], limit: number): LookupPage {
  const events = rows.slice(0, limit).map((row) => ({
    rowid: Number(row.id),
    timeMs: Number(row.event_time),
    eventId: String(row.event_id),
    eventName: String(row.event_name),
    eventSource: String(row.event_source),
    readOnly: String(row.read_only),
    username: row.username === null ? null : String(row.username),
    accessKeyId: row.access_key_id === null ? null : String(row.access_key_id),
    record: String(row.record),
  }));
  return { events, more: rows.length > limit };
}
