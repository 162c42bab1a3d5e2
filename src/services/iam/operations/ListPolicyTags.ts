/** ListPolicyTags: a page of a policy's tags. */
import { listEntityTags } from "../entityTags.ts";
import type { IamHandler } from "../registry.ts";

export const ListPolicyTags: IamHandler<"ListPolicyTags"> = (ctx, input) => listEntityTags(ctx, "policy", "iam:ListPolicyTags", input.PolicyArn ?? "", input);
