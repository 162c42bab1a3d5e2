/**
 * What one audit append writes, once its events are linked onto their chains: the events,
 * their resources, each chain's move to its new tail, and the keys' last usages. The
 * portable statements are here (SQLite runs them: in process they cost no round trip);
 * PostgreSQL writes the same rows in one statement (postgres/pgAuditAppend.ts), since
 * there each statement is a round trip and a parse of its own.
 */
import { chainKey, type ChainTail, type LinkedEvent } from "../audit/chain.ts";
import type { KeyUsage } from "../audit/events.ts";
import { valuesChunks } from "./multiRowInsert.ts";
import type { SqlExecutor, SqlValue } from "./sqlRunner.ts";

/** A chain's tail before an append (read under the chain's lock) and after it. */
export interface ChainMove {
  from: ChainTail;
  to: ChainTail;
}

/** The rows of one append. */
export interface AppendRows {
  linked: readonly LinkedEvent[];
  moves: readonly ChainMove[];
  /** At most one per key (latestUsages). */
  usages: readonly KeyUsage[];
}

/** Raised inside an append's transaction when a chain's tail is not where it was read: the append rolls back. */
export class ChainMovedError extends Error {
  constructor(moves: readonly ChainMove[]) {
    super(`an audit chain among ${moves.map(({ from }) => `${from.accountId}/${from.region} (at seq ${from.seq})`).join(", ")} moved during an append`);
  }
}

/** One row of `event_resources`, before its event's id is known: the event's place in its chain names it. */
export interface ResourceRow {
  accountId: string;
  region: string;
  seq: number;
  type: string;
  name: string;
  timeMs: number;
  /** 1 on the first resource of its type in its event: a ResourceType lookup finds each event once. */
  firstOfType: 0 | 1;
}

export function resourceRows(linked: readonly LinkedEvent[]): ResourceRow[] {
  const rows: ResourceRow[] = [];
  for (const { event, seq } of linked) {
    for (const [index, resource] of event.resources.entries()) {
      const firstOfType = event.resources.findIndex((other) => other.type === resource.type) === index ? 1 : 0;
      rows.push({ accountId: event.accountId, region: event.region, seq, type: resource.type, name: resource.name, timeMs: event.timeMs, firstOfType });
    }
  }
  return rows;
}

/** An event's values in the order of EVENT_COLUMNS. */
export function eventValues({ event, seq, prevHash, hash }: LinkedEvent): SqlValue[] {
  return [
    event.accountId,
    event.region,
    seq,
    prevHash,
    hash,
    event.timeMs,
    event.eventId,
    event.eventName,
    event.eventSource,
    event.readOnly ? "true" : "false",
    event.username,
    event.accessKeyId,
    event.requestId,
    event.record,
  ];
}

export const EVENT_COLUMNS = "account_id, region, seq, prev_hash, hash, event_time, event_id, event_name, event_source, read_only, username, access_key_id, request_id, record";
export const RESOURCE_COLUMNS = "event_rowid, account_id, region, resource_type, resource_name, event_time, first_of_type";
export const USAGE_COLUMNS = "key_arn, operation, time_ms, event_id, request_id";
/** Keeps a key's latest usage: an upsert never moves it back in time. */
export const USAGE_CONFLICT =
  "ON CONFLICT(key_arn) DO UPDATE SET operation = excluded.operation, time_ms = excluded.time_ms, event_id = excluded.event_id, request_id = excluded.request_id " +
  "WHERE excluded.time_ms >= key_last_usage.time_ms";

/**
 * One usage per key: the one a row-by-row upsert would leave, the last of the latest. One
 * statement may not upsert a row twice (PostgreSQL refuses).
 */
export function latestUsages(usages: readonly KeyUsage[]): KeyUsage[] {
  const latest = new Map<string, KeyUsage>();
  for (const usage of usages) {
    const kept = latest.get(usage.keyArn);
    if (!kept || usage.timeMs >= kept.timeMs) latest.set(usage.keyArn, usage);
  }
  return [...latest.values()];
}

/** Writes an append's rows in portable statements: each chain's move (checked), then each table in as few statements as its parameters allow. */
export async function writeAppendRows(tx: SqlExecutor, rows: AppendRows): Promise<void> {
  for (const move of rows.moves) {
    const moved = await tx.run(
      "UPDATE chains SET last_seq = ?, last_hash = ? WHERE account_id = ? AND region = ? AND last_seq = ? AND last_hash = ?",
      move.to.seq,
      move.to.hash,
      move.from.accountId,
      move.from.region,
      move.from.seq,
      move.from.hash,
    );
    if (moved.changes !== 1) throw new ChainMovedError([move]);
  }
  // RETURNING promises no order: each id is matched to its event by its place in its chain.
  const rowIds = new Map<string, number>();
  for (const { values, params } of valuesChunks(rows.linked.map(eventValues), 14)) {
    const inserted = await tx.all(`INSERT INTO events(${EVENT_COLUMNS}) VALUES ${values} RETURNING id, account_id, region, seq`, ...params);
    for (const row of inserted) rowIds.set(placeInChain(String(row.account_id), String(row.region), Number(row.seq)), Number(row.id));
  }
  const resources = resourceRows(rows.linked).map((resource): SqlValue[] => {
    const rowId = rowIds.get(placeInChain(resource.accountId, resource.region, resource.seq));
    if (rowId === undefined) throw new Error("an inserted event's id was not returned");
    return [rowId, resource.accountId, resource.region, resource.type, resource.name, resource.timeMs, resource.firstOfType];
  });
  for (const { values, params } of valuesChunks(resources, 7)) await tx.run(`INSERT INTO event_resources(${RESOURCE_COLUMNS}) VALUES ${values}`, ...params);
  const usages = rows.usages.map((usage): SqlValue[] => [usage.keyArn, usage.operation, usage.timeMs, usage.eventId, usage.requestId]);
  for (const { values, params } of valuesChunks(usages, 5)) await tx.run(`INSERT INTO key_last_usage(${USAGE_COLUMNS}) VALUES ${values} ${USAGE_CONFLICT}`, ...params);
}

function placeInChain(accountId: string, region: string, seq: number): string {
  return `${chainKey(accountId, region)}\u0000${seq}`;
}
