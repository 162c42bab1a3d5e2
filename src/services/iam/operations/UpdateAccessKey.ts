/** UpdateAccessKey: makes a key Active or Inactive; an inactive key stops authenticating at once. */
import { keyOwnerForCall, ownedAccessKey } from "../accessKeyOwners.ts";
import type { IamHandler } from "../registry.ts";

export const UpdateAccessKey: IamHandler<"UpdateAccessKey"> = async (ctx, input) => {
  const owner = await keyOwnerForCall(ctx, "iam:UpdateAccessKey", input.UserName);
  const key = await ownedAccessKey(ctx, owner, input.AccessKeyId ?? "");
  await ctx.services.store.identities.setAccessKeyStatus(key.accessKeyId, input.Status === "Inactive" ? "Inactive" : "Active");
  await ctx.services.accessKeys.forget(key.accessKeyId);
};
