/** GetPolicyVersion: one version of a managed policy, its document URL-encoded. */
import { managedPolicyForCall } from "../entities.ts";
import { NoSuchEntity } from "../errors.ts";
import type { IamHandler } from "../registry.ts";
import { encodePolicyDocument } from "../shapes.ts";

export const GetPolicyVersion: IamHandler<"GetPolicyVersion"> = async (ctx, input) => {
  const policyArn = input.PolicyArn ?? "";
  const policy = await managedPolicyForCall(ctx, "iam:GetPolicyVersion", policyArn);
  const versionId = input.VersionId ?? "";
  const version = await ctx.services.store.identities.getPolicyVersion(policy.policyId, versionId);
  if (!version) throw new NoSuchEntity(`Policy ${policyArn} version ${versionId} does not exist or is not attachable.`);
  return {
    PolicyVersion: {
      Document: encodePolicyDocument(version.document),
      VersionId: version.versionId,
      IsDefaultVersion: version.versionId === policy.defaultVersionId,
      CreateDate: new Date(version.createdAtMs),
    },
  };
};
