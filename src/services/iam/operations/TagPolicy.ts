/** TagPolicy: adds tags to a policy, or replaces the values of keys it has (at most 50 in all). */
import { tagEntity } from "../entityTags.ts";
import type { IamHandler } from "../registry.ts";

export const TagPolicy: IamHandler<"TagPolicy"> = async (ctx, input) => {
  await tagEntity(ctx, "policy", "iam:TagPolicy", input.PolicyArn ?? "", input.Tags);
};
