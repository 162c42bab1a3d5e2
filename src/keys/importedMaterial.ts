/**
 * Imported key material (Origin EXTERNAL) leaving a key: at DeleteImportedKeyMaterial
 * and when its ValidTo passes. The material versions are deleted, the key returns to
 * PendingImport and keeps its CurrentKeyMaterialId, so importing the same material
 * again restores every earlier ciphertext (as AWS does). kmsd treats a key's material
 * versions as one unit: deleting any of them deletes all (AWS deletes the one named, but
 * the key is unusable either way until it is imported again). Material still pending
 * rotation is the exception: it can be deleted alone (with its copies in a multi-Region
 * primary's replicas).
 */
import type { KeyRepository, MaterialChange } from "./keyRepository.ts";
import { NotFoundException } from "../errors.ts";
import { isReplicaKey, keyHandle, type KeyRecord } from "./records.ts";

/**
 * Deletes a key's imported material versions (all of them). Material pending rotation is
 * among them, so a multi-Region primary's goes from its replicas too, as when it is deleted
 * by its id (deletePendingMaterial).
 */
export async function deleteImportedMaterial(keys: KeyRepository, key: KeyRecord): Promise<KeyRecord> {
  if (key.pendingKeyMaterialId !== undefined) await deleteReplicasCopies(keys, key, key.pendingKeyMaterialId);
  return keys.changeMaterial(keyHandle(key), withoutImportedMaterial);
}

/**
 * The scheduler's expiry: deletes the imported material if the stored record still says it
 * expired by `nowMs` (a re-import with a later ValidTo may have raced the scheduler's look);
 * the record as it was when its material expired, undefined if it did not. The copies of a
 * multi-Region primary's pending material are the caller's to delete next
 * (deleteExpiredPendingCopies), once the expiry is recorded: only the stored record says
 * whether it happened, and a failure among the replicas must not cost the expiry its record.
 */
export async function expireImportedMaterial(keys: KeyRepository, handle: string, nowMs: number): Promise<KeyRecord | undefined> {
  let expired: KeyRecord | undefined;
  await keys.changeMaterial(handle, (current) => {
    const due = current.imported?.validToMs !== undefined && current.imported.validToMs <= nowMs;
    expired = due ? current : undefined;
    return due ? withoutImportedMaterial(current) : { record: current };
  });
  return expired;
}

/**
 * After an expiry, deletes the replicas' copies of the material the primary held pending
 * rotation (nothing for a replica, a single-Region key, or a key without pending material).
 * Should this stop half-way, the replicas keep copies their primary no longer has, which
 * they may delete themselves.
 */
export async function deleteExpiredPendingCopies(keys: KeyRepository, expired: KeyRecord): Promise<void> {
  if (expired.pendingKeyMaterialId !== undefined) await deleteReplicasCopies(keys, expired, expired.pendingKeyMaterialId);
}

/** The material change that takes a key's imported material away: every version, back to PendingImport. */
function withoutImportedMaterial(current: KeyRecord): MaterialChange {
  const { imported: _imported, pendingKeyMaterialId: _pending, ...rest } = current;
  return {
    record: { ...rest, state: current.state === "PendingDeletion" ? "PendingDeletion" : "PendingImport" },
    remove: materialIdsOf(current),
  };
}

/**
 * Deletes the imported material waiting for RotateKeyOnDemand (ImportType NEW_KEY_MATERIAL).
 * It was never part of the key, so the key's state stays as it is, and other material may
 * be imported in its place. Deleted from a multi-Region primary, it goes from every replica
 * too (AWS: the replicas' copies are deleted with it); from a replica, from that one alone.
 */
export async function deletePendingMaterial(keys: KeyRepository, key: KeyRecord, keyMaterialId: string): Promise<void> {
  await deleteReplicasCopies(keys, key, keyMaterialId);
  await deleteOwnPendingMaterial(keys, keyHandle(key), keyMaterialId);
}

/**
 * Deletes the copies of a multi-Region primary's pending material from its replicas (none
 * for a replica or a single-Region key). A deletion calls it before the primary's own change:
 * should this stop half-way, the primary still names the material, and the same request made
 * again finishes the job. (An expiry calls it after; see deleteExpiredPendingCopies.)
 */
async function deleteReplicasCopies(keys: KeyRepository, key: KeyRecord, keyMaterialId: string): Promise<void> {
  for (const region of isReplicaKey(key) ? [] : (key.multiRegionConfig?.replicaRegions ?? [])) {
    try {
      await deleteOwnPendingMaterial(keys, keyHandle({ keyId: key.keyId, region }), keyMaterialId);
    } catch (error) {
      if (!(error instanceof NotFoundException)) throw error; // a replica deleted meanwhile has nothing left to delete
    }
  }
}

/** Deletes one key's copy of material pending rotation, if the stored record still holds it. */
async function deleteOwnPendingMaterial(keys: KeyRepository, handle: string, keyMaterialId: string): Promise<void> {
  await keys.changeMaterial(handle, (current) => {
    if (current.pendingKeyMaterialId !== keyMaterialId) return { record: current };
    const { pendingKeyMaterialId: _pending, materialDescriptions, ...rest } = current;
    const { [keyMaterialId]: _description, ...otherDescriptions } = materialDescriptions ?? {};
    return {
      record: { ...rest, ...(Object.keys(otherDescriptions).length > 0 ? { materialDescriptions: otherDescriptions } : {}) },
      remove: [keyMaterialId],
    };
  });
}

/** Every material version a key names: the first, current, pending and those of past rotations. */
export function materialIdsOf(key: KeyRecord): string[] {
  const ids = new Set<string>();
  if (key.firstKeyMaterialId) ids.add(key.firstKeyMaterialId);
  if (key.currentKeyMaterialId) ids.add(key.currentKeyMaterialId);
  if (key.pendingKeyMaterialId) ids.add(key.pendingKeyMaterialId);
  for (const rotation of key.rotations ?? []) ids.add(rotation.keyMaterialId);
  return [...ids];
}
