/** RemoveUserFromGroup: ends a user's membership of a group. */
import { groupForCall } from "../entities.ts";
import { NoSuchEntity } from "../errors.ts";
import type { IamHandler } from "../registry.ts";

export const RemoveUserFromGroup: IamHandler<"RemoveUserFromGroup"> = async (ctx, input) => {
  const group = await groupForCall(ctx, "iam:RemoveUserFromGroup", input.GroupName ?? "");
  const userName = input.UserName ?? "";
  const user = await ctx.services.store.identities.getUser(ctx.accountId, userName);
  if (!user || !(await ctx.services.store.identities.removeUserFromGroup(group.groupId, user.userId))) {
    throw new NoSuchEntity(`The user with name ${userName} cannot be found.`);
  }
  await ctx.services.accessKeys.identitiesChanged();
};
