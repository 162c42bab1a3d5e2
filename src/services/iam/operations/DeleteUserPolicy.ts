/** DeleteUserPolicy: deletes an inline policy of a user. */
import { deleteInlinePolicy } from "../inlinePolicies.ts";
import type { IamHandler } from "../registry.ts";

export const DeleteUserPolicy: IamHandler<"DeleteUserPolicy"> = async (ctx, input) => {
  await deleteInlinePolicy(ctx, "user", "iam:DeleteUserPolicy", input.UserName ?? "", input.PolicyName ?? "");
};
