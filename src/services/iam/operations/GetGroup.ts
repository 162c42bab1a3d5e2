/** GetGroup: a group and its members, the members paged. */
import { groupForCall } from "../entities.ts";
import { listOptions, pageFields } from "../paging.ts";
import type { IamHandler } from "../registry.ts";
import { toGroup, toUser } from "../shapes.ts";

export const GetGroup: IamHandler<"GetGroup"> = async (ctx, input) => {
  const group = await groupForCall(ctx, "iam:GetGroup", input.GroupName ?? "");
  const page = await ctx.services.store.identities.listGroupMembers(group.groupId, listOptions(input));
  return { Group: toGroup(group), Users: page.items.map((user) => toUser(user)), ...pageFields(page) };
};
