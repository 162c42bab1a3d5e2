/** EnableKey: sets a Disabled key to Enabled. */
import { keyForOperation } from "../keyAccess.ts";
import type { Handler } from "../registry.ts";

export const EnableKey: Handler<"EnableKey"> = async (ctx, input) => {
  const key = await keyForOperation(ctx, "EnableKey", input.KeyId, "key-only");
  await ctx.services.keys.update(key.keyId, (current) =>
    current.state === "Enabled" ? current : { ...current, state: "Enabled" },
  );
  return {};
};
