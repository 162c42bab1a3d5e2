/** DeleteUser: deletes a user that has no access keys, policies or group memberships left (else DeleteConflict). */
import { userForCall } from "../entities.ts";
import { deleteConflict } from "../conflicts.ts";
import { NoSuchEntity } from "../errors.ts";
import type { IamHandler } from "../registry.ts";

export const DeleteUser: IamHandler<"DeleteUser"> = async (ctx, input) => {
  const user = await userForCall(ctx, "iam:DeleteUser", input.UserName ?? "");
  const outcome = await ctx.services.store.identities.deleteUser(user.userId);
  if (!outcome.deleted) {
    if (outcome.blocker === "missing") throw new NoSuchEntity(`The user with name ${user.userName} cannot be found.`);
    throw deleteConflict(outcome.blocker);
  }
  // Drops the user's cached keys (every user entry) and identity policies, in every worker.
  await ctx.services.accessKeys.identitiesChanged();
};
