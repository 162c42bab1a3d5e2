/**
 * LookupEvents' queries on audit.db: one account and region, at most one lookup
 * attribute, a time range, newest first, paged by (eventTime, row id). Every attribute
 * has its own index ending in the event time, so each page is an index range read
 * whatever the history's size (a test checks the query plans).
 *
 * The SQL is portable but for SQLite's `INDEXED BY`, left out for PostgreSQL (no index
 * hints; its planner picks the index): the PostgreSQL audit store builds its pages here too.
 * Row-value comparison `(a, b) < (?, ?)` is portable.
 */
import type { DatabaseSync, SQLInputValue } from "node:sqlite";
import type { LookupPage, LookupQuery, LookupAttributeKey } from "../auditStore.ts";

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
export function lookupSql(query: LookupQuery, indexHints = true): { sql: string; params: SQLInputValue[] } {
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

/** One page of events, newest first, and whether more follow. */
export function lookupEvents(db: DatabaseSync, query: LookupQuery): LookupPage {
  const { sql, params } = lookupSql(query);
  const rows = db.prepare(sql).all(...params) as {
    id: number;
    event_time: number;
    event_id: string;
    event_name: string;
    event_source: string;
    read_only: string;
    username: string | null;
    access_key_id: string | null;
    record: string;
  }[];
  const events = rows.slice(0, query.limit).map((row) => ({
    rowid: row.id,
    timeMs: row.event_time,
    eventId: row.event_id,
    eventName: row.event_name,
    eventSource: row.event_source,
    readOnly: row.read_only,
    username: row.username,
    accessKeyId: row.access_key_id,
    record: row.record,
  }));
  return { events, more: rows.length > query.limit };
}
