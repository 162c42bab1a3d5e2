/** ListUserPolicies: the names of a user's inline policies, paged. */
import { listInlinePolicies } from "../inlinePolicies.ts";
import type { IamHandler } from "../registry.ts";

export const ListUserPolicies: IamHandler<"ListUserPolicies"> = (ctx, input) =>
  listInlinePolicies(ctx, "user", "iam:ListUserPolicies", input.UserName ?? "", input);
