/**
 * DeleteRole: deletes a role that has no policies left (else DeleteConflict). Sessions
 * already issued keep authenticating until they expire, as in AWS, but no policy of the
 * role applies to them any more.
 */
import { deleteConflict } from "../conflicts.ts";
import { roleForCall } from "../entities.ts";
import { NoSuchEntity } from "../errors.ts";
import type { IamHandler } from "../registry.ts";

export const DeleteRole: IamHandler<"DeleteRole"> = async (ctx, input) => {
  const role = await roleForCall(ctx, "iam:DeleteRole", input.RoleName ?? "");
  const outcome = await ctx.services.store.identities.deleteRole(role.roleId);
  if (!outcome.deleted) {
    if (outcome.blocker === "missing") throw new NoSuchEntity(`The role with name ${role.roleName} cannot be found.`);
    throw deleteConflict(outcome.blocker);
  }
  await ctx.services.accessKeys.identitiesChanged();
};
