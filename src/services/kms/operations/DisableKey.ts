/** DisableKey: sets an Enabled key to Disabled; it can no longer be used for cryptography. */
import { changeKey, keyForOperation } from "../keyAccess.ts";
import type { Handler } from "../registry.ts";

export const DisableKey: Handler<"DisableKey"> = async (ctx, input) => {
  const key = await keyForOperation(ctx, "DisableKey", input.KeyId, "key-only");
  await changeKey(ctx, "DisableKey", key, (current) =>
    current.state === "Disabled" ? current : { ...current, state: "Disabled" },
  );
  return {};
};
