/** UntagPolicy: removes tags of a policy by key. */
import { untagEntity } from "../entityTags.ts";
import type { IamHandler } from "../registry.ts";

export const UntagPolicy: IamHandler<"UntagPolicy"> = async (ctx, input) => {
  await untagEntity(ctx, "policy", "iam:UntagPolicy", input.PolicyArn ?? "", input.TagKeys);
};
