/** TagResource: adds or updates tags on a key. */
import { assertKeyStateAllows } from "../../../keys/keyStates.ts";
import { keyForOperation } from "../keyAccess.ts";
import type { Handler } from "../registry.ts";
import { mergeTags } from "../tags.ts";

export const TagResource: Handler<"TagResource"> = async (ctx, input) => {
  const key = await keyForOperation(ctx, "TagResource", input.KeyId, "key-only");
  await ctx.services.keys.update(key.keyId, (current) => {
    assertKeyStateAllows("TagResource", current);
    return { ...current, tags: mergeTags(current.tags, input.Tags ?? []) };
  });
  return {};
};
