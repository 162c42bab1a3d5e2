/**
 * RotateKeyOnDemand: rotate now, outside the automatic schedule (which it does not move).
 * A key with imported material rotates to the material imported for it with ImportType
 * NEW_KEY_MATERIAL; a multi-Region primary with imported material only once that material
 * was imported into every replica too. At most 25 on-demand rotations per key, as AWS allows.
 */
import { KMSInvalidStateException, LimitExceededException } from "../../../errors.ts";
import { requireNotReplica } from "../multiRegion.ts";
import { keyArn, type KeyRecord } from "../../../keys/records.ts";
import { MAX_ON_DEMAND_ROTATIONS, onDemandRotationCount, rotateKey, rotateToPendingMaterial } from "../../../keys/rotation.ts";
import { keyForOperation } from "../keyAccess.ts";
import type { Handler } from "../registry.ts";
import { requireOnDemandRotationSupport } from "../rotationRules.ts";

export const RotateKeyOnDemand: Handler<"RotateKeyOnDemand"> = async (ctx, input) => {
  const key = await keyForOperation(ctx, "RotateKeyOnDemand", input.KeyId, "key-only");
  // Checked on the cached record to refuse early, and again on the stored one as the
  // rotation is written: two workers rotating at once must not pass the limit together.
  requireRotatable(key);
  if (key.origin === "EXTERNAL") await rotateToPendingMaterial(ctx.services.keys, key, ctx.nowMs, requireRotatable);
  else await rotateKey(ctx.services.keys, key, "ON_DEMAND", ctx.nowMs, requireRotatable);
  return { KeyId: keyArn(key) };
};

/** Refuses a key that cannot rotate on demand now: not supported, over the limit, or (imported) nothing staged. */
function requireRotatable(key: KeyRecord): void {
  requireOnDemandRotationSupport(key);
  // Replicas rotate with their primary.
  requireNotReplica(key);
  if (onDemandRotationCount(key) >= MAX_ON_DEMAND_ROTATIONS) {
    throw new LimitExceededException(
      `The on-demand rotations limit has been reached for the given keyId. No more on-demand rotations can be performed for this key: ${keyArn(key)}`,
    );
  }
  if (key.origin === "EXTERNAL" && !key.pendingKeyMaterialId) {
    throw new KMSInvalidStateException(`No available key material pending rotation for the key: ${keyArn(key)}.`);
  }
}
