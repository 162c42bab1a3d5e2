/** UpdateAssumeRolePolicy: replaces a role's trust policy (it governs AssumeRole calls from now on). */
import { checkTrustPolicy } from "../documents.ts";
import { roleForCall } from "../entities.ts";
import { NoSuchEntity } from "../errors.ts";
import type { IamHandler } from "../registry.ts";

export const UpdateAssumeRolePolicy: IamHandler<"UpdateAssumeRolePolicy"> = async (ctx, input) => {
  const role = await roleForCall(ctx, "iam:UpdateAssumeRolePolicy", input.RoleName ?? "");
  const document = input.PolicyDocument ?? "";
  await checkTrustPolicy(ctx.services.store, document);
  // Only the trust policy column: a concurrent UpdateRole or TagRole (any worker) is kept.
  if (!(await ctx.services.store.identities.updateRole(role.roleId, { assumeRolePolicyDocument: document }))) {
    throw new NoSuchEntity(`The role with name ${role.roleName} cannot be found.`);
  }
  await ctx.services.accessKeys.identitiesChanged();
};
