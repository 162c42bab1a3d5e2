/** ListUserTags: a page of a user's tags. */
import { listEntityTags } from "../entityTags.ts";
import type { IamHandler } from "../registry.ts";

export const ListUserTags: IamHandler<"ListUserTags"> = (ctx, input) => listEntityTags(ctx, "user", "iam:ListUserTags", input.UserName ?? "", input);
