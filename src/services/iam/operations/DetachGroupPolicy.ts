/** DetachGroupPolicy: detaches a managed policy from a group. */
import { detachPolicy } from "../attachments.ts";
import type { IamHandler } from "../registry.ts";

export const DetachGroupPolicy: IamHandler<"DetachGroupPolicy"> = async (ctx, input) => {
  await detachPolicy(ctx, "group", "iam:DetachGroupPolicy", input.GroupName ?? "", input.PolicyArn ?? "");
};
