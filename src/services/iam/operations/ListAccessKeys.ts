/** ListAccessKeys: a user's (or the calling root's) access keys, without secrets. */
import { keyOwnerForCall } from "../accessKeyOwners.ts";
import type { IamHandler } from "../registry.ts";
import { toAccessKeyMetadata } from "../shapes.ts";

export const ListAccessKeys: IamHandler<"ListAccessKeys"> = async (ctx, input) => {
  const owner = await keyOwnerForCall(ctx, "iam:ListAccessKeys", input.UserName);
  // At most two keys per owner: one page always holds them all.
  const keys = await ctx.services.store.identities.listAccessKeys(ctx.accountId, owner.userId);
  return { AccessKeyMetadata: keys.map((key) => toAccessKeyMetadata(key, owner.userName)), IsTruncated: false };
};
