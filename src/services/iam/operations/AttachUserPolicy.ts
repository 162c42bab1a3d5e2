/** AttachUserPolicy: attaches a customer managed policy to a user. */
import { attachPolicy } from "../attachments.ts";
import type { IamHandler } from "../registry.ts";

export const AttachUserPolicy: IamHandler<"AttachUserPolicy"> = async (ctx, input) => {
  await attachPolicy(ctx, "user", "iam:AttachUserPolicy", input.UserName ?? "", input.PolicyArn ?? "");
};
