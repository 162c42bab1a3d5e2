/**
 * The one request pipeline of every API (KMS, CloudTrail, IAM, STS): whatever request reaches
 * it becomes an audit event, whatever step it fails at. It finds the service (X-Amz-Target for
 * AWS JSON, a form-encoded body for Query), then: operation → authenticate → members → handler
 * lookup → validate against the model → the audit trail can record → the service's own checks
 * (KMS: quotas, IAM-only authorization) → handler → serialise; then the event is committed and
 * only then is the answer sent. An error that is not an AwsError becomes a generic
 * KMSInternalException whose detail goes to the log only; a request whose event cannot be
 * recorded fails with KMSInternalException. A request that never arrived in full (the client
 * closed the connection mid-body, or it ran out of time) was never an API call: it is logged
 * at debug level and not recorded. Handlers never see HTTP, JSON, forms, SigV4 or the audit.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AuditedService } from "../audit/auditedServices.ts";
import { newRequestAudit, type RequestAudit } from "../audit/requestAudit.ts";
import { AwsError, RequestEntityTooLargeException, UnknownOperationException } from "../errors.ts";
import { observeRequest } from "../metrics/metrics.ts";
import { decodeInput } from "../model/validate.ts";
import { boundedOperationName, type AnyApiService, type ApiCall, type ApiService } from "./apiService.ts";
import { authenticate } from "./authenticate.ts";
import { CLOUDTRAIL_SERVICE } from "./cloudTrailEndpoint.ts";
import { requestContext, type Services } from "./context.ts";
import { header, IncompleteRequestError, internalError, isFormEncoded, logIncomplete, origin, rawRequestOf, readBody, send, type Answer } from "./httpExchange.ts";
import { KMS_SERVICE } from "./kmsEndpoint.ts";
import { QUERY_SERVICES, queryServiceOf } from "./queryEndpoint.ts";
import { parseQueryForm } from "./queryProtocol.ts";
import { logRequest } from "./requestLog.ts";

/** Every API service, by its name in the audit trail: the compiler rejects an audited service without one. */
export const API_SERVICES: Readonly<Record<AuditedService, AnyApiService>> = {
  kms: KMS_SERVICE,
  cloudtrail: CLOUDTRAIL_SERVICE,
  iam: QUERY_SERVICES.iam,
  sts: QUERY_SERVICES.sts,
};

/** The AWS JSON services, found by X-Amz-Target. */
const JSON_SERVICES: readonly ApiService<Buffer>[] = [KMS_SERVICE, CLOUDTRAIL_SERVICE];

/** What the pipeline needs besides the request. */
export interface PipelineOptions {
  /** Log a line per API request (requestLog.ts). */
  logRequests: boolean;
}

/**
 * Answers one API request (`url` null: a request target that does not parse, refused and
 * recorded): records its audit event, then sends the answer, then counts it.
 */
export async function answerApiRequest(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL | null,
  services: Services,
  options: PipelineOptions,
): Promise<void> {
  const arrivedMs = performance.now();
  const requestId = randomUUID();
  const audit = newRequestAudit({
    requestId,
    timeMs: services.clock.nowMs(),
    sourceIp: origin(req).sourceIp,
    userAgent: header(req, "user-agent"),
    authorization: header(req, "authorization"),
  });
  let answer: Answer;
  try {
    answer = await dispatch(req, url, services, audit);
  } catch (error) {
    // Not recorded: AWS records API calls, and this never became one. Nothing was
    // authenticated or changed, and there is no caller left to see an outcome.
    if (error instanceof IncompleteRequestError) return logIncomplete(req, requestId);
    const awsError = error instanceof AwsError ? error : internalError(error, requestId);
    if (awsError instanceof RequestEntityTooLargeException) res.setHeader("connection", "close");
    // audit.service is the service as far as the request was understood: its errors speak that service's protocol.
    const { protocol, model } = API_SERVICES[audit.service];
    answer = protocol.errorAnswer(model, awsError, requestId);
    audit.errorCode = protocol.errorCode(awsError);
    audit.errorMessage = awsError.message;
  }
  // The answer goes out only once its event is on disk; if it cannot be recorded, the request fails.
  try {
    await services.audit.record(audit);
  } catch (error) {
    const awsError = error instanceof AwsError ? error : internalError(error, requestId);
    const { protocol, model } = API_SERVICES[audit.service];
    answer = protocol.errorAnswer(model, awsError, requestId);
    audit.errorCode = awsError.code; // what the caller gets, for the request log and the metrics (the record was not written)
  }
  if (options.logRequests) logRequest(audit, performance.now() - arrivedMs);
  send(res, requestId, answer.status, answer.body, answer.contentType);
  observeRequest(audit.service, audit.operation, audit.errorCode, (performance.now() - arrivedMs) / 1000);
}

/**
 * Refuses an API request that will not run (the node is sealed) with `error`, in the
 * request's protocol: XML for IAM/STS (form-encoded), JSON otherwise. The body is
 * drained unread, and nothing is recorded: the request never reached a service.
 */
export function refuseApiRequest(req: IncomingMessage, res: ServerResponse, error: AwsError): void {
  req.resume();
  const { protocol, model } = isFormEncoded(req) ? QUERY_SERVICES[queryServiceOf(header(req, "authorization"), undefined)] : KMS_SERVICE;
  const requestId = randomUUID();
  const answer = protocol.errorAnswer(model, error, requestId);
  send(res, requestId, answer.status, answer.body, answer.contentType);
}

/**
 * Finds the request's service and operation, reads the body, and runs the operation. What is
 * learnt on the way goes into `audit` first, so that a refusal is recorded (and answered) as
 * that service's.
 */
async function dispatch(req: IncomingMessage, url: URL | null, services: Services, audit: RequestAudit): Promise<Answer> {
  const target = header(req, "x-amz-target") ?? "";
  if (target !== "") audit.operation = boundedOperationName(target.slice(target.lastIndexOf(".") + 1));
  if (url === null) throw new UnknownOperationException("The request target is not a valid URL path.");
  const atApiPath = req.method === "POST" && url.pathname === "/";
  if (target === "" && atApiPath && isFormEncoded(req)) {
    const authorization = header(req, "authorization");
    audit.service = queryServiceOf(authorization, undefined);
    const body = await readBody(req);
    const form = parseQueryForm(body);
    const action = form.get("Action");
    const call = { operation: action ?? "", raw: rawRequestOf(req, url, body), payload: form };
    return runOperation(QUERY_SERVICES[queryServiceOf(authorization, action)], call, services, audit);
  }
  const named = jsonOperationOf(target);
  if (named !== undefined) audit.service = named.service.name;
  const body = await readBody(req);
  if (!atApiPath || named === undefined) {
    throw new UnknownOperationException(target ? `Unknown operation ${boundedOperationName(target)}` : "Missing X-Amz-Target header");
  }
  return runOperation(named.service, { operation: named.operation, raw: rawRequestOf(req, url, body), payload: body }, services, audit);
}

/** The AWS JSON service an X-Amz-Target names, and the operation after its prefix. */
function jsonOperationOf(target: string): { service: ApiService<Buffer>; operation: string } | undefined {
  for (const service of JSON_SERVICES) {
    for (const prefix of service.targetPrefixes ?? []) {
      if (target.startsWith(prefix)) return { service, operation: target.slice(prefix.length) };
    }
  }
  return undefined;
}

/**
 * Runs one operation of `service`, filling `audit` as it learns who calls, what and with which
 * keys; returns the answer.
 */
async function runOperation<Payload>(service: ApiService<Payload>, call: ApiCall<Payload>, services: Services, audit: RequestAudit): Promise<Answer> {
  const { model, protocol } = service;
  const { operation, raw } = call;
  const requestId = audit.requestId;
  audit.service = service.name;
  audit.operation = operation === "" ? undefined : boundedOperationName(operation);
  const unknown = protocol.unknownOperation(model, call);
  if (unknown !== undefined) throw unknown;
  const nowMs = services.clock.nowMs();
  const { principal, region } = await authenticate(raw, services, service.name, nowMs);
  audit.principal = principal;
  audit.region = region;
  const body = protocol.members(model, call);
  audit.body = body;
  const handler = service.handlers.get(operation);
  if (handler === undefined) throw service.notImplemented(operation);
  const input = decodeInput(model, operation, body);
  audit.input = input;
  const ctx = requestContext(raw, requestId, principal, region, nowMs, services, input);
  // --dev only: a request may claim an integrated service (kms:ViaService), so tests can use AWS managed keys.
  ctx.viaService = services.dev ? header(raw, "x-kmsd-via-service") : undefined;
  ctx.keysUsed = audit.keys;
  // Fail closed: if the audit trail cannot record, refuse before anything can change.
  services.audit.assertAvailable();
  if (service.admit) await service.admit(ctx, operation, input);
  const output = await handler(ctx, input as never);
  audit.output = output;
  return { status: 200, body: protocol.serialize(model, call, output, requestId), contentType: protocol.contentType };
}
