/** GetRolePolicy: an inline policy of a role, its document URL-encoded. */
import { getInlinePolicy } from "../inlinePolicies.ts";
import type { IamHandler } from "../registry.ts";

export const GetRolePolicy: IamHandler<"GetRolePolicy"> = async (ctx, input) => {
  const { ownerName, PolicyName, PolicyDocument } = await getInlinePolicy(ctx, "role", "iam:GetRolePolicy", input.RoleName ?? "", input.PolicyName ?? "");
  return { RoleName: ownerName, PolicyName, PolicyDocument };
};
