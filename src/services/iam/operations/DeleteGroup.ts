/** DeleteGroup: deletes a group that has no members and no policies left (else DeleteConflict). */
import { deleteConflict } from "../conflicts.ts";
import { groupForCall } from "../entities.ts";
import { NoSuchEntity } from "../errors.ts";
import type { IamHandler } from "../registry.ts";

export const DeleteGroup: IamHandler<"DeleteGroup"> = async (ctx, input) => {
  const group = await groupForCall(ctx, "iam:DeleteGroup", input.GroupName ?? "");
  const outcome = await ctx.services.store.identities.deleteGroup(group.groupId);
  if (!outcome.deleted) {
    if (outcome.blocker === "missing") throw new NoSuchEntity(`The group with name ${group.groupName} cannot be found.`);
    throw deleteConflict(outcome.blocker);
  }
  await ctx.services.accessKeys.identitiesChanged();
};
