/** AddUserToGroup: makes a user a member of a group (authorized on the group, as AWS does). */
import { groupForCall } from "../entities.ts";
import { NoSuchEntity } from "../errors.ts";
import type { IamHandler } from "../registry.ts";

export const AddUserToGroup: IamHandler<"AddUserToGroup"> = async (ctx, input) => {
  const group = await groupForCall(ctx, "iam:AddUserToGroup", input.GroupName ?? "");
  const userName = input.UserName ?? "";
  const user = await ctx.services.store.identities.getUser(ctx.accountId, userName);
  if (!user) throw new NoSuchEntity(`The user with name ${userName} cannot be found.`);
  await ctx.services.store.identities.addUserToGroup(group.groupId, user.userId);
  await ctx.services.accessKeys.identitiesChanged();
};
