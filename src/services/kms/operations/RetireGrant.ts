/**
 * RetireGrant: ends a grant, named by its token or by key and grant id. Its retiring
 * principal, and its grantee when the grant includes RetireGrant, may always retire it;
 * anyone else needs kms:RetireGrant on the key.
 */
import { ValidationException } from "../../../errors.ts";
import { resolveKey } from "../../../keys/keyResolver.ts";
import { grantIdOfToken } from "../../../keys/grants.ts";
import { grantOfKey } from "../grantRules.ts";
import { authorizeKeyUse, endIfDryRun } from "../keyAccess.ts";
import type { Handler } from "../registry.ts";

export const RetireGrant: Handler<"RetireGrant"> = async (ctx, input) => {
  let grantId = input.GrantId;
  let keyIdentifier = input.KeyId;
  if (input.GrantToken !== undefined) {
    grantId = grantIdOfToken(ctx.services.rootKey, input.GrantToken);
    const grant = await ctx.services.store.getGrant(grantId);
    keyIdentifier ??= grant ? `arn:aws:kms:${grant.region}:${grant.accountId}:key/${grant.keyId}` : undefined;
  }
  if (grantId === undefined || keyIdentifier === undefined) {
    throw new ValidationException("Specify either a grant token, or both the key id and the grant id.");
  }
  const key = await resolveKey(ctx.services.keys, ctx, keyIdentifier, "key-only", ctx.nowMs);
  const grant = await grantOfKey(ctx, key, grantId);
  // A grant naming a role names the role's sessions too, as it does for the grantee's use of the key.
  const principal = ctx.principal;
  const names = (arn: string | undefined) => arn !== undefined && (arn === principal.arn || (principal.kind === "AssumedRole" && arn === principal.roleArn));
  const mayRetire = names(grant.retiringPrincipal) || (names(grant.granteePrincipal) && grant.operations.includes("RetireGrant"));
  if (!mayRetire) await authorizeKeyUse(ctx, "RetireGrant", key);
  endIfDryRun(input);
  await ctx.services.keys.removeGrant(grant);
  return {};
};
