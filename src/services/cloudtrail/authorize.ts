/**
 * Authorization of CloudTrail calls: the action (`cloudtrail:LookupEvents`) decided by the
 * caller's identity (and session) policies with AWS's logic, as IAM calls are (an account's
 * root may do everything in its own account; users and roles need a policy).
 */
import { accessDeniedMessage, globalRequestContext, type AuthzRequest } from "../../authz/index.ts";
import { authzPrincipal } from "../../authorization/authorizer.ts";
import { AccessDeniedException } from "../../errors.ts";
import type { RequestContext } from "../../server/context.ts";

/** Throws AccessDeniedException unless the caller may perform `action` (on `*`, as CloudTrail's read actions). */
export async function authorizeCloudTrailCall(ctx: RequestContext, action: string): Promise<void> {
  const caller = await ctx.services.authorizer.callerPolicies(ctx.principal);
  const request: AuthzRequest = {
    principal: authzPrincipal(ctx.principal),
    action,
    resource: "*",
    resourceAccount: ctx.accountId,
    context: globalRequestContext({
      now: new Date(ctx.nowMs),
      sourceIp: ctx.sourceIp,
      secureTransport: ctx.secureTransport,
      requestedRegion: ctx.region,
      userAgent: ctx.userAgent,
    }),
  };
  const decision = ctx.services.authorizer.evaluate(request, { identityPolicies: caller.identity, sessionPolicies: caller.session });
  if (!decision.allowed) throw new AccessDeniedException(accessDeniedMessage(request, decision));
}
