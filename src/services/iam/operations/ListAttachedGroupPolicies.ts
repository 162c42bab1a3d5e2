/** ListAttachedGroupPolicies: the managed policies attached to a group, paged. */
import { listAttachedPolicies } from "../attachments.ts";
import type { IamHandler } from "../registry.ts";

export const ListAttachedGroupPolicies: IamHandler<"ListAttachedGroupPolicies"> = (ctx, input) =>
  listAttachedPolicies(ctx, "group", "iam:ListAttachedGroupPolicies", input.GroupName ?? "", input);
