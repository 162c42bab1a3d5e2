/** ListResourceTags: a key's tags in the order they were added, paged. */
import { keyForOperation } from "../keyAccess.ts";
import { decodeOffsetMarker, encodeMarker } from "../markers.ts";
import type { Handler } from "../registry.ts";

export const ListResourceTags: Handler<"ListResourceTags"> = async (ctx, input) => {
  const key = await keyForOperation(ctx, "ListResourceTags", input.KeyId, "key-only");
  const offset = decodeOffsetMarker(input.Marker);
  const limit = input.Limit ?? 50;
  const tags = key.tags.slice(offset, offset + limit);
  const next = offset + limit < key.tags.length ? String(offset + limit) : undefined;
  return { Tags: tags, Truncated: next !== undefined, ...(next === undefined ? {} : { NextMarker: encodeMarker(next) }) };
};
