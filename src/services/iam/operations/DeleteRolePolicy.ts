/** DeleteRolePolicy: deletes an inline policy of a role. */
import { deleteInlinePolicy } from "../inlinePolicies.ts";
import type { IamHandler } from "../registry.ts";

export const DeleteRolePolicy: IamHandler<"DeleteRolePolicy"> = async (ctx, input) => {
  await deleteInlinePolicy(ctx, "role", "iam:DeleteRolePolicy", input.RoleName ?? "", input.PolicyName ?? "");
};
