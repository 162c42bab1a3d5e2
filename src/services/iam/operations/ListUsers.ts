/** ListUsers: the account's users whose path starts with PathPrefix, by name, paged. */
import { iamCollectionArn } from "../../../identity/arns.ts";
import { authorizeIdentityCall } from "../authorize.ts";
import { listOptions, pageFields } from "../paging.ts";
import type { IamHandler } from "../registry.ts";
import { toUser } from "../shapes.ts";

export const ListUsers: IamHandler<"ListUsers"> = async (ctx, input) => {
  await authorizeIdentityCall(ctx, "iam:ListUsers", iamCollectionArn(ctx.accountId, "user"));
  const page = await ctx.services.store.identities.listUsers(ctx.accountId, listOptions(input, input.PathPrefix));
  return { Users: page.items.map((user) => toUser(user)), ...pageFields(page) };
};
