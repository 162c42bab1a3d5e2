/** GetPolicy: a customer managed policy's metadata (GetPolicyVersion has the document). */
import { managedPolicyForCall } from "../entities.ts";
import type { IamHandler } from "../registry.ts";
import { toPolicy } from "../shapes.ts";

export const GetPolicy: IamHandler<"GetPolicy"> = async (ctx, input) => ({
  Policy: toPolicy(await managedPolicyForCall(ctx, "iam:GetPolicy", input.PolicyArn ?? ""), true),
});
