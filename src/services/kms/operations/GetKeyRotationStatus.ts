/** GetKeyRotationStatus: whether automatic rotation is on, its period and the next rotation date. */
import { keyArn, nextRotationMs } from "../../../keys/records.ts";
import { keyForOperation } from "../keyAccess.ts";
import type { Handler } from "../registry.ts";
import { requireAutomaticRotationSupport } from "../rotationRules.ts";

export const GetKeyRotationStatus: Handler<"GetKeyRotationStatus"> = async (ctx, input) => {
  const key = await keyForOperation(ctx, "GetKeyRotationStatus", input.KeyId, "key-only");
  // AWS answers "not enabled" for asymmetric and HMAC keys (clients such as Terraform read the
  // status of every key); keys of another origin are still refused.
  if (key.keySpec !== "SYMMETRIC_DEFAULT") return { KeyId: keyArn(key), KeyRotationEnabled: false };
  requireAutomaticRotationSupport(key);
  // While a key is pending deletion its status reads false; CancelKeyDeletion restores it (AWS documents both).
  if (!key.rotation || key.state === "PendingDeletion") return { KeyId: keyArn(key), KeyRotationEnabled: false };
  return {
    KeyId: keyArn(key),
    KeyRotationEnabled: true,
    RotationPeriodInDays: key.rotation.periodInDays,
    NextRotationDate: new Date(nextRotationMs(key.rotation)),
  };
};
