/** ScheduleKeyDeletion: the key becomes PendingDeletion and is deleted for good after 7 to 30 days. */
import { MS_PER_DAY } from "../../../clock.ts";
import { ValidationException } from "../../../errors.ts";
import { isPrimaryKey, keyArn } from "../../../keys/records.ts";
import { changeKey, keyForOperation } from "../keyAccess.ts";
import type { Handler } from "../registry.ts";

const MIN_WINDOW_DAYS = 7;
const MAX_WINDOW_DAYS = 30;

export const ScheduleKeyDeletion: Handler<"ScheduleKeyDeletion"> = async (ctx, input) => {
  const days = input.PendingWindowInDays ?? MAX_WINDOW_DAYS;
  // The model allows 1-365 (checked before this handler runs); KMS itself accepts 7-30 and
  // words the refusal as a sentence, not as a model constraint (seen from real AWS).
  if (days < MIN_WINDOW_DAYS || days > MAX_WINDOW_DAYS) {
    throw new ValidationException(`PendingWindowInDays must be between ${MIN_WINDOW_DAYS} and ${MAX_WINDOW_DAYS}`);
  }
  const key = await keyForOperation(ctx, "ScheduleKeyDeletion", input.KeyId, "key-only");
  const deletionDateMs = ctx.nowMs + days * MS_PER_DAY;
  const scheduled = await changeKey(ctx, "ScheduleKeyDeletion", key, (current) => {
    // A multi-Region primary outlives its replicas: its waiting period starts after the last one is deleted.
    if (isPrimaryKey(current) && (current.multiRegionConfig?.replicaRegions.length ?? 0) > 0) {
      return { ...current, state: "PendingReplicaDeletion", pendingWindowInDays: days };
    }
    return { ...current, state: "PendingDeletion", deletionDateMs };
  });
  if (scheduled.state === "PendingReplicaDeletion") {
    return { KeyId: keyArn(scheduled), KeyState: "PendingReplicaDeletion", PendingWindowInDays: days };
  }
  return {
    KeyId: keyArn(scheduled),
    DeletionDate: new Date(deletionDateMs),
    KeyState: "PendingDeletion",
    PendingWindowInDays: days,
  };
};
