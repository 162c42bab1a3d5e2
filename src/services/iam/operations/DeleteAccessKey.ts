/** DeleteAccessKey: deletes a key; it stops authenticating at once and its id is never accepted again. */
import { keyOwnerForCall, ownedAccessKey } from "../accessKeyOwners.ts";
import type { IamHandler } from "../registry.ts";

export const DeleteAccessKey: IamHandler<"DeleteAccessKey"> = async (ctx, input) => {
  const owner = await keyOwnerForCall(ctx, "iam:DeleteAccessKey", input.UserName);
  const key = await ownedAccessKey(ctx, owner, input.AccessKeyId ?? "");
  await ctx.services.store.identities.deleteAccessKey(key.accessKeyId, ctx.nowMs);
  await ctx.services.accessKeys.forget(key.accessKeyId);
};
