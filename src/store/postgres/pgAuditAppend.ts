/**
 * An audit append's rows on PostgreSQL in one statement: the chains' moves, the events,
 * their resources and the keys' last usages, as columns of arrays (`unnest`), so the text
 * is the same whatever the number of events and each connection parses and plans it once
 * (a named statement). The portable statements (auditAppend.ts) cost a round trip, a parse
 * and a plan each, four of them per append: see bench/pg-append.ts for the difference.
 */
import { ChainMovedError, EVENT_COLUMNS, eventValues, RESOURCE_COLUMNS, resourceRows, USAGE_COLUMNS, USAGE_CONFLICT, type AppendRows } from "../auditAppend.ts";
import type { SqlExecutor } from "../sqlRunner.ts";
import { prepared } from "./pgRunner.ts";

/*
 * A data-modifying WITH: `moved` moves each chain from the tail the append read to its new
 * one (0 rows for a chain that is elsewhere), and nothing else is written unless every
 * chain moved; the resources find their events' ids through the events' RETURNING, by the
 * events' places in their chains. In a transaction (the locked way, any number of chains)
 * the caller rolls back a partial move; outside one (after a known tail) it runs for one
 * chain only, whose move is all or nothing.
 */
const APPEND = `WITH moved AS (
  UPDATE chains c SET last_seq = m.to_seq, last_hash = m.to_hash
  FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::bigint[], $6::text[]) AS m(account_id, region, from_seq, from_hash, to_seq, to_hash)
  WHERE c.account_id = m.account_id AND c.region = m.region AND c.last_seq = m.from_seq AND c.last_hash = m.from_hash
  RETURNING 1
),
checked AS (SELECT count(*) AS chains_moved, count(*) = cardinality($1::text[]) AS all_moved FROM moved),
inserted AS (
  INSERT INTO events(${EVENT_COLUMNS})
  SELECT e.* FROM unnest($7::text[], $8::text[], $9::bigint[], $10::text[], $11::text[], $12::bigint[], $13::text[], $14::text[], $15::text[], $16::text[],
    $17::text[], $18::text[], $19::text[], $20::text[]) AS e, checked
  WHERE checked.all_moved
  RETURNING id, account_id, region, seq
),
resources AS (
  INSERT INTO event_resources(${RESOURCE_COLUMNS})
  SELECT i.id, r.account_id, r.region, r.resource_type, r.resource_name, r.event_time, r.first_of_type
  FROM unnest($21::text[], $22::text[], $23::bigint[], $24::text[], $25::text[], $26::bigint[], $27::integer[])
    AS r(account_id, region, seq, resource_type, resource_name, event_time, first_of_type)
  JOIN inserted i ON i.account_id = r.account_id AND i.region = r.region AND i.seq = r.seq
),
usages AS (
  INSERT INTO key_last_usage(${USAGE_COLUMNS})
  SELECT u.* FROM unnest($28::text[], $29::text[], $30::bigint[], $31::text[], $32::text[]) AS u, checked
  WHERE checked.all_moved
  ${USAGE_CONFLICT}
)
SELECT chains_moved FROM checked`;

/** Rows as columns: one array per column, the rows' values in order. */
function columns(rows: readonly (readonly unknown[])[], width: number): unknown[][] {
  const out = Array.from({ length: width }, () => [] as unknown[]);
  for (const row of rows) for (let column = 0; column < width; column++) out[column]?.push(row[column]);
  return out;
}

/** SqlEngine.writeAppend on PostgreSQL. */
export async function writeAppendRows(tx: SqlExecutor, rows: AppendRows): Promise<void> {
  const moves = rows.moves.map(({ from, to }) => [from.accountId, from.region, from.seq, from.hash, to.seq, to.hash]);
  const resources = resourceRows(rows.linked).map((r) => [r.accountId, r.region, r.seq, r.type, r.name, r.timeMs, r.firstOfType]);
  const usages = rows.usages.map((u) => [u.keyArn, u.operation, u.timeMs, u.eventId, u.requestId]);
  const values = [...columns(moves, 6), ...columns(rows.linked.map(eventValues), 14), ...columns(resources, 7), ...columns(usages, 5)];
  const result = await prepared(tx, "kmsd_audit_append", APPEND, values);
  if (Number(result.rows[0]?.chains_moved) !== rows.moves.length) throw new ChainMovedError(rows.moves);
}
