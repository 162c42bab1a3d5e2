/** CreateAlias: a friendly name for a customer managed key, unique in the account and region. */
import { AlreadyExistsException } from "../../../errors.ts";
import { aliasArn } from "../../../keys/records.ts";
import { aliasTarget, checkCustomerAliasName } from "../aliases.ts";
import type { Handler } from "../registry.ts";
import { assertAliasQuota } from "../../../quotas/resourceChecks.ts";

export const CreateAlias: Handler<"CreateAlias"> = async (ctx, input) => {
  const aliasName = input.AliasName ?? "";
  checkCustomerAliasName(aliasName);
  const key = await aliasTarget(ctx, "CreateAlias", input.TargetKeyId);
  await assertAliasQuota(ctx, key);
  const alias = {
    accountId: ctx.accountId,
    region: ctx.region,
    aliasName,
    targetKeyId: key.keyId,
    createdAtMs: ctx.nowMs,
    updatedAtMs: ctx.nowMs,
  };
  if (!(await ctx.services.store.insertAlias(alias))) {
    throw new AlreadyExistsException(`An alias with the name ${aliasArn(alias)} already exists`);
  }
  await ctx.services.keys.aliasesChanged(key);
  return {};
};
