/** DescribeCustomKeyStores: the caller's custom key stores in the Region, one by id or name, or all of them paged. */
import { InvalidMarkerException } from "../../../errors.ts";
import { findCustomKeyStore, notFound, toListEntry } from "../customKeyStores.ts";
import { decodeMarker, encodeMarker } from "../markers.ts";
import type { Handler } from "../registry.ts";

export const DescribeCustomKeyStores: Handler<"DescribeCustomKeyStores"> = async (ctx, input) => {
  if (input.CustomKeyStoreId !== undefined || input.CustomKeyStoreName !== undefined) {
    const store =
      input.CustomKeyStoreId !== undefined
        ? await findCustomKeyStore(ctx, input.CustomKeyStoreId)
        : await ctx.services.store.customKeyStores.getByName(ctx.accountId, ctx.region, input.CustomKeyStoreName as string);
    // Given both, they must name the same store.
    if (!store || (input.CustomKeyStoreName !== undefined && store.name !== input.CustomKeyStoreName)) {
      throw notFound(input.CustomKeyStoreName ?? input.CustomKeyStoreId ?? "");
    }
    return { CustomKeyStores: [toListEntry(store)], Truncated: false };
  }
  const cursor = decodeMarker(input.Marker);
  if (cursor !== undefined && !/^[0-9]{1,15}$/.test(cursor)) throw new InvalidMarkerException("The marker is not valid.");
  const page = await ctx.services.store.customKeyStores.list(ctx.accountId, ctx.region, input.Limit ?? 1000, cursor);
  return {
    CustomKeyStores: page.items.map(toListEntry),
    Truncated: page.next !== undefined,
    ...(page.next === undefined ? {} : { NextMarker: encodeMarker(page.next) }),
  };
};
