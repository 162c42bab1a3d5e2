/** CreateAccessKey: a new long-term access key; the secret is shown in this response only. */
import { mintUserAccessKey, mintRootAccessKey } from "../../../identity/accessKeys.ts";
import type { IdentityAccessKey } from "../../../identity/records.ts";
import { keyOwnerForCall } from "../accessKeyOwners.ts";
import { LimitExceeded } from "../errors.ts";
import type { IamHandler } from "../registry.ts";

/** Access keys per user (and per account root), as AWS allows. */
export const ACCESS_KEYS_PER_USER = 2;

export const CreateAccessKey: IamHandler<"CreateAccessKey"> = async (ctx, input) => {
  const owner = await keyOwnerForCall(ctx, "iam:CreateAccessKey", input.UserName);
  const { rootKey, store } = ctx.services;
  let minted: { stored: IdentityAccessKey; secretAccessKey: string };
  if (owner.userId === undefined) minted = mintRootAccessKey(rootKey, ctx.accountId, ctx.nowMs);
  else minted = mintUserAccessKey(rootKey, { accountId: ctx.accountId, userId: owner.userId }, ctx.nowMs);
  if (!(await store.identities.insertAccessKey(minted.stored, ACCESS_KEYS_PER_USER))) {
    throw new LimitExceeded(`Cannot exceed quota for AccessKeysPerUser: ${ACCESS_KEYS_PER_USER}`);
  }
  return {
    AccessKey: {
      UserName: owner.userName,
      AccessKeyId: minted.stored.accessKeyId,
      Status: minted.stored.status,
      SecretAccessKey: minted.secretAccessKey,
      CreateDate: new Date(minted.stored.createdAtMs),
    },
  };
};
