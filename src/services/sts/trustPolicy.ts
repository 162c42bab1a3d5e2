/**
 * Whether a role's trust policy lets a principal assume the role: ONE function, so the
 * policy evaluator can replace this small check. It understands what trust policies
 * commonly say: statements with Effect, Action (`sts:AssumeRole`, wildcards allowed),
 * Principal `*` or `{"AWS": ARN | account id | "*"}` (a session also matches by its
 * role's ARN), and the condition `StringEquals`/`StringLike` on `sts:ExternalId`.
 * Anything else it cannot evaluate never allows, and lets a Deny apply.
 */
import { rootArn } from "../../identity/arns.ts";
import type { Principal } from "../../identity/principal.ts";

/** What AssumeRole was asked with, beyond the caller. */
export interface AssumeRoleRequestContext {
  externalId?: string | undefined;
}

/**
 * How the trust policy lets the principal in: `"principal"` when a statement names it
 * (or its role), `"account"` when a statement names its account (the caller's own
 * identity policies must then allow `sts:AssumeRole` too, as in AWS), or `undefined`
 * when it does not (or a Deny applies).
 */
export type TrustMatch = "principal" | "account" | undefined;

/** Evaluates `trustPolicyJson` for `principal` calling sts:AssumeRole. */
export function trustPolicyAllows(trustPolicyJson: string, principal: Principal, request: AssumeRoleRequestContext = {}): TrustMatch {
  let document: unknown;
  try {
    document = JSON.parse(trustPolicyJson);
  } catch {
    return undefined;
  }
  if (!isObject(document)) return undefined;
  const statements = Array.isArray(document.Statement) ? document.Statement : [document.Statement];
  const names = principalNames(principal);
  let allowed: TrustMatch;
  for (const statement of statements) {
    if (!isObject(statement)) continue;
    const deny = statement.Effect === "Deny";
    if (!deny && statement.Effect !== "Allow") continue;
    const supported = statement.NotAction === undefined && statement.NotPrincipal === undefined;
    const action = supported && matchesAction(statement.Action);
    const match = supported ? matchPrincipal(statement.Principal, names, principal.accountId) : undefined;
    const condition = conditionHolds(statement.Condition, request);
    if (deny) {
      // A Deny applies unless it certainly does not: unknown parts count as matching.
      if ((!supported || action) && (!supported || match !== undefined) && condition !== false) return undefined;
      continue;
    }
    if (action && match !== undefined && condition === true && allowed !== "principal") allowed = match;
  }
  return allowed;
}

/** The identifiers a trust policy may name the principal by. */
function principalNames(principal: Principal): Set<string> {
  const names = new Set([principal.arn]);
  if (principal.kind === "AssumedRole") names.add(principal.roleArn);
  return names;
}

function matchesAction(action: unknown): boolean {
  const actions = Array.isArray(action) ? action : [action];
  return actions.some((a) => typeof a === "string" && wildcard(a).test("sts:AssumeRole"));
}

function matchPrincipal(principal: unknown, names: Set<string>, accountId: string): TrustMatch {
  if (principal === "*") return "principal";
  if (!isObject(principal)) return undefined;
  const aws = principal.AWS;
  let match: TrustMatch;
  for (const value of Array.isArray(aws) ? aws : [aws]) {
    if (typeof value !== "string") continue;
    if (value === "*" || names.has(value)) return "principal";
    if (value === accountId || value === rootArn(accountId)) match = "account";
  }
  return match;
}

/** true: holds; false: certainly does not; undefined: cannot be evaluated here. */
function conditionHolds(condition: unknown, request: AssumeRoleRequestContext): boolean | undefined {
  if (condition === undefined) return true;
  if (!isObject(condition)) return undefined;
  let holds: boolean | undefined = true;
  for (const [operator, block] of Object.entries(condition)) {
    if ((operator !== "StringEquals" && operator !== "StringLike") || !isObject(block)) return undefined;
    for (const [key, expected] of Object.entries(block)) {
      if (key.toLowerCase() !== "sts:externalid") return undefined;
      const values = (Array.isArray(expected) ? expected : [expected]).filter((v): v is string => typeof v === "string");
      const actual = request.externalId;
      const ok =
        actual !== undefined && values.some((v) => (operator === "StringEquals" ? v === actual : wildcard(v, false).test(actual)));
      if (!ok) holds = false;
    }
  }
  return holds;
}

// IAM wildcards: `*` any run, `?` one character; actions match without regard to case.
function wildcard(pattern: string, ignoreCase = true): RegExp {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${source}$`, ignoreCase ? "i" : "");
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
