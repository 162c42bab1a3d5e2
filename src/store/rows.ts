/**
 * What every engine's Store shares: reading rows back into records and cursors (the
 * columns and JSON documents are the same on every engine), and the signal that rolls back
 * a batch of key writes.
 */
import { InvalidMarkerException } from "../errors.ts";
import type { GrantRecord } from "../keys/grants.ts";
import type { AliasRecord, KeyRecord, NewKeyRecord, StoredMaterial } from "../keys/records.ts";

/** A result row of any engine, by column name. */
export type AnyRow = Record<string, unknown>;

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
    wrapped: Buffer.from(row.wrapped as Uint8Array),
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
