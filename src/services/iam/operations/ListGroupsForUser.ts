/** ListGroupsForUser: the groups a user belongs to, by name, paged. */
import { userForCall } from "../entities.ts";
import { listOptions, pageFields } from "../paging.ts";
import type { IamHandler } from "../registry.ts";
import { toGroup } from "../shapes.ts";

export const ListGroupsForUser: IamHandler<"ListGroupsForUser"> = async (ctx, input) => {
  const user = await userForCall(ctx, "iam:ListGroupsForUser", input.UserName ?? "");
  const page = await ctx.services.store.identities.listGroupsForUser(user.userId, listOptions(input));
  return { Groups: page.items.map(toGroup), ...pageFields(page) };
};
