/**
 * The CloudTrail request pipeline (AWS JSON 1.1, target prefix
 * `com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.`, or `CloudTrail_20131101.` as the
 * JavaScript SDK sends it): authenticate (signing name
 * `cloudtrail`) → parse → validate against the model → handler → serialise, filling the
 * request's audit draft on the way. kmsd implements LookupEvents over its own audit trail;
 * the model's other operations answer UnsupportedOperationException.
 */
import type { RequestAudit } from "../audit/requestAudit.ts";
import { UnknownOperationException, UnsupportedOperationException } from "../errors.ts";
import { CLOUDTRAIL_MODEL } from "../model/cloudtrail.generated.ts";
import { decodeInput } from "../model/validate.ts";
import { cloudTrailOperations, type CloudTrailHandler, type CloudTrailOperationTypes } from "../services/cloudtrail/registry.ts";
import { authenticate } from "./authenticate.ts";
import { requestContext, type Services } from "./context.ts";
import { parseJsonBody, serializeOutput } from "./jsonProtocol.ts";
import { boundedOperationName } from "./kmsEndpoint.ts";
import type { RawRequest } from "./sigv4.ts";

/** The X-Amz-Target prefix of CloudTrail operations (the model's; botocore and the AWS CLI send it). */
export const CLOUDTRAIL_TARGET_PREFIX = `${CLOUDTRAIL_MODEL.metadata.targetPrefix}.`;
/** The prefix the JavaScript SDK v3 sends instead (the Smithy service shape's name). */
const SHORT_TARGET_PREFIX = "CloudTrail_20131101.";

/** The CloudTrail operation an X-Amz-Target names, or undefined if it is not a CloudTrail target. */
export function cloudTrailOperationOf(target: string): string | undefined {
  if (target.startsWith(CLOUDTRAIL_TARGET_PREFIX)) return target.slice(CLOUDTRAIL_TARGET_PREFIX.length);
  if (target.startsWith(SHORT_TARGET_PREFIX)) return target.slice(SHORT_TARGET_PREFIX.length);
  return undefined;
}

/** Handles one CloudTrail request whose target names `operationName`; returns the JSON response body. */
export async function handleCloudTrailRequest(operationName: string, request: RawRequest, services: Services, audit: RequestAudit): Promise<string> {
  audit.service = "cloudtrail";
  audit.operation = boundedOperationName(operationName);
  if (!Object.hasOwn(CLOUDTRAIL_MODEL.operations, operationName)) {
    throw new UnknownOperationException(`Unknown operation ${boundedOperationName(operationName)}`);
  }
  const nowMs = services.clock.nowMs();
  const { principal, region } = await authenticate(request, services, "cloudtrail", nowMs);
  audit.principal = principal;
  audit.region = region;
  const body = parseJsonBody(request.body);
  audit.body = body;
  if (!Object.hasOwn(cloudTrailOperations, operationName)) {
    throw new UnsupportedOperationException(`kmsd implements LookupEvents only; it does not support the CloudTrail operation ${operationName}.`);
  }
  const operation = operationName as keyof CloudTrailOperationTypes;
  const input = decodeInput(CLOUDTRAIL_MODEL, operation, body);
  audit.input = input;
  const ctx = requestContext(request, audit.requestId, principal, region, nowMs, services, input);
  // Fail closed: if the audit trail cannot record, refuse before anything runs.
  services.audit.assertAvailable();
  // Each handler takes its own operation's input type; the model check above made `input` that type.
  const output = await (cloudTrailOperations[operation] as CloudTrailHandler<typeof operation>)(ctx, input as never);
  audit.output = output;
  return serializeOutput(output);
}
