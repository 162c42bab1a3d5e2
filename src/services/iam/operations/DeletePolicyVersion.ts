/** DeletePolicyVersion: deletes a version of a managed policy other than its default (DeleteConflict). */
import { managedPolicyForCall, missingPolicyVersion } from "../entities.ts";
import { DeleteConflict } from "../errors.ts";
import type { IamHandler } from "../registry.ts";

export const DeletePolicyVersion: IamHandler<"DeletePolicyVersion"> = async (ctx, input) => {
  const policyArn = input.PolicyArn ?? "";
  const versionId = input.VersionId ?? "";
  const policy = await managedPolicyForCall(ctx, "iam:DeletePolicyVersion", policyArn);
  const outcome = await ctx.services.store.identities.deletePolicyVersion(policy.policyId, versionId);
  if (outcome === "missing") throw missingPolicyVersion(policyArn, versionId);
  if (outcome === "default") throw new DeleteConflict("Cannot delete the default version of a policy.");
};
