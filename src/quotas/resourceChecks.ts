/**
 * The resource quota checks a request makes before it creates a key, an alias or a grant.
 * The count is read just before the write, not in its transaction: concurrent creations
 * on several workers can each pass at the last free place, so a quota can be exceeded by
 * as many requests as run at that instant (AWS's own quotas are likewise not transactional
 * to the request). Far from the key quota a recent count is reused (keyCounts.ts). The key quota's message is the one AWS KMS answers (seen in the wild:
 * "Key quota for this account in this region is 101 but the current usage is 101."); the
 * alias and grant messages are kmsd's, as AWS documents the error, not its text.
 */
import { LimitExceededException } from "../errors.ts";
import { keyArn, type KeyRecord } from "../keys/records.ts";
import type { RequestContext } from "../server/context.ts";

/** Refuses a new customer managed key in `region` when the account already has its quota of them. */
export async function assertKeyQuota(ctx: RequestContext, accountId: string, region: string): Promise<void> {
  const quota = ctx.services.quotas.resources.keys;
  const usage = await ctx.services.quotas.keyCounts.usage(accountId, region, quota, () => ctx.services.store.countCustomerKeys(accountId, region));
  if (usage >= quota) throw new LimitExceededException(`Key quota for this account in this region is ${quota} but the current usage is ${usage}.`);
}

/** Refuses one more alias for `key` when it already has its quota of them. */
export async function assertAliasQuota(ctx: RequestContext, key: KeyRecord): Promise<void> {
  const quota = ctx.services.quotas.resources.aliasesPerKey;
  if ((await ctx.services.keys.aliasNames(key)).length >= quota) {
    throw new LimitExceededException(`The KMS key ${keyArn(key)} already has the maximum of ${quota} aliases.`);
  }
}

/**
 * Refuses one more grant on `key` past the grants-per-key quota (customer managed keys
 * only, as AWS counts it) or past the quota of grants for one grantee principal.
 */
export async function assertGrantQuotas(ctx: RequestContext, key: KeyRecord, granteePrincipal: string): Promise<void> {
  const { grantsPerKey, grantsPerPrincipalPerKey } = ctx.services.quotas.resources;
  const grants = await ctx.services.keys.grants(key);
  if (key.keyManager === "CUSTOMER" && grants.length >= grantsPerKey) {
    throw new LimitExceededException(`The KMS key ${keyArn(key)} already has the maximum of ${grantsPerKey} grants.`);
  }
  if (grants.filter((grant) => grant.granteePrincipal === granteePrincipal).length >= grantsPerPrincipalPerKey) {
    throw new LimitExceededException(
      `The KMS key ${keyArn(key)} already has the maximum of ${grantsPerPrincipalPerKey} grants for grantee principal ${granteePrincipal}.`,
    );
  }
}
