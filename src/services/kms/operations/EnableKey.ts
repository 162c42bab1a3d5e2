/** EnableKey: sets a Disabled key to Enabled. */
import { changeKey, keyForOperation } from "../keyAccess.ts";
import type { Handler } from "../registry.ts";

export const EnableKey: Handler<"EnableKey"> = async (ctx, input) => {
  const key = await keyForOperation(ctx, "EnableKey", input.KeyId, "key-only");
  await changeKey(ctx, "EnableKey", key, (current) =>
    current.state === "Enabled" ? current : { ...current, state: "Enabled" },
  );
  return {};
};
