/** ListAliases: the caller's aliases in the region, optionally only those of one key, paged. */
import { resolveKey } from "../../../keys/keyResolver.ts";
import { aliasArn } from "../../../keys/records.ts";
import { authorizeKeyUse } from "../keyAccess.ts";
import { decodeMarker, encodeMarker } from "../markers.ts";
import type { Handler } from "../registry.ts";

export const ListAliases: Handler<"ListAliases"> = async (ctx, input) => {
  let targetKeyId: string | undefined;
  if (input.KeyId !== undefined) {
    const key = await resolveKey(ctx.services.keys, ctx, input.KeyId, "key-only");
    await authorizeKeyUse(ctx, "ListAliases", key);
    targetKeyId = key.keyId;
  }
  const page = await ctx.services.store.listAliases(ctx.accountId, ctx.region, targetKeyId, input.Limit ?? 50, decodeMarker(input.Marker));
  return {
    Aliases: page.items.map((alias) => ({
      AliasName: alias.aliasName,
      AliasArn: aliasArn(alias),
      TargetKeyId: alias.targetKeyId,
      CreationDate: new Date(alias.createdAtMs),
      LastUpdatedDate: new Date(alias.updatedAtMs),
    })),
    Truncated: page.next !== undefined,
    ...(page.next === undefined ? {} : { NextMarker: encodeMarker(page.next) }),
  };
};
