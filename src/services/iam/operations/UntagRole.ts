/** UntagRole: removes tags of a role by key. */
import { untagEntity } from "../entityTags.ts";
import type { IamHandler } from "../registry.ts";

export const UntagRole: IamHandler<"UntagRole"> = async (ctx, input) => {
  await untagEntity(ctx, "role", "iam:UntagRole", input.RoleName ?? "", input.TagKeys);
};
