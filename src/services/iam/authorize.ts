/**
 * The authorization hook of every IAM and STS operation: ONE function, called with the
 * operation's IAM action (`iam:CreateUser`, `sts:AssumeRole`…) and the ARN of the
 * resource AWS authorizes it on. Until the policy evaluator is wired in here, an
 * account's root may do everything in its own account and every other caller is
 * denied, with AWS's message (no identity-based policy can allow anything yet).
 */
import type { RequestContext } from "../../server/context.ts";
import { AccessDenied } from "./errors.ts";

/** Throws AccessDenied unless the caller may perform `action` on `resourceArn`. */
export async function authorizeIdentityCall(ctx: RequestContext, action: string, resourceArn: string): Promise<void> {
  const principal = ctx.principal;
  if (principal.kind === "Root" && resourceAccount(resourceArn) === principal.accountId) return;
  throw new AccessDenied(
    `User: ${principal.arn} is not authorized to perform: ${action} on resource: ${resourceArn} because no identity-based policy allows the ${action} action`,
  );
}

// arn:aws:SERVICE:REGION:ACCOUNT:...
function resourceAccount(arn: string): string | undefined {
  return arn.split(":")[4];
}
