/** PutGroupPolicy: creates or replaces an inline policy of a group. */
import { putInlinePolicy } from "../inlinePolicies.ts";
import type { IamHandler } from "../registry.ts";

export const PutGroupPolicy: IamHandler<"PutGroupPolicy"> = async (ctx, input) => {
  await putInlinePolicy(ctx, "group", "iam:PutGroupPolicy", input.GroupName ?? "", input.PolicyName ?? "", input.PolicyDocument ?? "");
};
