/**
 * Checks of policy documents before IAM stores them: structure (MalformedPolicyDocument,
 * see identity/policyDocument.ts), the principals a trust policy names (they must exist)
 * and IAM's size quotas (LimitExceeded), counted as AWS does in characters other than
 * whitespace.
 */
import { parsePolicy, policyPrincipals } from "../../authz/index.ts";
import { policyDocumentProblem, policySize, type PolicyKind } from "../../identity/policyDocument.ts";
import { principalExists } from "../../identity/principalExists.ts";
import type { PolicyOwnerKind } from "../../identity/records.ts";
import type { Store } from "../../store/store.ts";
import { LimitExceeded, MalformedPolicyDocument } from "./errors.ts";

/** Inline policy quotas per owner kind (AWS's defaults). */
const INLINE_QUOTA: Readonly<Record<PolicyOwnerKind, number>> = { user: 2048, group: 5120, role: 10240 };
/** A managed policy version's quota. */
const MANAGED_QUOTA = 6144;
/** A role trust policy's quota (ACLSizePerRole). */
const TRUST_QUOTA = 2048;

/** Throws MalformedPolicyDocument unless `document` is a well-formed policy of `kind`. */
export function requireWellFormed(document: string, kind: PolicyKind): void {
  const problem = policyDocumentProblem(document, kind);
  if (problem !== undefined) throw new MalformedPolicyDocument(problem);
}

/**
 * Checks an inline policy of a user, group or role. The quota is AWS's: it bounds all of
 * the owner's inline policies together, so `otherDocuments` are the owner's other inline
 * policies (not the one this document replaces).
 */
export function checkInlinePolicy(document: string, ownerKind: PolicyOwnerKind, ownerName: string, otherDocuments: readonly string[]): void {
  requireWellFormed(document, "identity");
  const quota = INLINE_QUOTA[ownerKind];
  const total = otherDocuments.reduce((sum, other) => sum + policySize(other), policySize(document));
  if (total > quota) throw new LimitExceeded(`Maximum policy size of ${quota} bytes exceeded for ${ownerKind} ${ownerName}`);
}

/** Checks a managed policy version. */
export function checkManagedPolicy(document: string): void {
  requireWellFormed(document, "identity");
  if (policySize(document) > MANAGED_QUOTA) throw new LimitExceeded(`Cannot exceed quota for PolicySize: ${MANAGED_QUOTA}`);
}

/** Checks a role's trust policy, including that every user and role it names exists. */
export async function checkTrustPolicy(store: Store, document: string): Promise<void> {
  requireWellFormed(document, "trust");
  if (policySize(document) > TRUST_QUOTA) throw new LimitExceeded(`Cannot exceed quota for ACLSizePerRole: ${TRUST_QUOTA}`);
  for (const principal of policyPrincipals(parsePolicy(document, "trust", { maxBytes: Number.MAX_SAFE_INTEGER }))) {
    if (!(await principalExists(store, principal.arn, principal.kind))) {
      throw new MalformedPolicyDocument(`Invalid principal in policy: "AWS":"${principal.arn}"`);
    }
  }
}
