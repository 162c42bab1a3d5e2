/** ListGroupPolicies: the names of a group's inline policies, paged. */
import { listInlinePolicies } from "../inlinePolicies.ts";
import type { IamHandler } from "../registry.ts";

export const ListGroupPolicies: IamHandler<"ListGroupPolicies"> = (ctx, input) =>
  listInlinePolicies(ctx, "group", "iam:ListGroupPolicies", input.GroupName ?? "", input);
