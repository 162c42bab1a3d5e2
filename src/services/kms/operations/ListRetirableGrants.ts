/** ListRetirableGrants: the grants in the caller's account and region that a principal may retire, paged. */
import { toGrantListEntry } from "../grantRules.ts";
import { decodeMarker, encodeMarker } from "../markers.ts";
import type { Handler } from "../registry.ts";

export const ListRetirableGrants: Handler<"ListRetirableGrants"> = async (ctx, input) => {
  const page = await ctx.services.store.listRetirableGrants(
    ctx.accountId,
    ctx.region,
    input.RetiringPrincipal ?? "",
    input.Limit ?? 50,
    decodeMarker(input.Marker),
  );
  return {
    Grants: page.items.map(toGrantListEntry),
    Truncated: page.next !== undefined,
    ...(page.next === undefined ? {} : { NextMarker: encodeMarker(page.next) }),
  };
};
