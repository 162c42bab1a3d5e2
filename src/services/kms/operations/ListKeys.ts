/** ListKeys: the keys of the caller's account in the request's region, paged. */
import { keyArn } from "../../../keys/records.ts";
import { decodeMarker, encodeMarker } from "../markers.ts";
import type { Handler } from "../registry.ts";

export const ListKeys: Handler<"ListKeys"> = async (ctx, input) => {
  const page = await ctx.services.store.listKeys(ctx.accountId, ctx.region, input.Limit ?? 100, decodeMarker(input.Marker));
  return {
    Keys: page.items.map((key) => ({ KeyId: key.keyId, KeyArn: keyArn(key) })),
    Truncated: page.next !== undefined,
    ...(page.next === undefined ? {} : { NextMarker: encodeMarker(page.next) }),
  };
};
