/** ListRoles: the account's roles whose path starts with PathPrefix, by name, paged. */
import { iamCollectionArn } from "../../../identity/arns.ts";
import { authorizeIdentityCall } from "../authorize.ts";
import { listOptions, pageFields } from "../paging.ts";
import type { IamHandler } from "../registry.ts";
import { toRole } from "../shapes.ts";

export const ListRoles: IamHandler<"ListRoles"> = async (ctx, input) => {
  await authorizeIdentityCall(ctx, "iam:ListRoles", iamCollectionArn(ctx.accountId, "role"));
  const page = await ctx.services.store.identities.listRoles(ctx.accountId, listOptions(input, input.PathPrefix));
  return { Roles: page.items.map((role) => toRole(role)), ...pageFields(page) };
};
