/**
 * KMS grants. A grant allows its operations to its grantee like a key policy statement
 * naming the grantee would (an explicit Deny still wins), when the request satisfies its
 * constraints:
 *  - EncryptionContextEquals: the request's encryption context is exactly these pairs;
 *  - EncryptionContextSubset: the request's encryption context contains these pairs;
 * keys compare case-insensitively and values case-sensitively, as KMS documents. The
 * constraints apply only to operations that take an encryption context; a grant that
 * allows CreateGrant lets the grantee create only grants with a subset of its operations
 * and constraints at least as strict. The request's encryption context (or, for
 * CreateGrant, the new grant's) is read from the `kms:EncryptionContext:*`,
 * `kms:EncryptionContextKeys`, `kms:GrantOperations` and `kms:GrantConstraintType` keys.
 */
import type { RequestScope } from "./context.ts";
import { ACCOUNT_MATCH, EXACT_MATCH, NO_MATCH, ROLE_MATCH, type MatchStrength } from "./principal.ts";
import type { AuthzPrincipal, GrantConstraintsLike, GrantLike } from "./types.ts";

/** The grant operations whose requests carry an encryption context, to which constraints apply. */
export const CONSTRAINED_OPERATIONS: ReadonlySet<string> = new Set([
  "Encrypt",
  "Decrypt",
  "ReEncryptFrom",
  "ReEncryptTo",
  "GenerateDataKey",
  "GenerateDataKeyWithoutPlaintext",
  "GenerateDataKeyPair",
  "GenerateDataKeyPairWithoutPlaintext",
]);

const ACCOUNT_ROOT = /^arn:[a-z-]+:iam::(\d{12}):root$/u;

/** The strongest way any applicable grant names the caller for this request. */
export function grantStrength(grants: readonly GrantLike[], scope: RequestScope): MatchStrength {
  const action = scope.request.action;
  if (grants.length === 0 || !scope.action.startsWith("kms:")) return NO_MATCH;
  const operation = action.slice(4);
  let best: MatchStrength = NO_MATCH;
  for (const grant of grants) {
    if (!grant.operations.includes(operation)) continue;
    const strength = granteeStrength(grant.granteePrincipal, scope.request.principal);
    if (strength <= best || !constraintsHold(grant, operation, scope)) continue;
    best = strength;
    if (best === EXACT_MATCH) break;
  }
  return best;
}

/** How strongly a grantee ARN names the caller: itself, its role, or its account. */
export function granteeStrength(grantee: string, p: AuthzPrincipal): MatchStrength {
  if (grantee === p.arn) return EXACT_MATCH;
  if (p.type === "AssumedRole" && grantee === p.sessionIssuerArn) return ROLE_MATCH;
  if (grantee.endsWith(":root")) {
    const account = ACCOUNT_ROOT.exec(grantee)?.[1];
    if (account === p.accountId && p.type !== "AWSService") return p.type === "Root" ? EXACT_MATCH : ACCOUNT_MATCH;
  }
  return NO_MATCH;
}

function constraintsHold(grant: GrantLike, operation: string, scope: RequestScope): boolean {
  if (operation === "CreateGrant") return childGrantAllowed(grant, scope);
  const c = grant.constraints;
  if (c === undefined || !CONSTRAINED_OPERATIONS.has(operation)) return true;
  if (c.encryptionContextEquals !== undefined && !contextEquals(c.encryptionContextEquals, scope)) return false;
  if (c.encryptionContextSubset !== undefined && !contextContains(c.encryptionContextSubset, scope)) return false;
  return true;
}

// CreateGrant through a grant: a subset of its operations, constraints at least as strict.
function childGrantAllowed(grant: GrantLike, scope: RequestScope): boolean {
  const operations = scope.lookup("kms:grantoperations");
  const list = typeof operations === "string" ? [operations] : Array.isArray(operations) ? (operations as readonly string[]) : undefined;
  if (list === undefined || !list.every((op) => grant.operations.includes(op))) return false;
  return childConstraintsAtLeastAsStrict(grant.constraints, scope);
}

function childConstraintsAtLeastAsStrict(parent: GrantConstraintsLike | undefined, scope: RequestScope): boolean {
  const childType = scope.lookup("kms:grantconstrainttype");
  if (parent?.encryptionContextEquals !== undefined) {
    if (childType !== "EncryptionContextEquals" || !contextEquals(parent.encryptionContextEquals, scope)) return false;
  }
  if (parent?.encryptionContextSubset !== undefined) {
    const constrained = childType === "EncryptionContextEquals" || childType === "EncryptionContextSubset";
    if (!constrained || !contextContains(parent.encryptionContextSubset, scope)) return false;
  }
  return true;
}

function contextContains(pairs: Readonly<Record<string, string>>, scope: RequestScope): boolean {
  for (const [key, value] of Object.entries(pairs)) {
    if (scope.lookup(`kms:encryptioncontext:${key.toLowerCase()}`) !== value) return false;
  }
  return true;
}

function contextEquals(pairs: Readonly<Record<string, string>>, scope: RequestScope): boolean {
  const keys = scope.lookup("kms:encryptioncontextkeys");
  const count = Array.isArray(keys) ? keys.length : typeof keys === "string" ? 1 : 0;
  return count === Object.keys(pairs).length && contextContains(pairs, scope);
}
