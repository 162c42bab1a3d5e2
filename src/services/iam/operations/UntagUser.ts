/** UntagUser: removes tags of a user by key. */
import { untagEntity } from "../entityTags.ts";
import type { IamHandler } from "../registry.ts";

export const UntagUser: IamHandler<"UntagUser"> = async (ctx, input) => {
  await untagEntity(ctx, "user", "iam:UntagUser", input.UserName ?? "", input.TagKeys);
};
