/**
 * AssumeRole's authorization: the role's trust policy is the resource policy of the
 * role, evaluated with the caller's identity (and session) policies by AWS's logic — a
 * trust policy naming the caller lets it in; one naming the caller's account delegates
 * to the caller's identity policies; a caller of another account needs both sides.
 */
import { accessDeniedMessage, globalRequestContext, parsePolicy, type AuthzRequest, type CompiledPolicy, type ConditionValue } from "../../authz/index.ts";
import { authzPrincipal } from "../../authorization/authorizer.ts";
import type { RequestContext } from "../../server/context.ts";
import { AccessDenied } from "../iam/errors.ts";

const compiledTrustPolicies = new Map<string, CompiledPolicy | null>();

/**
 * Throws AccessDenied unless the caller may perform `action` on the role `roleArn` whose
 * trust policy is `trustPolicyJson`: `sts:AssumeRole`, and `sts:TagSession` when the
 * session gets tags (with `aws:RequestTag/*` and `aws:TagKeys` in `operationContext`).
 */
export async function authorizeAssumeRole(
  ctx: RequestContext,
  action: "sts:AssumeRole" | "sts:TagSession",
  trustPolicyJson: string,
  roleArn: string,
  operationContext: Readonly<Record<string, ConditionValue>>,
): Promise<void> {
  const trustPolicy = compileTrustPolicy(trustPolicyJson);
  const request: AuthzRequest = {
    principal: authzPrincipal(ctx.principal),
    action,
    resource: roleArn,
    resourceAccount: roleArn.split(":")[4],
    context: {
      ...globalRequestContext({ now: new Date(ctx.nowMs), sourceIp: ctx.sourceIp, secureTransport: ctx.secureTransport, userAgent: ctx.userAgent }),
      ...operationContext,
    },
  };
  const denied = () => new AccessDenied(`User: ${ctx.principal.arn} is not authorized to perform: ${action} on resource: ${roleArn}`);
  if (!trustPolicy) throw denied();
  const caller = await ctx.services.authorizer.callerPolicies(ctx.principal);
  const decision = ctx.services.authorizer.evaluate(request, {
    resourcePolicy: trustPolicy,
    identityPolicies: caller.identity,
    sessionPolicies: caller.session,
  });
  // STS names the failing policy only when the caller's own identity policies are missing;
  // a trust policy that does not let the caller in is a bare refusal.
  if (!decision.allowed) throw decision.reason === "no-identity-policy-allow" ? new AccessDenied(accessDeniedMessage(request, decision)) : denied();
}

/** A trust policy compiled once per text; one that does not parse trusts nobody. */
function compileTrustPolicy(json: string): CompiledPolicy | undefined {
  let compiled = compiledTrustPolicies.get(json);
  if (compiled === undefined) {
    try {
      compiled = parsePolicy(json, "trust");
    } catch {
      compiled = null;
    }
    if (compiledTrustPolicies.size > 10_000) compiledTrustPolicies.clear();
    compiledTrustPolicies.set(json, compiled);
  }
  return compiled ?? undefined;
}
