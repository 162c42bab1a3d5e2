/**
 * Alias rules shared by CreateAlias, UpdateAlias and DeleteAlias: the `alias/` prefix,
 * the characters AWS allows, the reserved `alias/aws/` space, and which keys an alias may
 * point to (a customer managed key of the same account and region).
 */
import { InvalidAliasNameException, NotFoundException, ValidationException } from "../../errors.ts";
import type { AliasRecord, KeyRecord } from "../../keys/records.ts";
import type { RequestContext } from "../../server/context.ts";
import { authorizeKeyUse, keyForOperation } from "./keyAccess.ts";
import type { KmsResourceRef } from "../../authz/index.ts";
import { checkAliasNameCharacters } from "../../keys/aliasNames.ts";
import { findKey } from "../../keys/keyResolver.ts";
import type { KmsOperation } from "./registry.ts";

/** Checks an alias name a customer may create or change. */
export function checkCustomerAliasName(aliasName: string): void {
  if (!aliasName.startsWith("alias/")) {
    throw new ValidationException(
      'Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html',
    );
  }
  checkAliasNameCharacters(aliasName);
  if (aliasName.startsWith("alias/aws/")) {
    throw new InvalidAliasNameException("Alias must not begin with the reserved prefix 'alias/aws/'.");
  }
}

/** The key an alias may target: named by key id or key ARN, customer managed, in the caller's account. */
export async function aliasTarget(
  ctx: RequestContext,
  operation: KmsOperation,
  targetKeyId: string | undefined,
  ref: KmsResourceRef = "key",
): Promise<KeyRecord> {
  const key = await keyForOperation(ctx, operation, targetKeyId, "key-only", ref);
  if (key.accountId !== ctx.accountId || key.keyManager !== "CUSTOMER") {
    throw new ValidationException("An alias can point only to a customer managed key in the same account and region.");
  }
  return key;
}

/** The key an existing alias points to, authorized for `operation` (alias operations need permission on it too). */
export async function currentAliasTarget(ctx: RequestContext, operation: KmsOperation, alias: AliasRecord): Promise<KeyRecord> {
  const key = await findKey(ctx.services.keys, ctx, alias.targetKeyId);
  await authorizeKeyUse(ctx, operation, key, "key");
  return key;
}

/** The caller's alias with this name, or NotFoundException as AWS words it. */
export async function existingAlias(ctx: RequestContext, aliasName: string): Promise<AliasRecord> {
  const alias = await ctx.services.store.getAlias(ctx.accountId, ctx.region, aliasName);
  if (!alias) throw new NotFoundException(`Alias arn:aws:kms:${ctx.region}:${ctx.accountId}:${aliasName} is not found.`);
  return alias;
}
