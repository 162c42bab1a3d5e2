/**
 * The decision, as AWS makes it for KMS keys (and role trust policies):
 *  1. an explicit Deny in any policy wins;
 *  2. in the resource's account, the request is allowed when the resource policy (or a
 *     grant) names the caller, or names the caller's account and an identity policy
 *     allows; a resource policy naming only the account root does not by itself allow an
 *     IAM user or role, it lets IAM policies allow them;
 *  3. from another account, the resource policy (or grant) must name the caller or its
 *     account, and the caller's identity policies must allow too;
 *  4. without a resource policy (IAM-only actions such as kms:CreateKey) identity
 *     policies decide, and an account's root may do anything in its own account;
 *  5. session policies, when present, must also allow, except for permissions a resource
 *     policy or grant gives the session's own ARN.
 * Pure and allocation-light: policies arrive compiled; nothing is parsed here.
 */
import { RequestScope } from "./context.ts";
import { grantStrength } from "./grants.ts";
import type { CompiledPolicy } from "./policyDocument.ts";
import { ACCOUNT_MATCH, EXACT_MATCH, NO_MATCH, ROLE_MATCH, type MatchStrength } from "./principal.ts";
import { principalStrength, statementApplies } from "./statement.ts";
import type { AllowSource, AuthzRequest, Decision, DecisionReason, PolicySet, PolicyType } from "./types.ts";

/** Decides a request against every policy and grant that bears on it. */
export function evaluate(request: AuthzRequest, policies: PolicySet): Decision {
  const scope = new RequestScope(request);
  const { resourcePolicy, identityPolicies, sessionPolicies } = policies;

  if (resourcePolicy !== undefined && denies(resourcePolicy, scope)) return deny("explicit-deny", "resource-based policy");
  for (const policy of identityPolicies) if (denies(policy, scope)) return deny("explicit-deny", "identity-based policy");
  if (sessionPolicies !== undefined) {
    for (const policy of sessionPolicies) if (denies(policy, scope)) return deny("explicit-deny", "session policy");
  }

  const p = request.principal;
  const resourceAccount = request.resourceAccount ?? arnAccount(request.resource) ?? p.accountId;
  const sameAccount = resourceAccount === p.accountId;
  // Without a resource policy, the resource's own account delegates to IAM; others get nothing.
  const resource: MatchStrength = resourcePolicy !== undefined ? allowStrength(resourcePolicy, scope) : sameAccount ? ACCOUNT_MATCH : NO_MATCH;
  const grant = policies.grants !== undefined ? grantStrength(policies.grants, scope) : NO_MATCH;

  if (resource === NO_MATCH && grant === NO_MATCH) return deny("no-resource-policy-allow", "resource-based policy");
  // Service principals have no identity policies: only a policy or grant naming them allows.
  if (p.type === "AWSService") {
    return resource === EXACT_MATCH || grant === EXACT_MATCH ? allow(resource === EXACT_MATCH ? "resource-based policy" : "grant") : deny("no-resource-policy-allow", "resource-based policy");
  }
  if (sameAccount && resource === EXACT_MATCH) return allow("resource-based policy");
  // Guess (see the report): a grant naming the caller needs no IAM policy, even from another account.
  if (grant === EXACT_MATCH) return allow("grant");
  // Named through its role: allowed in the resource's account, narrowed by session policies.
  const viaRole = sameAccount && resource === ROLE_MATCH;
  if (viaRole || grant === ROLE_MATCH) {
    if (!sessionAllows(sessionPolicies, scope)) return deny("no-session-policy-allow", "session policy");
    return allow(viaRole ? "resource-based policy" : "grant");
  }
  // Delegation to the account, or any cross-account access: the caller's IAM policies must allow too.
  const identityAllows = p.type === "Root" || anyAllows(identityPolicies, scope);
  if (!identityAllows) return deny("no-identity-policy-allow", "identity-based policy");
  if (!sessionAllows(sessionPolicies, scope)) return deny("no-session-policy-allow", "session policy");
  return allow(p.type === "Root" && resourcePolicy === undefined ? "account root" : "identity-based policy");
}

// A Deny applies unless it certainly does not: an unevaluable condition lets it apply.
function denies(policy: CompiledPolicy, scope: RequestScope): boolean {
  for (const s of policy.statements) {
    if (s.effect === "Deny" && principalStrength(s, scope) !== NO_MATCH && statementApplies(s, scope) !== false) return true;
  }
  return false;
}

// The strongest principal match among the Allow statements that certainly apply.
function allowStrength(policy: CompiledPolicy, scope: RequestScope): MatchStrength {
  let best: MatchStrength = NO_MATCH;
  for (const s of policy.statements) {
    if (s.effect !== "Allow") continue;
    const strength = principalStrength(s, scope);
    if (strength <= best || statementApplies(s, scope) !== true) continue;
    best = strength;
    if (best === EXACT_MATCH) break;
  }
  return best;
}

// Session policies, when there are any, must allow too.
function sessionAllows(sessionPolicies: readonly CompiledPolicy[] | undefined, scope: RequestScope): boolean {
  return sessionPolicies === undefined || sessionPolicies.length === 0 || anyAllows(sessionPolicies, scope);
}

function anyAllows(policies: readonly CompiledPolicy[], scope: RequestScope): boolean {
  for (const policy of policies) {
    for (const s of policy.statements) {
      if (s.effect === "Allow" && statementApplies(s, scope) === true) return true;
    }
  }
  return false;
}

// The account field of an ARN (`arn:partition:service:region:ACCOUNT:resource`).
function arnAccount(resource: string): string | undefined {
  if (!resource.startsWith("arn:")) return undefined;
  let start = 0;
  for (let field = 0; field < 4; field++) {
    start = resource.indexOf(":", start) + 1;
    if (start === 0) return undefined;
  }
  const end = resource.indexOf(":", start);
  return end > start ? resource.slice(start, end) : undefined;
}

// Allow decisions carry no request data, so one frozen object per source is shared.
const ALLOWED: Readonly<Record<AllowSource, Decision>> = {
  "resource-based policy": Object.freeze({ allowed: true, reason: "allowed", allowedBy: "resource-based policy" }),
  "identity-based policy": Object.freeze({ allowed: true, reason: "allowed", allowedBy: "identity-based policy" }),
  grant: Object.freeze({ allowed: true, reason: "allowed", allowedBy: "grant" }),
  "account root": Object.freeze({ allowed: true, reason: "allowed", allowedBy: "account root" }),
};

function allow(allowedBy: AllowSource): Decision {
  return ALLOWED[allowedBy];
}

function deny(reason: DecisionReason, deniedBy: PolicyType): Decision {
  return { allowed: false, reason, deniedBy };
}
