/** ListKeyRotations: the completed rotations of a key (with ALL_KEY_MATERIAL, every material version), paged. */
import type { IncludeKeyMaterial, KeyMaterialState, RotationsListEntry } from "@aws-sdk/client-kms";
import { keyArn, type KeyRecord } from "../../../keys/records.ts";
import { keyForOperation } from "../keyAccess.ts";
import { decodeOffsetMarker, encodeMarker } from "../markers.ts";
import type { Handler } from "../registry.ts";
import { requireOnDemandRotationSupport } from "../rotationRules.ts";

export const ListKeyRotations: Handler<"ListKeyRotations"> = async (ctx, input) => {
  const key = await keyForOperation(ctx, "ListKeyRotations", input.KeyId, "key-only");
  requireOnDemandRotationSupport(key);
  const entries = materialEntries(key, input.IncludeKeyMaterial ?? "ROTATIONS_ONLY");
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
 * The key's material versions, oldest first: those its rotations made current and, with
 * ALL_KEY_MATERIAL, also the first material (before any rotation) and imported material
 * still waiting for RotateKeyOnDemand.
 */
function materialEntries(key: KeyRecord, include: IncludeKeyMaterial): RotationsListEntry[] {
  const rotations = key.rotations ?? [];
  const first = key.firstKeyMaterialId ?? (rotations.length === 0 ? key.currentKeyMaterialId : undefined);
  const entries: RotationsListEntry[] = [];
  if (include === "ALL_KEY_MATERIAL" && first !== undefined) entries.push(entryOf(key, first));
  for (const rotation of rotations) {
    entries.push({ ...entryOf(key, rotation.keyMaterialId), RotationDate: new Date(rotation.rotatedAtMs), RotationType: rotation.type });
  }
  if (include === "ALL_KEY_MATERIAL" && key.pendingKeyMaterialId !== undefined) entries.push(entryOf(key, key.pendingKeyMaterialId));
  return entries;
}

/**
 * One material's entry. Imported keys add what their import says: kmsd imports, expires and
 * deletes a key's material versions together, so ImportState, ExpirationModel and ValidTo
 * are the key's; the description is the material's own.
 */
function entryOf(key: KeyRecord, keyMaterialId: string): RotationsListEntry {
  const state: KeyMaterialState =
    keyMaterialId === key.pendingKeyMaterialId ? "PENDING_ROTATION" : keyMaterialId === key.currentKeyMaterialId ? "CURRENT" : "NON_CURRENT";
  const entry: RotationsListEntry = { KeyId: keyArn(key), KeyMaterialId: keyMaterialId, KeyMaterialState: state };
  if (key.origin !== "EXTERNAL") return entry;
  const description = key.materialDescriptions?.[keyMaterialId];
  return {
    ...entry,
    ...(description === undefined ? {} : { KeyMaterialDescription: description }),
    ImportState: key.imported ? "IMPORTED" : "PENDING_IMPORT",
    ...(key.imported ? { ExpirationModel: key.imported.expirationModel } : {}),
    ...(key.imported?.validToMs === undefined ? {} : { ValidTo: new Date(key.imported.validToMs) }),
  };
}
