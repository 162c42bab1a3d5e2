/** ListKeyRotations: the completed rotations of a key (with ALL_KEY_MATERIAL, every material version), paged. */
import type { KeyMaterialState, RotationsListEntry } from "@aws-sdk/client-kms";
import { materialIdsOf } from "../../../keys/importedMaterial.ts";
import { pendingMaterialState, setPendingMaterialId } from "../../../keys/pendingMaterial.ts";
import { keyArn, type KeyRecord } from "../../../keys/records.ts";
import { keyForOperation } from "../keyAccess.ts";
import { decodeOffsetMarker, encodeMarker } from "../markers.ts";
import type { Handler } from "../registry.ts";
import { requireOnDemandRotationSupport } from "../rotationRules.ts";

export const ListKeyRotations: Handler<"ListKeyRotations"> = async (ctx, input) => {
  const key = await keyForOperation(ctx, "ListKeyRotations", input.KeyId, "key-only");
  requireOnDemandRotationSupport(key);
  const include = input.IncludeKeyMaterial ?? "ROTATIONS_ONLY";
  const entries = materialEntries(key, include === "ALL_KEY_MATERIAL" ? await ctx.services.keys.findRelated(key) : undefined);
  const offset = decodeOffsetMarker(input.Marker);
  const limit = input.Limit ?? 100;
  const next = offset + limit < entries.length ? String(offset + limit) : undefined;
  return {
    Rotations: entries.slice(offset, offset + limit),
    Truncated: next !== undefined,
    ...(next === undefined ? {} : { NextMarker: encodeMarker(next) }),
  };
};

/**
 * The key's material versions, oldest first: those its rotations made current and, given
 * its related keys (ALL_KEY_MATERIAL), also the first material (before any rotation) and
 * imported material still waiting for RotateKeyOnDemand: its own, and the material its
 * primary waits for, which a replica that has not imported it lists as PENDING_IMPORT.
 */
function materialEntries(key: KeyRecord, related: readonly KeyRecord[] | undefined): RotationsListEntry[] {
  const rotations = key.rotations ?? [];
  const first = key.firstKeyMaterialId ?? (rotations.length === 0 ? key.currentKeyMaterialId : undefined);
  const entries: RotationsListEntry[] = [];
  if (related && first !== undefined) entries.push(entryOf(key, first));
  for (const rotation of rotations) {
    entries.push({ ...entryOf(key, rotation.keyMaterialId), RotationDate: new Date(rotation.rotatedAtMs), RotationType: rotation.type });
  }
  if (!related) return entries;
  const pending = new Set([key.pendingKeyMaterialId, setPendingMaterialId(related)]);
  for (const keyMaterialId of pending) {
    if (keyMaterialId !== undefined) entries.push(entryOf(key, keyMaterialId, pendingMaterialState(related, keyMaterialId)));
  }
  return entries;
}

/**
 * One material's entry; `pendingState` is given for material pending rotation, the others
 * are CURRENT or NON_CURRENT.
 * Imported keys add what their import says: kmsd imports, expires and deletes a key's
 * material versions together, so ImportState, ExpirationModel and ValidTo are the key's,
 * except for pending material the key does not hold (PENDING_IMPORT); the description is the
 * material's own.
 */
function entryOf(key: KeyRecord, keyMaterialId: string, pendingState?: KeyMaterialState): RotationsListEntry {
  const materialState = pendingState ?? (keyMaterialId === key.currentKeyMaterialId ? "CURRENT" : "NON_CURRENT");
  const entry: RotationsListEntry = { KeyId: keyArn(key), KeyMaterialId: keyMaterialId, KeyMaterialState: materialState };
  if (key.origin !== "EXTERNAL") return entry;
  const description = key.materialDescriptions?.[keyMaterialId];
  const imported = materialIdsOf(key).includes(keyMaterialId) ? key.imported : undefined;
  return {
    ...entry,
    ...(description === undefined ? {} : { KeyMaterialDescription: description }),
    ImportState: imported ? "IMPORTED" : "PENDING_IMPORT",
    ...(imported ? { ExpirationModel: imported.expirationModel } : {}),
    ...(imported?.validToMs === undefined ? {} : { ValidTo: new Date(imported.validToMs) }),
  };
}
