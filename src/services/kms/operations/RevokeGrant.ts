/** RevokeGrant: deletes a grant of a key (an administrative action on the key). */
import { grantOfKey } from "../grantRules.ts";
import { endIfDryRun, keyForOperation } from "../keyAccess.ts";
import type { Handler } from "../registry.ts";

export const RevokeGrant: Handler<"RevokeGrant"> = async (ctx, input) => {
  const key = await keyForOperation(ctx, "RevokeGrant", input.KeyId, "key-only");
  const grant = await grantOfKey(ctx, key, input.GrantId ?? "");
  endIfDryRun(input);
  await ctx.services.keys.removeGrant(grant);
  return {};
};
