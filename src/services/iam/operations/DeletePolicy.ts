/** DeletePolicy: deletes a managed policy that is attached to nothing (else DeleteConflict). */
import { deleteConflict } from "../conflicts.ts";
import { managedPolicyForCall } from "../entities.ts";
import { NoSuchEntity } from "../errors.ts";
import type { IamHandler } from "../registry.ts";

export const DeletePolicy: IamHandler<"DeletePolicy"> = async (ctx, input) => {
  const policyArn = input.PolicyArn ?? "";
  const policy = await managedPolicyForCall(ctx, "iam:DeletePolicy", policyArn);
  const outcome = await ctx.services.store.identities.deleteManagedPolicy(policy.policyId);
  if (!outcome.deleted) {
    if (outcome.blocker === "missing") throw new NoSuchEntity(`Policy ${policyArn} was not found.`);
    throw deleteConflict(outcome.blocker);
  }
  await ctx.services.accessKeys.identitiesChanged();
};
