/** DetachUserPolicy: detaches a managed policy from a user. */
import { detachPolicy } from "../attachments.ts";
import type { IamHandler } from "../registry.ts";

export const DetachUserPolicy: IamHandler<"DetachUserPolicy"> = async (ctx, input) => {
  await detachPolicy(ctx, "user", "iam:DetachUserPolicy", input.UserName ?? "", input.PolicyArn ?? "");
};
