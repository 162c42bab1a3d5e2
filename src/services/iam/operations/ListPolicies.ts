/**
 * ListPolicies: the account's customer managed policies, by name, paged. kmsd has no
 * AWS managed policies, so Scope AWS lists none.
 */
import { iamCollectionArn } from "../../../identity/arns.ts";
import { authorizeIdentityCall } from "../authorize.ts";
import { listOptions, pageFields } from "../paging.ts";
import type { IamHandler } from "../registry.ts";
import { toPolicy } from "../shapes.ts";

export const ListPolicies: IamHandler<"ListPolicies"> = async (ctx, input) => {
  await authorizeIdentityCall(ctx, "iam:ListPolicies", iamCollectionArn(ctx.accountId, "policy"));
  if (input.Scope === "AWS") return { Policies: [], IsTruncated: false };
  const page = await ctx.services.store.identities.listManagedPolicies(ctx.accountId, {
    ...listOptions(input, input.PathPrefix),
    onlyAttached: input.OnlyAttached === true,
  });
  return { Policies: page.items.map((policy) => toPolicy(policy)), ...pageFields(page) };
};
