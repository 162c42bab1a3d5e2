/** ListAttachedRolePolicies: the managed policies attached to a role, paged. */
import { listAttachedPolicies } from "../attachments.ts";
import type { IamHandler } from "../registry.ts";

export const ListAttachedRolePolicies: IamHandler<"ListAttachedRolePolicies"> = (ctx, input) =>
  listAttachedPolicies(ctx, "role", "iam:ListAttachedRolePolicies", input.RoleName ?? "", input);
