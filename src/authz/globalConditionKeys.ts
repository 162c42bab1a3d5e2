/**
 * The request-dependent global condition keys (`aws:SourceIp`, `aws:CurrentTime`, …). The
 * evaluator has no clock and no socket, so the caller supplies them; the keys describing
 * the caller (`aws:PrincipalArn`, `aws:username`, `aws:PrincipalTag/*`, …) are derived by
 * the evaluator itself from the principal (context.ts).
 */
import type { ConditionValue } from "./types.ts";

/** What the server knows about the request itself. */
export interface GlobalRequestFacts {
  /** The request time: `aws:CurrentTime` (ISO 8601) and `aws:EpochTime` (seconds). */
  readonly now?: Date | undefined;
  /** The caller's IP address: `aws:SourceIp`. */
  readonly sourceIp?: string | undefined;
  /** Whether the request came over TLS: `aws:SecureTransport`. */
  readonly secureTransport?: boolean | undefined;
  /** The region the request was sent to: `aws:RequestedRegion`. */
  readonly requestedRegion?: string | undefined;
  /** The client's User-Agent: `aws:UserAgent`. */
  readonly userAgent?: string | undefined;
  /** When the session's temporary credentials were issued: `aws:TokenIssueTime`. */
  readonly tokenIssueTime?: Date | undefined;
  /** Whether the credentials were obtained with MFA: `aws:MultiFactorAuthPresent`. */
  readonly multiFactorAuthPresent?: boolean | undefined;
}

/** The global condition keys for a request. */
export function globalRequestContext(facts: GlobalRequestFacts): Record<string, ConditionValue> {
  const context: Record<string, ConditionValue> = {};
  if (facts.now !== undefined) {
    context["aws:CurrentTime"] = facts.now.toISOString();
    context["aws:EpochTime"] = Math.floor(facts.now.getTime() / 1000);
  }
  if (facts.sourceIp !== undefined) context["aws:SourceIp"] = facts.sourceIp;
  if (facts.secureTransport !== undefined) context["aws:SecureTransport"] = facts.secureTransport;
  if (facts.requestedRegion !== undefined) context["aws:RequestedRegion"] = facts.requestedRegion;
  if (facts.userAgent !== undefined) context["aws:UserAgent"] = facts.userAgent;
  if (facts.tokenIssueTime !== undefined) context["aws:TokenIssueTime"] = facts.tokenIssueTime.toISOString();
  if (facts.multiFactorAuthPresent !== undefined) context["aws:MultiFactorAuthPresent"] = facts.multiFactorAuthPresent;
  return context;
}

/** `aws:RequestTag/*` and `aws:TagKeys` for the tags a request sets. */
export function requestTagContext(tags: Readonly<Record<string, string>>): Record<string, ConditionValue> {
  const context: Record<string, ConditionValue> = {};
  const keys = Object.keys(tags);
  for (const key of keys) context[`aws:RequestTag/${key}`] = tags[key];
  if (keys.length > 0) context["aws:TagKeys"] = keys;
  return context;
}

/** `aws:ResourceTag/*` for the tags of the resource. */
export function resourceTagContext(tags: Readonly<Record<string, string>>): Record<string, ConditionValue> {
  const context: Record<string, ConditionValue> = {};
  for (const [key, value] of Object.entries(tags)) context[`aws:ResourceTag/${key}`] = value;
  return context;
}
