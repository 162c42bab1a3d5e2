/** UpdateRole: changes a role's description and/or maximum session duration (only those given). */
import { roleForCall } from "../entities.ts";
import { NoSuchEntity } from "../errors.ts";
import type { IamHandler } from "../registry.ts";

export const UpdateRole: IamHandler<"UpdateRole"> = async (ctx, input) => {
  const role = await roleForCall(ctx, "iam:UpdateRole", input.RoleName ?? "");
  const changes = {
    ...(input.Description === undefined ? {} : { description: input.Description }),
    ...(input.MaxSessionDuration === undefined ? {} : { maxSessionDurationSeconds: input.MaxSessionDuration }),
  };
  if (!(await ctx.services.store.identities.updateRole(role.roleId, changes))) {
    throw new NoSuchEntity(`The role with name ${role.roleName} cannot be found.`);
  }
  return {};
};
