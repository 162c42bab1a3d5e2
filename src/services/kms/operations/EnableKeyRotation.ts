/** EnableKeyRotation: rotate the key automatically every RotationPeriodInDays (90–2560, default 365). */
import { ValidationException } from "../../../errors.ts";
import { DEFAULT_ROTATION_PERIOD_DAYS } from "../../../keys/rotation.ts";
import { keyForOperation } from "../keyAccess.ts";
import { changeSharedProperty, requireNotReplica } from "../multiRegion.ts";
import type { Handler } from "../registry.ts";
import { requireAutomaticRotationSupport } from "../rotationRules.ts";

const MIN_PERIOD_DAYS = 90;
const MAX_PERIOD_DAYS = 2560;

export const EnableKeyRotation: Handler<"EnableKeyRotation"> = async (ctx, input) => {
  const periodInDays = input.RotationPeriodInDays ?? DEFAULT_ROTATION_PERIOD_DAYS;
  if (periodInDays < MIN_PERIOD_DAYS || periodInDays > MAX_PERIOD_DAYS) {
    const bound = periodInDays < MIN_PERIOD_DAYS ? `greater than or equal to ${MIN_PERIOD_DAYS}` : `less than or equal to ${MAX_PERIOD_DAYS}`;
    throw new ValidationException(
      `1 validation error detected: Value '${periodInDays}' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value ${bound}`,
    );
  }
  const key = await keyForOperation(ctx, "EnableKeyRotation", input.KeyId, "key-only");
  requireAutomaticRotationSupport(key);
  requireNotReplica(key);
  // A multi-Region primary's replicas carry the same settings (AWS keeps them shared).
  await changeSharedProperty(ctx, "EnableKeyRotation", key, (current) => {
    // Re-enabling with the same period keeps the schedule; a new period starts counting now.
    if (current.rotation?.periodInDays === periodInDays) return current;
    return { ...current, rotation: { periodInDays, sinceMs: ctx.nowMs } };
  });
  return {};
};
