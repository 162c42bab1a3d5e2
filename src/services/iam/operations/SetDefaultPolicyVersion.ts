/**
 * SetDefaultPolicyVersion: makes another version of a managed policy the one in effect.
 * Every worker drops the identity policies it cached before the call is acknowledged,
 * so the next request of any user or role the policy is attached to is decided by it.
 */
import { managedPolicyForCall, missingPolicyVersion } from "../entities.ts";
import type { IamHandler } from "../registry.ts";

export const SetDefaultPolicyVersion: IamHandler<"SetDefaultPolicyVersion"> = async (ctx, input) => {
  const policyArn = input.PolicyArn ?? "";
  const versionId = input.VersionId ?? "";
  const policy = await managedPolicyForCall(ctx, "iam:SetDefaultPolicyVersion", policyArn);
  if (!(await ctx.services.store.identities.setDefaultPolicyVersion(policy.policyId, versionId))) throw missingPolicyVersion(policyArn, versionId);
  await ctx.services.accessKeys.identitiesChanged();
};
