/** TagUser: adds tags to a user, or replaces the values of keys it has (at most 50 tags in all). */
import { tagEntity } from "../entityTags.ts";
import type { IamHandler } from "../registry.ts";

export const TagUser: IamHandler<"TagUser"> = async (ctx, input) => {
  await tagEntity(ctx, "user", "iam:TagUser", input.UserName ?? "", input.Tags);
};
