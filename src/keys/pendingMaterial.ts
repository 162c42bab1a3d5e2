/**
 * Imported material waiting for RotateKeyOnDemand (ImportType NEW_KEY_MATERIAL), seen across
 * a set of related multi-Region keys. AWS copies no imported material: new material is
 * imported into the primary, then the same material into every replica, and only then can
 * the primary rotate the set to it. Each key's record says only what it holds itself
 * (`pendingKeyMaterialId`); the state of the set is derived from those records whenever it
 * is needed, so it cannot drift from them (a replica's deletion of its copy, a new replica).
 * A single-Region key is a set of one.
 */
import type { KeyMaterialState } from "@aws-sdk/client-kms";
import { isReplicaKey, type KeyRecord } from "./records.ts";

/** The material the set waits to rotate to: what its primary holds pending rotation. */
export function setPendingMaterialId(related: readonly KeyRecord[]): string | undefined {
  return related.find((record) => !isReplicaKey(record))?.pendingKeyMaterialId;
}

/** The Regions of related keys that do not hold `keyMaterialId` pending rotation (none: the set can rotate to it). */
export function regionsWithout(related: readonly KeyRecord[], keyMaterialId: string): string[] {
  return related.filter((record) => record.pendingKeyMaterialId !== keyMaterialId).map((record) => record.region);
}

/**
 * The state ListKeyRotations gives material pending rotation: PENDING_ROTATION once every
 * related key holds it, PENDING_MULTI_REGION_IMPORT_AND_ROTATION while some do not.
 */
export function pendingMaterialState(related: readonly KeyRecord[], keyMaterialId: string): KeyMaterialState {
  return regionsWithout(related, keyMaterialId).length === 0 ? "PENDING_ROTATION" : "PENDING_MULTI_REGION_IMPORT_AND_ROTATION";
}
