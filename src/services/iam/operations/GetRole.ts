/** GetRole: a role with its URL-encoded trust policy. */
import { roleForCall } from "../entities.ts";
import type { IamHandler } from "../registry.ts";
import { toRole } from "../shapes.ts";

export const GetRole: IamHandler<"GetRole"> = async (ctx, input) => ({
  Role: toRole(await roleForCall(ctx, "iam:GetRole", input.RoleName ?? ""), true),
});
