/** CreateGrant: lets a grantee principal use a key for some operations, optionally constrained by encryption context. */
import { isDeepStrictEqual } from "node:util";
import { grantTokenFor, newGrantId, type GrantRecord } from "../../../keys/grants.ts";
import { checkGrantRequest } from "../grantRules.ts";
import { endIfDryRun, keyForOperation } from "../keyAccess.ts";
import type { Handler } from "../registry.ts";
import { assertGrantQuotas } from "../../../quotas/resourceChecks.ts";

export const CreateGrant: Handler<"CreateGrant"> = async (ctx, input) => {
  const key = await keyForOperation(ctx, "CreateGrant", input.KeyId, "key-only");
  const operations = input.Operations ?? [];
  const granteePrincipal = input.GranteePrincipal ?? "";
  checkGrantRequest(key, operations, input.Constraints, granteePrincipal, input.RetiringPrincipal);
  endIfDryRun(input);
  const grant: GrantRecord = {
    grantId: newGrantId(),
    keyId: key.keyId,
    accountId: key.accountId,
    region: key.region,
    ...(input.Name === undefined ? {} : { name: input.Name }),
    granteePrincipal,
    ...(input.RetiringPrincipal === undefined ? {} : { retiringPrincipal: input.RetiringPrincipal }),
    operations,
    ...(input.Constraints === undefined ? {} : { constraints: input.Constraints }),
    issuingAccount: `arn:aws:iam::${ctx.accountId}:root`,
    createdAtMs: ctx.nowMs,
  };
  // A named grant is idempotent: the same name and parameters return the existing grant (with a new token).
  const existing =
    input.Name === undefined ? undefined : (await ctx.services.keys.grants(key)).find((g) => sameGrant(g, grant));
  if (!existing) {
    await assertGrantQuotas(ctx, key, granteePrincipal);
    await ctx.services.keys.addGrant(grant);
  }
  const grantId = existing?.grantId ?? grant.grantId;
  return { GrantId: grantId, GrantToken: grantTokenFor(ctx.services.rootKey, grantId) };
};

function sameGrant(a: GrantRecord, b: GrantRecord): boolean {
  return (
    a.name === b.name &&
    a.granteePrincipal === b.granteePrincipal &&
    a.retiringPrincipal === b.retiringPrincipal &&
    isDeepStrictEqual([...a.operations].sort(), [...b.operations].sort()) &&
    isDeepStrictEqual(a.constraints, b.constraints)
  );
}
