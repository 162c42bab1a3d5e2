/**
 * The shapes the evaluator works on: the request (who, what, on which resource, in which
 * context) and the decision. Policies arrive compiled (see policyDocument.ts); nothing
 * here is parsed per request.
 */
import type { CompiledPolicy } from "./policyDocument.ts";

/** One value a condition key can hold in the request context. */
export type ConditionScalar = string | number | boolean | Date | Uint8Array;

/** A condition key's value: single-valued, multivalued (a string list), or absent. */
export type ConditionValue = ConditionScalar | readonly string[] | undefined;

/** Condition key → value. Key names are case-insensitive, as AWS treats them. */
export type ConditionContext = Readonly<Record<string, ConditionValue>>;

/** The kinds of caller AWS distinguishes. */
export type PrincipalType = "Root" | "IAMUser" | "AssumedRole" | "FederatedUser" | "AWSService";

/** The authenticated caller. */
export interface AuthzPrincipal {
  /** User, root or session ARN (`arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`); service name for AWSService. */
  readonly arn: string;
  /** The caller's account. */
  readonly accountId: string;
  /** What kind of principal this is. */
  readonly type: PrincipalType;
  /** `aws:userid`: the account id for root, `AIDA…` for users, `AROA…:session` for role sessions. */
  readonly userId: string;
  /** `aws:username`, IAM users only. */
  readonly userName?: string | undefined;
  /** For role sessions, the role's ARN (with its path): resource policies naming the role match its sessions. */
  readonly sessionIssuerArn?: string | undefined;
  /** `aws:PrincipalTag/*`: the user's or role's tags (plus session tags). */
  readonly tags?: Readonly<Record<string, string>> | undefined;
}

/** One authorization question: may `principal` perform `action` on `resource`? */
export interface AuthzRequest {
  /** The caller. */
  readonly principal: AuthzPrincipal;
  /** The IAM action, e.g. `kms:Encrypt`. */
  readonly action: string;
  /** The resource ARN, or `*` for actions without a resource. */
  readonly resource: string;
  /** The account owning the resource; defaults to the ARN's account, then to the caller's. */
  readonly resourceAccount?: string | undefined;
  /** Condition keys. Principal keys (`aws:PrincipalArn`, `aws:username`, …) are derived when absent. */
  readonly context: ConditionContext;
}

/** The encryption-context constraints of a KMS grant. */
export interface GrantConstraintsLike {
  /** The request's encryption context must be exactly these pairs. */
  readonly encryptionContextEquals?: Readonly<Record<string, string>> | undefined;
  /** The request's encryption context must contain these pairs. */
  readonly encryptionContextSubset?: Readonly<Record<string, string>> | undefined;
}

/** What the evaluator needs to know of a KMS grant. */
export interface GrantLike {
  /** The grantee's ARN (user, role, account root, or service principal). */
  readonly granteePrincipal: string;
  /** KMS operation names, e.g. `Decrypt`. */
  readonly operations: readonly string[];
  /** Optional encryption-context constraints. */
  readonly constraints?: GrantConstraintsLike | undefined;
}

/** Every policy (and grant) that bears on one request. */
export interface PolicySet {
  /** The resource's policy (a KMS key policy, a role trust policy); absent for IAM-only actions. */
  readonly resourcePolicy?: CompiledPolicy | undefined;
  /** The caller's identity policies: user, groups, role; inline and managed. */
  readonly identityPolicies: readonly CompiledPolicy[];
  /** A session's inline session policies; when present they narrow identity permissions. */
  readonly sessionPolicies?: readonly CompiledPolicy[] | undefined;
  /** The KMS grants on the key. */
  readonly grants?: readonly GrantLike[] | undefined;
}

/** The policy types named in AWS's access-denied messages. */
export type PolicyType = "identity-based policy" | "resource-based policy" | "session policy";

/** Why a request was allowed or denied. */
export type DecisionReason =
  | "allowed"
  | "explicit-deny"
  | "no-identity-policy-allow"
  | "no-resource-policy-allow"
  | "no-session-policy-allow";

/** What allowed a request. */
export type AllowSource = "resource-based policy" | "identity-based policy" | "grant" | "account root";

/** The outcome of `evaluate`. */
export interface Decision {
  /** Whether the request may proceed. */
  readonly allowed: boolean;
  /** Why. */
  readonly reason: DecisionReason;
  /** For a denial: the policy type that denied it or failed to allow it. */
  readonly deniedBy?: PolicyType | undefined;
  /** For an allow: what allowed it. */
  readonly allowedBy?: AllowSource | undefined;
}
