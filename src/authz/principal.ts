/**
 * The Principal and NotPrincipal elements: parsed and validated when the policy is stored,
 * matched against the caller per request. A match has a strength, because in a KMS key
 * policy (and a role trust policy) naming the account is not naming the caller:
 *   EXACT    the caller itself (user, session, service, or the account root for root);
 *   ROLE     the role of a role session (or `*`): session policies still narrow it;
 *   ACCOUNT  the caller's account: IAM policies in that account must allow too.
 */
import { INVALID_PRINCIPALS_MESSAGE, PolicyParseError } from "./errors.ts";
import type { AuthzPrincipal } from "./types.ts";

/** How strongly a Principal element names the caller (0: not at all). */
export type MatchStrength = 0 | 1 | 2 | 3;
/** Not named. */
export const NO_MATCH = 0;
/** Named through the account principal: a delegation to the account's IAM policies. */
export const ACCOUNT_MATCH = 1;
/** Named through the session's role, or `*`: session policies still apply. */
export const ROLE_MATCH = 2;
/** Named exactly. */
export const EXACT_MATCH = 3;

/** A compiled Principal or NotPrincipal element. */
export interface PrincipalMatcher {
  /** `"Principal": "*"`: everyone, services included. */
  readonly anyone: boolean;
  /** `{"AWS": "*"}`: every AWS account principal. */
  readonly anyAws: boolean;
  /** Exact user, role, session and federated-user ARNs. */
  readonly arns: ReadonlySet<string>;
  /** Account ids named by `arn:…:iam::ACCOUNT:root` or a bare 12-digit id. */
  readonly accounts: ReadonlySet<string>;
  /** Unique ids (`AIDA…`, `AROA…`) that AWS writes for deleted principals. */
  readonly uniqueIds: ReadonlySet<string>;
  /** Service principals, e.g. `ec2.amazonaws.com`. */
  readonly services: ReadonlySet<string>;
  /** Federated identity providers (trust policies only; kmsd has no web-identity callers, so they never match). */
  readonly federated: ReadonlySet<string>;
}

/** An IAM or STS principal a policy names (AWS refuses policies naming principals that do not exist). */
export interface NamedPrincipal {
  /** The ARN as it would be looked up (bare account ids become the root ARN). */
  readonly arn: string;
  readonly accountId: string;
  readonly kind: "root" | "user" | "role" | "assumed-role" | "federated-user";
}

const ACCOUNT_ID = /^\d{12}$/u;
const NAME = "[\\w+=,.@-]+";
const PRINCIPAL_ARN = new RegExp(
  `^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b):(iam|sts)::(\\d{12}):(root|user/(?:${NAME}/)*${NAME}|role/(?:${NAME}/)*${NAME}|assumed-role/${NAME}/${NAME}|federated-user/${NAME})$`,
  "u",
);
const UNIQUE_ID = /^(AIDA|AROA)[A-Z0-9]{12,}$/u;
const SERVICE = /^[a-z0-9][a-z0-9.-]*$/u;

/** Parses a Principal or NotPrincipal value, recording the IAM principals it names. */
export function parsePrincipal(raw: unknown, named: NamedPrincipal[]): PrincipalMatcher {
  const matcher = {
    anyone: false,
    anyAws: false,
    arns: new Set<string>(),
    accounts: new Set<string>(),
    uniqueIds: new Set<string>(),
    services: new Set<string>(),
    federated: new Set<string>(),
  };
  if (raw === "*") return { ...matcher, anyone: true };
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw invalid();
  const entries = Object.entries(raw as Record<string, unknown>);
  if (entries.length === 0) throw invalid();
  for (const [type, value] of entries) {
    for (const item of stringList(value)) {
      if (type === "AWS") addAwsPrincipal(matcher, item, named);
      else if (type === "Service" && SERVICE.test(item)) matcher.services.add(item);
      else if (type === "Federated" && item.length > 0 && !item.includes("*")) matcher.federated.add(item);
      else throw invalid();
    }
  }
  return matcher;
}

function addAwsPrincipal(
  matcher: { anyAws: boolean; arns: Set<string>; accounts: Set<string>; uniqueIds: Set<string> },
  item: string,
  named: NamedPrincipal[],
): void {
  if (item === "*") {
    matcher.anyAws = true;
    return;
  }
  if (ACCOUNT_ID.test(item)) {
    matcher.accounts.add(item);
    named.push({ arn: `arn:aws:iam::${item}:root`, accountId: item, kind: "root" });
    return;
  }
  if (UNIQUE_ID.test(item)) {
    matcher.uniqueIds.add(item);
    return;
  }
  const match = PRINCIPAL_ARN.exec(item);
  const accountId = match?.[3];
  const resource = match?.[4];
  if (!match || accountId === undefined || resource === undefined) throw invalid();
  const service = match[2];
  const kind = resource === "root" ? "root" : (resource.slice(0, resource.indexOf("/")) as NamedPrincipal["kind"]);
  // iam:: holds root, users and roles; sts:: holds sessions and federated users.
  const stsKind = kind === "assumed-role" || kind === "federated-user";
  if ((service === "sts") !== stsKind) throw invalid();
  if (kind === "root") matcher.accounts.add(accountId);
  else matcher.arns.add(item);
  named.push({ arn: item, accountId, kind });
}

function stringList(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === "string")) return value as string[];
  throw invalid();
}

function invalid(): PolicyParseError {
  return new PolicyParseError(INVALID_PRINCIPALS_MESSAGE);
}

// `AROA…:session` → `AROA…` (the role's unique id).
function roleUniqueId(userId: string): string {
  const colon = userId.indexOf(":");
  return colon < 0 ? userId : userId.slice(0, colon);
}

/** How strongly a Principal element names the caller. */
export function matchPrincipal(m: PrincipalMatcher, p: AuthzPrincipal): MatchStrength {
  if (p.type === "AWSService") return m.anyone || m.services.has(p.arn) ? EXACT_MATCH : NO_MATCH;
  const session = p.type === "AssumedRole" || p.type === "FederatedUser";
  if (m.arns.has(p.arn) || (p.type === "IAMUser" && m.uniqueIds.has(p.userId))) return EXACT_MATCH;
  if (p.type === "Root" && m.accounts.has(p.accountId)) return EXACT_MATCH;
  if (m.anyone || m.anyAws) return session ? ROLE_MATCH : EXACT_MATCH;
  if (p.type === "AssumedRole") {
    if ((p.sessionIssuerArn !== undefined && m.arns.has(p.sessionIssuerArn)) || m.uniqueIds.has(roleUniqueId(p.userId))) {
      return ROLE_MATCH;
    }
  }
  return m.accounts.has(p.accountId) ? ACCOUNT_MATCH : NO_MATCH;
}

/**
 * NotPrincipal excludes a caller only when it names every identity the request is made
 * as: the session, its role and the account; or the user and the account (as AWS
 * documents for NotPrincipal with Deny).
 */
export function excludedBy(m: PrincipalMatcher, p: AuthzPrincipal): boolean {
  if (m.anyone) return true;
  if (p.type === "AWSService") return m.services.has(p.arn);
  if (m.anyAws) return true;
  const account = m.accounts.has(p.accountId);
  switch (p.type) {
    case "Root":
      return account;
    case "IAMUser":
      return account && (m.arns.has(p.arn) || m.uniqueIds.has(p.userId));
    case "FederatedUser":
      return account && m.arns.has(p.arn);
    case "AssumedRole": {
      const role = (p.sessionIssuerArn !== undefined && m.arns.has(p.sessionIssuerArn)) || m.uniqueIds.has(roleUniqueId(p.userId));
      return account && role && m.arns.has(p.arn);
    }
  }
}
