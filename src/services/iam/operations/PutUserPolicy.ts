/** PutUserPolicy: creates or replaces an inline policy of a user. */
import { putInlinePolicy } from "../inlinePolicies.ts";
import type { IamHandler } from "../registry.ts";

export const PutUserPolicy: IamHandler<"PutUserPolicy"> = async (ctx, input) => {
  await putInlinePolicy(ctx, "user", "iam:PutUserPolicy", input.UserName ?? "", input.PolicyName ?? "", input.PolicyDocument ?? "");
};
