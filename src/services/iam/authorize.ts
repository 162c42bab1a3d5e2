/**
 * The authorization of every IAM and STS operation: the operation's IAM action
 * (`iam:CreateUser`, `sts:AssumeRole`...) on the resource AWS authorizes it on, decided
 * by the caller's identity (and session) policies with AWS's logic. An account's root
 * may do everything in its own account; nobody acts on another account's IAM entities.
 */
import { accessDeniedMessage, globalRequestContext, type AuthzRequest, type ConditionValue } from "../../authz/index.ts";
import { authzPrincipal } from "../../authorization/authorizer.ts";
import { UnrecognizedClientException } from "../../errors.ts";
import type { RequestContext } from "../../server/context.ts";
import { AccessDenied } from "./errors.ts";

/** Condition keys a particular operation adds to the global ones (`aws:RequestTag/*`, `aws:TagKeys`...). */
export type OperationContext = Readonly<Record<string, ConditionValue>>;

/**
 * Throws AccessDenied unless the caller may perform `action` on `resourceArn`. IAM refuses
 * GetSessionToken's credentials (without MFA) outright, as AWS does, before any policy.
 */
export async function authorizeIdentityCall(ctx: RequestContext, action: string, resourceArn: string, operationContext: OperationContext = {}): Promise<void> {
  if (ctx.principal.kind !== "AssumedRole" && ctx.principal.fromSessionToken) {
    throw new UnrecognizedClientException("The security token included in the request is invalid.");
  }
  const caller = await ctx.services.authorizer.callerPolicies(ctx.principal);
  const request: AuthzRequest = {
    principal: authzPrincipal(ctx.principal),
    action,
    resource: resourceArn,
    resourceAccount: resourceArn.split(":")[4] || ctx.accountId,
    context: {
      ...globalRequestContext({ now: new Date(ctx.nowMs), sourceIp: ctx.sourceIp, secureTransport: ctx.secureTransport, userAgent: ctx.userAgent }),
      ...operationContext,
    },
  };
  const decision = ctx.services.authorizer.evaluate(request, { identityPolicies: caller.identity, sessionPolicies: caller.session });
  if (!decision.allowed) throw new AccessDenied(accessDeniedMessage(request, decision));
}
