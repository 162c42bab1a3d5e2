/** UpdateKeyDescription: replaces a key's description. */
import { changeKey, keyForOperation } from "../keyAccess.ts";
import type { Handler } from "../registry.ts";

export const UpdateKeyDescription: Handler<"UpdateKeyDescription"> = async (ctx, input) => {
  const key = await keyForOperation(ctx, "UpdateKeyDescription", input.KeyId, "key-only");
  await changeKey(ctx, "UpdateKeyDescription", key, (current) => ({ ...current, description: input.Description ?? "" }));
  return {};
};
