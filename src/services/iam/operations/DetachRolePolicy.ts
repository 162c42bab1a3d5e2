/** DetachRolePolicy: detaches a managed policy from a role. */
import { detachPolicy } from "../attachments.ts";
import type { IamHandler } from "../registry.ts";

export const DetachRolePolicy: IamHandler<"DetachRolePolicy"> = async (ctx, input) => {
  await detachPolicy(ctx, "role", "iam:DetachRolePolicy", input.RoleName ?? "", input.PolicyArn ?? "");
};
