/** GetKeyPolicy: the key's policy document (its only policy is named "default"). */
import { NotFoundException } from "../../../errors.ts";
import { keyForOperation } from "../keyAccess.ts";
import { DEFAULT_POLICY_NAME } from "../keyPolicy.ts";
import type { Handler } from "../registry.ts";

export const GetKeyPolicy: Handler<"GetKeyPolicy"> = async (ctx, input) => {
  const key = await keyForOperation(ctx, "GetKeyPolicy", input.KeyId, "key-only");
  const policyName = input.PolicyName ?? DEFAULT_POLICY_NAME;
  if (policyName !== DEFAULT_POLICY_NAME) throw new NotFoundException(`No such policy exists: ${policyName}`);
  return { Policy: key.policy, PolicyName: DEFAULT_POLICY_NAME };
};
