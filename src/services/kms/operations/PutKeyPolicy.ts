/** PutKeyPolicy: replaces a key's policy after validating it and, unless bypassed, the lockout safety check. */
import { NotFoundException } from "../../../errors.ts";
import { changeKey, keyForOperation } from "../keyAccess.ts";
import { checkKeyPolicy, DEFAULT_POLICY_NAME } from "../keyPolicy.ts";
import type { Handler } from "../registry.ts";

export const PutKeyPolicy: Handler<"PutKeyPolicy"> = async (ctx, input) => {
  const key = await keyForOperation(ctx, "PutKeyPolicy", input.KeyId, "key-only");
  const policyName = input.PolicyName ?? DEFAULT_POLICY_NAME;
  if (policyName !== DEFAULT_POLICY_NAME) throw new NotFoundException(`No such policy exists: ${policyName}`);
  const policy = input.Policy ?? "";
  await checkKeyPolicy(ctx, policy, key, input.BypassPolicyLockoutSafetyCheck === true);
  await changeKey(ctx, "PutKeyPolicy", key, (current) => ({ ...current, policy }));
  return {};
};
