/** UntagResource: removes tags from a key by tag key. */
import { changeKey, keyForOperation } from "../keyAccess.ts";
import type { Handler } from "../registry.ts";
import { removeTags } from "../tags.ts";

export const UntagResource: Handler<"UntagResource"> = async (ctx, input) => {
  const key = await keyForOperation(ctx, "UntagResource", input.KeyId, "key-only");
  await changeKey(ctx, "UntagResource", key, (current) => {
    return { ...current, tags: removeTags(current.tags, input.TagKeys ?? []) };
  });
  return {};
};
