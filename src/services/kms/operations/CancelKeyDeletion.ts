/** CancelKeyDeletion: a key pending deletion (or a multi-Region primary pending its replicas' deletion) returns to Disabled (not Enabled, as AWS does). */
import { keyArn, type KeyRecord } from "../../../keys/records.ts";
import { changeKey, keyForOperation } from "../keyAccess.ts";
import type { Handler } from "../registry.ts";

export const CancelKeyDeletion: Handler<"CancelKeyDeletion"> = async (ctx, input) => {
  const key = await keyForOperation(ctx, "CancelKeyDeletion", input.KeyId, "key-only");
  const cancelled = await changeKey(ctx, "CancelKeyDeletion", key, (current): KeyRecord => {
    const { deletionDateMs: _date, pendingWindowInDays: _window, ...rest } = current;
    return { ...rest, state: "Disabled" };
  });
  return { KeyId: keyArn(cancelled) };
};
