/** GetGroupPolicy: an inline policy of a group, its document URL-encoded. */
import { getInlinePolicy } from "../inlinePolicies.ts";
import type { IamHandler } from "../registry.ts";

export const GetGroupPolicy: IamHandler<"GetGroupPolicy"> = async (ctx, input) => {
  const { ownerName, PolicyName, PolicyDocument } = await getInlinePolicy(ctx, "group", "iam:GetGroupPolicy", input.GroupName ?? "", input.PolicyName ?? "");
  return { GroupName: ownerName, PolicyName, PolicyDocument };
};
