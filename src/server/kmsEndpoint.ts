/**
 * The KMS request pipeline, in one place: authenticate → parse → validate against the
 * model → handler → serialise. Handlers never see HTTP, JSON or SigV4.
 */
import { UnknownOperationException, UnsupportedOperationException } from "../errors.ts";
import { KMS_MODEL } from "../model/kms.generated.ts";
import { decodeInput } from "../model/validate.ts";
import { kmsOperations } from "../services/kms/kmsOperations.ts";
import { notImplemented, type Handler, type KmsOperation } from "../services/kms/registry.ts";
import { authenticate } from "./authenticate.ts";
import { requestOrigin, type RequestContext, type Services } from "./context.ts";
import { authorizeWithoutKey } from "../services/kms/keyAccess.ts";

import { parseJsonBody, serializeOutput } from "./jsonProtocol.ts";
import type { RawRequest } from "./sigv4.ts";

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The X-Amz-Target prefix of KMS operations. */

export const KMS_TARGET_PREFIX = `${KMS_MODEL.metadata.targetPrefix}.`;

/** Handles one KMS request whose target names `operationName`; returns the JSON response body. */
export async function handleKmsRequest(
  operationName: string,
  request: RawRequest,
  services: Services,
  requestId: string,
): Promise<string> {
  if (!Object.hasOwn(kmsOperations, operationName)) {
    throw new UnknownOperationException(`Unknown operation ${operationName}`);
  }
  const operation = operationName as KmsOperation;
  const nowMs = services.clock.nowMs();
  const { principal, region } = await authenticate(request, services, "kms", nowMs);
  const body = parseJsonBody(request.body);
  const handler = kmsOperations[operation];
  // Before validation: an operation kmsd lacks says so whatever the input, rather than
  // sending the caller off to fix a request that could never succeed anyway.
  if (handler === notImplemented) {
    throw new UnsupportedOperationException(`kmsd does not implement the ${operation} operation yet.`);
  }
  const input = decodeInput(KMS_MODEL, operation, body);
  const ctx: RequestContext = {
    requestId,
    principal,
    accountId: principal.accountId,
    region,
    nowMs,
    services,
    input,
    ...requestOrigin(request),
    viaService: services.dev ? single(request.headers["x-kmsd-via-service"]) : undefined,
  };
  await authorizeWithoutKey(ctx, operation);
  // The registry's mapped type pairs each handler with its own input type; the model check above made `input` that type.
  const output = await (handler as Handler<KmsOperation>)(ctx, input as never);
  return serializeOutput(output ?? {});
}
