/**
 * Imported key material (Origin EXTERNAL) leaving a key: at DeleteImportedKeyMaterial
 * and when its ValidTo passes. The material versions are deleted, the key returns to
 * PendingImport and keeps its CurrentKeyMaterialId, so importing the same material
 * again restores every earlier ciphertext (as AWS does).
 */
import type { KeyRepository } from "./keyRepository.ts";
import type { KeyRecord } from "./records.ts";

/** Deletes a key's imported material versions (all of them). */
export async function deleteImportedMaterial(keys: KeyRepository, keyId: string): Promise<KeyRecord> {
  return keys.changeMaterial(keyId, (current) => {
    const { imported: _imported, pendingKeyMaterialId: _pending, ...rest } = current;
    return {
      record: { ...rest, state: current.state === "PendingDeletion" ? "PendingDeletion" : "PendingImport" },
      remove: materialIdsOf(current),
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
