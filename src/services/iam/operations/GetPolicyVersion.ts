/** GetPolicyVersion: one version of a managed policy (the default or another), its document URL-encoded. */
import { managedPolicyForCall, missingPolicyVersion } from "../entities.ts";
import type { IamHandler } from "../registry.ts";
import { encodePolicyDocument } from "../shapes.ts";

export const GetPolicyVersion: IamHandler<"GetPolicyVersion"> = async (ctx, input) => {
  const policyArn = input.PolicyArn ?? "";
  const policy = await managedPolicyForCall(ctx, "iam:GetPolicyVersion", policyArn);
  const versionId = input.VersionId ?? "";
  const version = await ctx.services.store.identities.getPolicyVersion(policy.policyId, versionId);
  if (!version) throw missingPolicyVersion(policyArn, versionId);
  return {
    PolicyVersion: {
      Document: encodePolicyDocument(version.document),
      VersionId: version.versionId,
      IsDefaultVersion: version.versionId === policy.defaultVersionId,
      CreateDate: new Date(version.createdAtMs),
    },
  };
};
