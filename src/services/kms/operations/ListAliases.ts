/**
 * ListAliases: the caller's aliases in the region, optionally only those of one key, paged
 * by name. Without a KeyId the list also holds the predefined AWS managed aliases whose key
 * was not created yet, with no TargetKeyId (AWS documents them so); once the key exists its
 * stored alias takes their place.
 */
import type { AliasListEntry } from "@aws-sdk/client-kms";
import { AWS_MANAGED_ALIAS_NAMES } from "../../../keys/awsManagedKeys.ts";
import { resolveKey } from "../../../keys/keyResolver.ts";
import { aliasArn, type AliasRecord } from "../../../keys/records.ts";
import type { Page } from "../../../store/store.ts";
import { authorizeKeyUse } from "../keyAccess.ts";
import { decodeMarker, encodeMarker } from "../markers.ts";
import type { Handler } from "../registry.ts";

export const ListAliases: Handler<"ListAliases"> = async (ctx, input) => {
  const limit = input.Limit ?? 50;
  const after = decodeMarker(input.Marker);
  let targetKeyId: string | undefined;
  if (input.KeyId !== undefined) {
    const key = await resolveKey(ctx.services.keys, ctx, input.KeyId, "key-only");
    await authorizeKeyUse(ctx, "ListAliases", key);
    targetKeyId = key.keyId;
  }
  const stored = await ctx.services.store.listAliases(ctx.accountId, ctx.region, targetKeyId, limit, after);
  const scope = { accountId: ctx.accountId, region: ctx.region };
  const page = targetKeyId === undefined ? withPredefined(stored, limit, after, scope) : { items: stored.items.map(listed), next: stored.next };
  return {
    Aliases: page.items,
    Truncated: page.next !== undefined,
    ...(page.next === undefined ? {} : { NextMarker: encodeMarker(page.next) }),
  };
};

/** A stored alias as ListAliases shows it. */
function listed(alias: AliasRecord): AliasListEntry {
  return {
    AliasName: alias.aliasName,
    AliasArn: aliasArn(alias),
    TargetKeyId: alias.targetKeyId,
    CreationDate: new Date(alias.createdAtMs),
    LastUpdatedDate: new Date(alias.updatedAtMs),
  };
}

/**
 * One page of stored aliases merged, by name, with the predefined aliases that have no
 * stored alias yet. `stored` is the store's page after `after` (at most `limit` items,
 * `next` set when more follow), so it covers every stored name up to its last item: a
 * predefined name up to there is known to be missing, one beyond it is left for a later
 * page (the `limit` stored items already fill this one). Each page's marker is the last
 * name it shows, for stored and predefined entries alike: the store's alias cursor is the
 * name to list after.
 */
function withPredefined(
  stored: Page<AliasRecord>,
  limit: number,
  after: string | undefined,
  scope: { accountId: string; region: string },
): { items: AliasListEntry[]; next: string | undefined } {
  const storedNames = new Set(stored.items.map((alias) => alias.aliasName));
  const coveredUpTo = stored.next === undefined ? undefined : stored.items.at(-1)?.aliasName;
  const missing = AWS_MANAGED_ALIAS_NAMES.filter(
    (name) => (after === undefined || name > after) && (coveredUpTo === undefined || name < coveredUpTo) && !storedNames.has(name),
  );
  const merged = [
    ...stored.items.map((alias) => ({ name: alias.aliasName, entry: listed(alias) })),
    ...missing.map((name) => ({ name, entry: { AliasName: name, AliasArn: aliasArn({ ...scope, aliasName: name }) } })),
  ].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const shown = merged.slice(0, limit);
  const more = merged.length > limit || stored.next !== undefined;
  return { items: shown.map((item) => item.entry), next: more ? shown.at(-1)?.name : undefined };
}
