/**
 * The request log: one line per API request at info level, so that a denied or failed call
 * is visible in the server's output at once (the audit trail keeps the whole event; this is
 * the glance). Built from the request's audit draft, with identifiers only: never a request
 * or response body, a message (it may quote a caller's value) or a credential beyond the
 * access key id the caller presented.
 */
import type { RequestAudit } from "../audit/requestAudit.ts";
import { claimedCredential } from "../audit/events.ts";
import { log } from "./log.ts";

/** Logs one answered request. `durationMs`: from arrival to the answer being ready. */
export function logRequest(audit: RequestAudit, durationMs: number): void {
  const key = audit.keys[0];
  log.info("request", {
    requestId: audit.requestId,
    caller: audit.principal?.arn ?? callerClaim(audit),
    operation: `${audit.service}:${audit.operation ?? "unknown"}`,
    region: audit.region,
    keyId: key?.keyId,
    outcome: audit.errorCode ?? "ok",
    durationMs: Math.round(durationMs * 10) / 10,
    sourceIp: audit.sourceIp,
  });
}

/** Who an unauthenticated request claimed to be: the access key id it presented, if any. */
function callerClaim(audit: RequestAudit): string {
  const claimed = claimedCredential(audit.authorization);
  return claimed === undefined ? "anonymous" : `unauthenticated access key ${claimed.accessKeyId}`;
}
