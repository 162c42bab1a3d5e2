/**
 * CreatePolicyVersion: a new version of a managed policy (at most five versions), the
 * default if SetAsDefault: then it governs every user, group and role the policy is
 * attached to, in every worker, before the call is acknowledged.
 */
import { checkManagedPolicy } from "../documents.ts";
import { managedPolicyForCall } from "../entities.ts";
import { LimitExceeded, NoSuchEntity } from "../errors.ts";
import type { IamHandler } from "../registry.ts";

/** How many versions a managed policy may have (AWS's limit). */
export const MAX_POLICY_VERSIONS = 5;

export const CreatePolicyVersion: IamHandler<"CreatePolicyVersion"> = async (ctx, input) => {
  const policyArn = input.PolicyArn ?? "";
  const policy = await managedPolicyForCall(ctx, "iam:CreatePolicyVersion", policyArn);
  const document = input.PolicyDocument ?? "";
  checkManagedPolicy(document);
  const setAsDefault = input.SetAsDefault ?? false;
  const outcome = await ctx.services.store.identities.insertPolicyVersion(policy.policyId, document, setAsDefault, MAX_POLICY_VERSIONS, ctx.nowMs);
  if (!outcome.created) {
    if (outcome.reason === "missing") throw new NoSuchEntity(`Policy ${policyArn} was not found.`);
    throw new LimitExceeded(
      `A managed policy can have up to ${MAX_POLICY_VERSIONS} versions. Before you create a new version, you must delete an existing version.`,
    );
  }
  if (setAsDefault) await ctx.services.accessKeys.identitiesChanged();
  // As AWS's, the result leaves the document out.
  return { PolicyVersion: { VersionId: outcome.created.versionId, IsDefaultVersion: setAsDefault, CreateDate: new Date(outcome.created.createdAtMs) } };
};
