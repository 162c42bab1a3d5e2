/** GetUserPolicy: an inline policy of a user, its document URL-encoded. */
import { getInlinePolicy } from "../inlinePolicies.ts";
import type { IamHandler } from "../registry.ts";

export const GetUserPolicy: IamHandler<"GetUserPolicy"> = async (ctx, input) => {
  const { ownerName, PolicyName, PolicyDocument } = await getInlinePolicy(ctx, "user", "iam:GetUserPolicy", input.UserName ?? "", input.PolicyName ?? "");
  return { UserName: ownerName, PolicyName, PolicyDocument };
};
