/** UpdateAlias: points an existing alias at another key of the same type and usage. */
import { ValidationException } from "../../../errors.ts";
import { aliasTarget, checkCustomerAliasName, currentAliasTarget, existingAlias } from "../aliases.ts";

import type { Handler } from "../registry.ts";
import { assertAliasQuota } from "../../../quotas/resourceChecks.ts";

export const UpdateAlias: Handler<"UpdateAlias"> = async (ctx, input) => {
  const aliasName = input.AliasName ?? "";
  checkCustomerAliasName(aliasName);
  const alias = await existingAlias(ctx, aliasName);
  const current = await currentAliasTarget(ctx, "UpdateAlias", alias);
  const target = await aliasTarget(ctx, "UpdateAlias", input.TargetKeyId, "target-key");
  if (current.keySpec !== target.keySpec || current.keyUsage !== target.keyUsage) {
    throw new ValidationException(
      `Alias ${aliasName} cannot be changed from a key with KeySpec ${current.keySpec} and KeyUsage ${current.keyUsage} to one with KeySpec ${target.keySpec} and KeyUsage ${target.keyUsage}.`,
    );
  }
  if (target.keyId !== current.keyId) await assertAliasQuota(ctx, target);
  await ctx.services.store.updateAlias({ ...alias, targetKeyId: target.keyId, updatedAtMs: ctx.nowMs });
  await ctx.services.keys.aliasesChanged(current, target);
  return {};
};
