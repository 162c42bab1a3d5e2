/** ListRoleTags: a page of a role's tags. */
import { listEntityTags } from "../entityTags.ts";
import type { IamHandler } from "../registry.ts";

export const ListRoleTags: IamHandler<"ListRoleTags"> = (ctx, input) => listEntityTags(ctx, "role", "iam:ListRoleTags", input.RoleName ?? "", input);
