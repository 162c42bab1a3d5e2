/** ListRolePolicies: the names of a role's inline policies, paged. */
import { listInlinePolicies } from "../inlinePolicies.ts";
import type { IamHandler } from "../registry.ts";

export const ListRolePolicies: IamHandler<"ListRolePolicies"> = (ctx, input) =>
  listInlinePolicies(ctx, "role", "iam:ListRolePolicies", input.RoleName ?? "", input);
