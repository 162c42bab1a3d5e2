/** TagResource: adds or updates tags on a key. */
import { changeKey, keyForOperation } from "../keyAccess.ts";
import type { Handler } from "../registry.ts";
import { mergeTags } from "../tags.ts";

export const TagResource: Handler<"TagResource"> = async (ctx, input) => {
  const key = await keyForOperation(ctx, "TagResource", input.KeyId, "key-only");
  await changeKey(ctx, "TagResource", key, (current) => {
    return { ...current, tags: mergeTags(current.tags, input.Tags ?? []) };
  });
  return {};
};
