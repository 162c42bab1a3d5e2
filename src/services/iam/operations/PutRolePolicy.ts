/** PutRolePolicy: creates or replaces an inline policy of a role. */
import { putInlinePolicy } from "../inlinePolicies.ts";
import type { IamHandler } from "../registry.ts";

export const PutRolePolicy: IamHandler<"PutRolePolicy"> = async (ctx, input) => {
  await putInlinePolicy(ctx, "role", "iam:PutRolePolicy", input.RoleName ?? "", input.PolicyName ?? "", input.PolicyDocument ?? "");
};
