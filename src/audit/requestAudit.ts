/**
 * What the pipeline learns about one request, for its audit event: filled in step by step
 * (operation, identity, input, outcome) so that a request failing at any step is recorded
 * with whatever was known by then. Handlers never touch it; the event is built from it by
 * the pipeline once the request is answered.
 */
import type { Principal } from "../identity/principal.ts";
import type { KeyRecord } from "../keys/records.ts";
import type { AuditedService } from "./auditedServices.ts";

/** One request as the audit trail sees it. */
export interface RequestAudit {
  /** The x-amzn-RequestId returned to the caller. */
  readonly requestId: string;
  /** The server clock when the request arrived (eventTime). */
  readonly timeMs: number;
  readonly sourceIp: string;
  readonly userAgent: string | undefined;
  /** The Authorization header, to name the access key of a request that failed authentication. */
  readonly authorization: string | undefined;
  /** The service the request addressed (KMS unless the request said otherwise). */
  service: AuditedService;
  /** The operation (eventName), once known. */
  operation: string | undefined;
  /** The region of the request's credential scope, once authenticated. */
  region: string | undefined;
  /** The authenticated caller. */
  principal: Principal | undefined;
  /** The request as parsed, before validation (recorded if validation fails). */
  body: unknown;
  /** The validated input. */
  input: Readonly<Record<string, unknown>> | undefined;
  /** The operation's output, on success. */
  output: unknown;
  /** The error code and message the caller got, on failure. */
  errorCode: string | undefined;
  errorMessage: string | undefined;
  /** Keys the operation resolved and checked, in order (the event's resources; the key owners' copies). */
  readonly keys: KeyRecord[];
}

/** A fresh audit draft for a request that just arrived. */
export function newRequestAudit(fields: {
  requestId: string;
  timeMs: number;
  sourceIp: string;
  userAgent: string | undefined;
  authorization: string | undefined;
}): RequestAudit {
  return {
    ...fields,
    service: "kms",
    operation: undefined,
    region: undefined,
    principal: undefined,
    body: undefined,
    input: undefined,
    output: undefined,
    errorCode: undefined,
    errorMessage: undefined,
    keys: [],
  };
}
