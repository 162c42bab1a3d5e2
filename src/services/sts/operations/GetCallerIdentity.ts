/** GetCallerIdentity: who the caller is. Needs no permission, as in AWS. */
import type { StsHandler } from "../registry.ts";

export const GetCallerIdentity: StsHandler<"GetCallerIdentity"> = async (ctx) => ({
  UserId: ctx.principal.userId,
  Account: ctx.principal.accountId,
  Arn: ctx.principal.arn,
});
