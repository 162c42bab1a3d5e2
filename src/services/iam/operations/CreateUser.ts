/** CreateUser: a new IAM user in the caller's account. */
import { requestTagContext } from "../../../authz/index.ts";
import { iamArn } from "../../../identity/arns.ts";
import { newUniqueId } from "../../../identity/ids.ts";
import type { UserRecord } from "../../../identity/records.ts";
import { authorizeIdentityCall } from "../authorize.ts";
import { EntityAlreadyExists, ValidationError } from "../errors.ts";
import type { IamHandler } from "../registry.ts";
import { toUser } from "../shapes.ts";
import { requestTags, tagRecord } from "../tags.ts";

export const CreateUser: IamHandler<"CreateUser"> = async (ctx, input) => {
  const userName = input.UserName ?? "";
  const path = input.Path ?? "/";
  const tags = requestTags(input.Tags);
  await authorizeIdentityCall(ctx, "iam:CreateUser", iamArn(ctx.accountId, "user", path, userName), requestTagContext(tagRecord(tags)));
  if (input.PermissionsBoundary !== undefined) throw new ValidationError("kmsd does not support permissions boundaries yet.");
  const user: UserRecord = {
    accountId: ctx.accountId,
    userId: newUniqueId("user"),
    userName,
    path,
    createdAtMs: ctx.nowMs,
    tags,
  };
  if (!(await ctx.services.store.identities.insertUser(user))) throw new EntityAlreadyExists(`User with name ${userName} already exists.`);
  return { User: toUser(user, true) };
};
