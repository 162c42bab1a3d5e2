/**
 * The KMS request pipeline, in one place: authenticate → parse → validate against the
 * model → authorize → handler → serialise, filling the request's audit draft on the way.
 * Handlers never see HTTP, JSON, SigV4 or the audit trail.
 */
import { UnknownOperationException, UnsupportedOperationException } from "../errors.ts";
import { KMS_MODEL } from "../model/kms.generated.ts";
import { decodeInput } from "../model/validate.ts";
import { kmsOperations } from "../services/kms/kmsOperations.ts";
import { notImplemented, type Handler, type KmsOperation } from "../services/kms/registry.ts";
import { authenticate } from "./authenticate.ts";
import { requestContext, type RequestContext, type Services } from "./context.ts";
import { authorizeWithoutKey } from "../services/kms/keyAccess.ts";

import { parseJsonBody, serializeOutput } from "./jsonProtocol.ts";
import type { RawRequest } from "./sigv4.ts";
import type { RequestAudit } from "../audit/requestAudit.ts";
import { prefixOf } from "../audit/truncate.ts";

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The X-Amz-Target prefix of KMS operations. */

export const KMS_TARGET_PREFIX = `${KMS_MODEL.metadata.targetPrefix}.`;

/** The longest operation name (or API version) kmsd records in the audit trail or echoes in an error. */
export const MAX_OPERATION_NAME_LENGTH = 128;

/**
 * An operation name as the caller sent it, cut to MAX_OPERATION_NAME_LENGTH characters (never
 * in the middle of a surrogate pair): what the audit trail records and an error message echoes,
 * so that an unauthenticated request cannot make either as large as its body.
 */
export function boundedOperationName(name: string): string {
  return prefixOf(name, MAX_OPERATION_NAME_LENGTH);
}

/**
 * Handles one KMS request whose target names `operationName`; returns the JSON response
 * body. Fills `audit` as it learns who calls, what and with which keys.
 */
export async function handleKmsRequest(
  operationName: string,
  request: RawRequest,
  services: Services,
  audit: RequestAudit,
): Promise<string> {
  const requestId = audit.requestId;
  audit.operation = boundedOperationName(operationName);
  if (!Object.hasOwn(kmsOperations, operationName)) {
    throw new UnknownOperationException(`Unknown operation ${boundedOperationName(operationName)}`);
  }
  const operation = operationName as KmsOperation;
  const nowMs = services.clock.nowMs();
  const { principal, region } = await authenticate(request, services, "kms", nowMs);
  audit.principal = principal;
  audit.region = region;
  const body = parseJsonBody(request.body);
  audit.body = body;
  const handler = kmsOperations[operation];
  // Before validation: an operation kmsd lacks says so whatever the input, rather than
  // sending the caller off to fix a request that could never succeed anyway.
  if (handler === notImplemented) {
    throw new UnsupportedOperationException(`kmsd does not implement the ${operation} operation yet.`);
  }
  const input = decodeInput(KMS_MODEL, operation, body);
  audit.input = input;
  const ctx: RequestContext = {
    ...requestContext(request, requestId, principal, region, nowMs, services, input),
    viaService: services.dev ? single(request.headers["x-kmsd-via-service"]) : undefined,
    keysUsed: audit.keys,
  };
  ctx.secrets.holdMembers(input);
  try {
    // Fail closed: if the audit trail cannot record, refuse before anything can change.
    services.audit.assertAvailable();
    // Over its request quota, a request is refused before it is authorized or changes anything.
    await services.quotas.throttle.admitOperation(ctx, operation, input);
    await authorizeWithoutKey(ctx, operation);
    // The registry's mapped type pairs each handler with its own input type; the model check above made `input` that type.
    const output = await (handler as Handler<KmsOperation>)(ctx, input as never);
    ctx.secrets.holdMembers(output);
    audit.output = output;
    return serializeOutput(output ?? {});
  } finally {
    // The one place a request's plaintexts and data keys are zeroed: the response body is a string by now.
    ctx.secrets.zero();
  }
}
