/**
 * What every engine's Store shares: reading rows back into records and cursors (the
 * columns and JSON documents are the same on every engine), and the signal that rolls back
 * a batch of key writes. The column readers and `pageOf` serve every SQL store of this
 * folder (keys, identities, custom key stores, audit).
 */
import { InvalidMarkerException } from "../errors.ts";
import type { GrantRecord } from "../keys/grants.ts";
import type { AliasRecord, KeyRecord, NewKeyRecord, StoredMaterial } from "../keys/records.ts";
import type { SqlRow } from "./sqlRunner.ts";
import type { Page } from "./store.ts";

/** A result row of any engine, by column name. */
export type AnyRow = Record<string, unknown>;

/** A nullable column as text: NULL (or a column the row lacks) is undefined. */
export function optionalText(value: unknown): string | undefined {
  return value === null || value === undefined ? undefined : String(value);
}

/** A nullable column as a number: NULL (or a column the row lacks) is undefined. */
export function optionalNumber(value: unknown): number | undefined {
  return value === null || value === undefined ? undefined : Number(value);
}

/** A binary column (SQLite's BLOB, PostgreSQL's bytea) as a Buffer of its own. */
export function bytes(value: unknown): Buffer {
  return Buffer.from(value as Uint8Array);
}

/**
 * A page of a listing read with `limit + 1` rows: the items of the first `limit`, and when
 * the extra row came back, the cursor of the next page, `cursorColumn` of the last item's row.
 */
export function pageOf<T>(rows: readonly SqlRow[], limit: number, fromRow: (row: SqlRow) => T, cursorColumn: string): Page<T> {
  const kept = rows.slice(0, limit);
  const last = kept.at(-1);
  const items = kept.map(fromRow);
  return rows.length > limit && last ? { items, next: String(last[cursorColumn]) } : { items };
}

/** A key record from its row: the JSON document, with the revision from its own column (the one writes compare). */
export function keyFromRow(row: AnyRow): KeyRecord {
  return { ...(JSON.parse(String(row.record)) as NewKeyRecord), revision: Number(row.revision) };
}

export function aliasFromRow(row: AnyRow): AliasRecord {
  return {
    accountId: String(row.account_id),
    region: String(row.region),
    aliasName: String(row.alias_name),
    targetKeyId: String(row.target_key_id),
    createdAtMs: Number(row.created_at),
    updatedAtMs: Number(row.updated_at),
  };
}

export function grantFromRow(row: AnyRow): GrantRecord {
  return JSON.parse(String(row.record)) as GrantRecord;
}

export function materialFromRow(row: AnyRow): StoredMaterial {
  return {
    keyId: String(row.key_id),
    keyMaterialId: String(row.key_material_id),
    wrapped: bytes(row.wrapped),
    createdAtMs: Number(row.created_at),
  };
}

/** A `seq` cursor (keys, grants) as the previous page handed it out; InvalidMarkerException otherwise. */
export function parseSeqCursor(cursor: string): number {
  if (!/^[0-9]{1,16}$/.test(cursor)) throw new InvalidMarkerException("The marker is not valid.");
  return Number(cursor);
}

/** Thrown inside writeKeys' transaction to roll back a batch that lost a compare-and-set. */
export class LostBatch extends Error {}
