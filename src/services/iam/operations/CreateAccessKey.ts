/** CreateAccessKey: a new long-term access key; the secret is shown in this response only. */
import { mintAccessKey, type ChosenAccessKey } from "../../../identity/accessKeys.ts";
import type { RequestContext } from "../../../server/context.ts";
import type { IamOperationTypes } from "../operationTypes.ts";
import { keyOwnerForCall } from "../accessKeyOwners.ts";
import { LimitExceeded } from "../errors.ts";
import type { IamHandler } from "../registry.ts";

/** Access keys per user (and per account root), as AWS allows. */
export const ACCESS_KEYS_PER_USER = 2;

export const CreateAccessKey: IamHandler<"CreateAccessKey"> = async (ctx, input) => createAccessKey(ctx, input);

/** CreateAccessKey, with the id and secret `chosen` when a seed file names them. */
export async function createAccessKey(ctx: RequestContext, input: IamOperationTypes["CreateAccessKey"]["input"], chosen?: ChosenAccessKey): Promise<IamOperationTypes["CreateAccessKey"]["output"]> {
  const owner = await keyOwnerForCall(ctx, "iam:CreateAccessKey", input.UserName);
  const { rootKey, store } = ctx.services;
  const minted = mintAccessKey(rootKey, ctx.accountId, owner.userId === undefined ? { kind: "root" } : { kind: "user", userId: owner.userId }, ctx.nowMs, chosen);
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
}
