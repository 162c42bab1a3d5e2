/** UpdateAssumeRolePolicy: replaces a role's trust policy (it governs AssumeRole calls from now on). */
import { checkTrustPolicy } from "../documents.ts";
import { roleForCall } from "../entities.ts";
import type { IamHandler } from "../registry.ts";

export const UpdateAssumeRolePolicy: IamHandler<"UpdateAssumeRolePolicy"> = async (ctx, input) => {
  const role = await roleForCall(ctx, "iam:UpdateAssumeRolePolicy", input.RoleName ?? "");
  const document = input.PolicyDocument ?? "";
  await checkTrustPolicy(ctx.services.store, document);
  await ctx.services.store.identities.updateRole({ ...role, assumeRolePolicyDocument: document });
  await ctx.services.accessKeys.identitiesChanged();
};
