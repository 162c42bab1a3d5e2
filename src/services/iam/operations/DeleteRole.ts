/**
 * DeleteRole: deletes a role that has no policies left (else DeleteConflict). Sessions
 * already issued stop working at once: a session belongs to the role's unique id, so
 * neither a key policy or grant naming the role's ARN nor a role created again under the
 * same name gives it any access (see identity/accessKeys.ts).
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
