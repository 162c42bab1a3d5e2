/** ListGrants: the grants of a key, optionally one grant or one grantee's, paged. */
import { toGrantListEntry } from "../grantRules.ts";
import { keyForOperation } from "../keyAccess.ts";
import { decodeOffsetMarker, encodeMarker } from "../markers.ts";
import type { Handler } from "../registry.ts";

export const ListGrants: Handler<"ListGrants"> = async (ctx, input) => {

  const key = await keyForOperation(ctx, "ListGrants", input.KeyId, "key-only");
  const grants = (await ctx.services.keys.grants(key)).filter(
    (grant) =>
      (input.GrantId === undefined || grant.grantId === input.GrantId) &&
      (input.GranteePrincipal === undefined || grant.granteePrincipal === input.GranteePrincipal),
  );
  const offset = decodeOffsetMarker(input.Marker);
  const limit = input.Limit ?? 50;
  const next = offset + limit < grants.length ? String(offset + limit) : undefined;
  return {
    Grants: grants.slice(offset, offset + limit).map(toGrantListEntry),
    Truncated: next !== undefined,
    ...(next === undefined ? {} : { NextMarker: encodeMarker(next) }),
  };
};
