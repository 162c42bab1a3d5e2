/** DeleteGroupPolicy: deletes an inline policy of a group. */
import { deleteInlinePolicy } from "../inlinePolicies.ts";
import type { IamHandler } from "../registry.ts";

export const DeleteGroupPolicy: IamHandler<"DeleteGroupPolicy"> = async (ctx, input) => {
  await deleteInlinePolicy(ctx, "group", "iam:DeleteGroupPolicy", input.GroupName ?? "", input.PolicyName ?? "");
};
