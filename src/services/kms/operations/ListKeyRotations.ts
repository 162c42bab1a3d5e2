/** ListKeyRotations: the completed rotations of a key (or, with ALL_KEY_MATERIAL, its imported material too), paged. */
import type { RotationsListEntry } from "@aws-sdk/client-kms";
import { keyArn, type KeyRecord } from "../../../keys/records.ts";
import { keyForOperation } from "../keyAccess.ts";
import { decodeOffsetMarker, encodeMarker } from "../markers.ts";
import type { Handler } from "../registry.ts";
import { requireOnDemandRotationSupport } from "../rotationRules.ts";

export const ListKeyRotations: Handler<"ListKeyRotations"> = async (ctx, input) => {
  const key = await keyForOperation(ctx, "ListKeyRotations", input.KeyId, "key-only");
  requireOnDemandRotationSupport(key);
  const entries = rotationEntries(key);
  const offset = decodeOffsetMarker(input.Marker);
  const limit = input.Limit ?? 100;
  const next = offset + limit < entries.length ? String(offset + limit) : undefined;
  return {
    Rotations: entries.slice(offset, offset + limit),
    Truncated: next !== undefined,
    ...(next === undefined ? {} : { NextMarker: encodeMarker(next) }),
  };
};

function rotationEntries(key: KeyRecord): RotationsListEntry[] {
  return (key.rotations ?? []).map((rotation) => ({
    KeyId: keyArn(key),
    KeyMaterialId: rotation.keyMaterialId,
    RotationDate: new Date(rotation.rotatedAtMs),
    RotationType: rotation.type,
    ...(key.origin === "EXTERNAL"
      ? {
          KeyMaterialState: rotation.keyMaterialId === key.currentKeyMaterialId ? "CURRENT" : "NON_CURRENT",
          ImportState: key.imported ? "IMPORTED" : "PENDING_IMPORT",
        }
      : {}),
  }));
}
