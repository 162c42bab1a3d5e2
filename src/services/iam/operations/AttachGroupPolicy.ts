/** AttachGroupPolicy: attaches a customer managed policy to a group. */
import { attachPolicy } from "../attachments.ts";
import type { IamHandler } from "../registry.ts";

export const AttachGroupPolicy: IamHandler<"AttachGroupPolicy"> = async (ctx, input) => {
  await attachPolicy(ctx, "group", "iam:AttachGroupPolicy", input.GroupName ?? "", input.PolicyArn ?? "");
};
