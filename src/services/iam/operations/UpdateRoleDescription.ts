/** UpdateRoleDescription: changes a role's description; answers the role as it now is. */
import { roleForCall } from "../entities.ts";
import { NoSuchEntity } from "../errors.ts";
import type { IamHandler } from "../registry.ts";
import { toRole } from "../shapes.ts";

export const UpdateRoleDescription: IamHandler<"UpdateRoleDescription"> = async (ctx, input) => {
  const role = await roleForCall(ctx, "iam:UpdateRoleDescription", input.RoleName ?? "");
  const identities = ctx.services.store.identities;
  const updated = (await identities.updateRole(role.roleId, { description: input.Description ?? "" }))
    ? await identities.getRole(role.accountId, role.roleName)
    : undefined;
  if (!updated || updated.roleId !== role.roleId) throw new NoSuchEntity(`The role with name ${role.roleName} cannot be found.`);
  return { Role: toRole(updated, true) };
};
