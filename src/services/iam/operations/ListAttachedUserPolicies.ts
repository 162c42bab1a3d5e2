/** ListAttachedUserPolicies: the managed policies attached to a user, paged. */
import { listAttachedPolicies } from "../attachments.ts";
import type { IamHandler } from "../registry.ts";

export const ListAttachedUserPolicies: IamHandler<"ListAttachedUserPolicies"> = (ctx, input) =>
  listAttachedPolicies(ctx, "user", "iam:ListAttachedUserPolicies", input.UserName ?? "", input);
