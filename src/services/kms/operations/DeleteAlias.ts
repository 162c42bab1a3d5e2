/** DeleteAlias: removes an alias; the key it pointed to is not affected. */
import { checkCustomerAliasName, currentAliasTarget, existingAlias } from "../aliases.ts";
import type { Handler } from "../registry.ts";

export const DeleteAlias: Handler<"DeleteAlias"> = async (ctx, input) => {
  const aliasName = input.AliasName ?? "";
  checkCustomerAliasName(aliasName);
  const key = await currentAliasTarget(ctx, "DeleteAlias", await existingAlias(ctx, aliasName));
  await ctx.services.store.deleteAlias(ctx.accountId, ctx.region, aliasName);
  await ctx.services.keys.aliasesChanged(key);
  return {};
};
