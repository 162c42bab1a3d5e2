/** AttachRolePolicy: attaches a customer managed policy to a role. */
import { attachPolicy } from "../attachments.ts";
import type { IamHandler } from "../registry.ts";

export const AttachRolePolicy: IamHandler<"AttachRolePolicy"> = async (ctx, input) => {
  await attachPolicy(ctx, "role", "iam:AttachRolePolicy", input.RoleName ?? "", input.PolicyArn ?? "");
};
