/** TagRole: adds tags to a role, or replaces the values of keys it has (at most 50 tags in all). */
import { tagEntity } from "../entityTags.ts";
import type { IamHandler } from "../registry.ts";

export const TagRole: IamHandler<"TagRole"> = async (ctx, input) => {
  await tagEntity(ctx, "role", "iam:TagRole", input.RoleName ?? "", input.Tags);
};
