/** CreateGroup: a new IAM group. */
import { iamArn } from "../../../identity/arns.ts";
import { newUniqueId } from "../../../identity/ids.ts";
import type { GroupRecord } from "../../../identity/records.ts";
import { authorizeIdentityCall } from "../authorize.ts";
import { EntityAlreadyExists } from "../errors.ts";
import type { IamHandler } from "../registry.ts";
import { toGroup } from "../shapes.ts";

export const CreateGroup: IamHandler<"CreateGroup"> = async (ctx, input) => {
  const groupName = input.GroupName ?? "";
  const path = input.Path ?? "/";
  await authorizeIdentityCall(ctx, "iam:CreateGroup", iamArn(ctx.accountId, "group", path, groupName));
  const group: GroupRecord = { accountId: ctx.accountId, groupId: newUniqueId("group"), groupName, path, createdAtMs: ctx.nowMs };
  if (!(await ctx.services.store.identities.insertGroup(group))) throw new EntityAlreadyExists(`Group with name ${groupName} already exists.`);
  return { Group: toGroup(group) };
};
