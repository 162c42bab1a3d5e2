/** ListGroups: the account's groups whose path starts with PathPrefix, by name, paged. */
import { iamCollectionArn } from "../../../identity/arns.ts";
import { authorizeIdentityCall } from "../authorize.ts";
import { listOptions, pageFields } from "../paging.ts";
import type { IamHandler } from "../registry.ts";
import { toGroup } from "../shapes.ts";

export const ListGroups: IamHandler<"ListGroups"> = async (ctx, input) => {
  await authorizeIdentityCall(ctx, "iam:ListGroups", iamCollectionArn(ctx.accountId, "group"));
  const page = await ctx.services.store.identities.listGroups(ctx.accountId, listOptions(input, input.PathPrefix));
  return { Groups: page.items.map(toGroup), ...pageFields(page) };
};
