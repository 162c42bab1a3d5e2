/** DisableKeyRotation: stop rotating the key automatically. */
import type { KeyRecord } from "../../../keys/records.ts";
import { keyForOperation } from "../keyAccess.ts";
import { changeSharedProperty, requireNotReplica } from "../multiRegion.ts";
import type { Handler } from "../registry.ts";
import { requireAutomaticRotationSupport } from "../rotationRules.ts";

export const DisableKeyRotation: Handler<"DisableKeyRotation"> = async (ctx, input) => {
  const key = await keyForOperation(ctx, "DisableKeyRotation", input.KeyId, "key-only");
  requireAutomaticRotationSupport(key);
  requireNotReplica(key);
  await changeSharedProperty(ctx, "DisableKeyRotation", key, (current): KeyRecord => {
    if (!current.rotation) return current;
    const { rotation: _rotation, ...rest } = current;
    return rest;
  });
  return {};
};
