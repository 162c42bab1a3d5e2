/**
 * The HTTP front: node:http with a bounded body reader, the AWS JSON 1.1 dispatch by
 * X-Amz-Target (KMS, CloudTrail), the Query protocol dispatch of form-encoded requests
 * (IAM, STS), the --dev endpoints (clock, reset) and the probes (probes.ts); HTTPS instead
 * of HTTP when given a certificate. Every response carries
 * x-amzn-RequestId; an error that is not an AwsError becomes a generic
 * KMSInternalException and its detail goes to the log only. Every API request, whatever
 * its outcome, is recorded in the audit trail before its response is sent; a request
 * whose event cannot be recorded fails with KMSInternalException. A request that never
 * arrived in full (the client closed the connection mid-body, or it ran out of time) was
 * never an API call: it is logged at debug level and not recorded. Connection deadlines and
 * requests the HTTP parser refuses are httpConnection.ts's.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerOptions, type ServerResponse } from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import { AwsError, KMSInternalException, RequestEntityTooLargeException, UnknownOperationException } from "../errors.ts";
import type { Services } from "./context.ts";
import { JSON_CONTENT_TYPE, serializeError } from "./jsonProtocol.ts";
import { boundedOperationName, handleKmsRequest, KMS_TARGET_PREFIX } from "./kmsEndpoint.ts";
import { answerClientError, answerUnmetExpectation, DEFAULT_HTTP_TIMEOUTS, MAX_HEADER_BYTES, type HttpTimeouts } from "./httpConnection.ts";
import { log } from "./log.ts";
import { logRequest } from "./requestLog.ts";
import { DEV_ENDPOINTS } from "./devEndpoints.ts";
import { isConsolePath, serveConsoleFile } from "./consoleFiles.ts";
import { handleQueryRequest, queryErrorResponse, queryServiceOf, type QueryServiceName } from "./queryEndpoint.ts";
import { parseQueryForm, QUERY_CONTENT_TYPE, queryErrorCode, XML_CONTENT_TYPE } from "./queryProtocol.ts";
import { newRequestAudit, type RequestAudit } from "../audit/requestAudit.ts";
import { cloudTrailOperationOf, handleCloudTrailRequest } from "./cloudTrailEndpoint.ts";
import { observeRequest } from "../metrics/metrics.ts";
import { answerProbe } from "./probes.ts";
import type { RawRequest } from "./sigv4.ts";
import type { TlsFiles } from "./tls.ts";

/** The largest request body accepted (KMS's largest inputs, a 32 KB policy plus tags, fit easily). */
export const MAX_BODY_BYTES = 512 * 1024;

/** What the server needs besides the services: its place among the workers, and hooks. */
export interface ServerHooks {
  /** Which worker process this is (0 when there is one); /health reports it. */
  worker: number;
  /** Runs due jobs (deletions...) right after the dev clock moved. */
  afterClockAdvance(): Promise<void>;
  /** node:http's deadlines (DEFAULT_HTTP_TIMEOUTS unless a test shortens them). */
  timeouts?: HttpTimeouts;
  /** Log a line per API request (requestLog.ts). */
  logRequests: boolean;
  /** True once shutdown began (/ready then answers 503). */
  stopping?(): boolean;
  /** Serve the web console's files at /console/ (consoleFiles.ts). */
  console: boolean;
}

/** The server kmsd listens with: HTTP, or HTTPS with --tls-cert. */
export type KmsdServer = Server | HttpsServer;

/** Creates the HTTP(S) server (not yet listening) that serves the API with `services`. */
export function createKmsdServer(services: Services, hooks: ServerHooks, tls?: TlsFiles): KmsdServer {
  return createHttpServer(kmsdRequestListener(services, hooks), hooks.timeouts, tls);
}

/** The API's request handler: the probes, the --dev endpoints, and every AWS API request. */
export function kmsdRequestListener(services: Services, hooks: ServerHooks): RequestListener {
  return (req, res) => {
    handle(req, res, services, hooks).catch((error: unknown) => {
      log.error("response failed", { error: String(error) });
      res.destroy();
    });
  };
}

/**
 * Creates the server with kmsd's deadlines and limits around `listener` (not yet
 * listening): HTTPS only with `tls` (`setSecureContext` replaces the pair later), else HTTP.
 */
export function createHttpServer(listener: RequestListener, timeouts: HttpTimeouts = DEFAULT_HTTP_TIMEOUTS, tls?: TlsFiles): KmsdServer {
  const create = (options: ServerOptions, listener: RequestListener) =>
    tls ? createHttpsServer({ ...options, cert: tls.cert, key: tls.key }, listener) : createServer(options, listener);
  const server = create(
    {
      headersTimeout: timeouts.headersMs,
      requestTimeout: timeouts.requestMs,
      keepAliveTimeout: timeouts.keepAliveMs,
      connectionsCheckingInterval: timeouts.checkIntervalMs,
      maxHeaderSize: MAX_HEADER_BYTES,
      // A request without Host reaches kmsd (node:http would answer an empty-bodied 400): SigV4
      // signs the Host header, so authentication refuses it in AWS's error shape.
      requireHostHeader: false,
    },
    listener,
  );
  server.on("clientError", (error: Error & { code?: string }, socket) => answerClientError(error, socket, timeouts));
  server.on("checkExpectation", (_req: IncomingMessage, res: ServerResponse) => answerUnmetExpectation(res));
  return server;
}

/**
 * Refuses an API request that will not run (the node is sealed) with `error`, in the
 * request's protocol: XML for IAM/STS (form-encoded), JSON otherwise. The body is
 * drained unread, and nothing is recorded: the request never reached a service.
 */
export function refuseApiRequest(req: IncomingMessage, res: ServerResponse, error: AwsError): void {
  req.resume();
  const queryService = isFormEncoded(req) ? queryServiceOf(header(req, "authorization"), undefined) : undefined;
  const requestId = randomUUID();
  const answer = errorAnswer(error, queryService, requestId);
  send(res, requestId, answer.status, answer.body, answer.contentType);
}

/**
 * The connection closed (or its deadline passed) before the request arrived in full: no one
 * is left to answer, and nothing ran (the body is read before authentication).
 */
class IncompleteRequestError extends Error {}

async function handle(req: IncomingMessage, res: ServerResponse, services: Services, hooks: ServerHooks): Promise<void> {
  const arrivedMs = performance.now();
  const requestId = randomUUID();
  // Null for a request target URL cannot parse (`POST http://[x/ HTTP/1.1`): dispatch refuses it, audited.
  const url = URL.parse(req.url ?? "/", "http://localhost");
  const probe = url && req.method === "GET" ? await answerProbe(url.pathname, services, { worker: hooks.worker, stopping: () => hooks.stopping?.() ?? false }) : undefined;
  if (probe) return send(res, requestId, probe.status, probe.body, "application/json");
  // The console's static files: not API calls, so not audited (the console's own API calls are).
  if (url && hooks.console && isConsolePath(url.pathname)) return serveConsoleFile(req, res, url.pathname);
  // --dev's own endpoints (devEndpoints.ts): not API calls, so not audited; absent without --dev.
  const devEndpoint = url && services.dev && req.method === "POST" ? DEV_ENDPOINTS.get(url.pathname) : undefined;
  if (devEndpoint) {
    try {
      return send(res, requestId, 200, await devEndpoint(await readBody(req), services, hooks), "application/json");
    } catch (error) {
      if (error instanceof IncompleteRequestError) return logIncomplete(req, requestId);
      const awsError = error instanceof AwsError ? error : internalError(error, requestId);
      return send(res, requestId, awsError.status, serializeError(awsError.code, awsError.message), JSON_CONTENT_TYPE);
    }
  }
  // Every API request becomes an audit event, whatever step it fails at.
  const audit = newRequestAudit({
    requestId,
    timeMs: services.clock.nowMs(),
    sourceIp: origin(req).sourceIp,
    userAgent: header(req, "user-agent"),
    authorization: header(req, "authorization"),
  });
  // Set once the request is known to be an IAM/STS (Query protocol) one: its errors are XML.
  const protocol: { queryService: QueryServiceName | undefined } = { queryService: undefined };
  let answer: Answer;
  try {
    answer = await dispatch(req, url, services, audit, protocol);
  } catch (error) {
    // Not recorded: AWS records API calls, and this never became one. Nothing was
    // authenticated or changed, and there is no caller left to see an outcome.
    if (error instanceof IncompleteRequestError) return logIncomplete(req, requestId);
    const awsError = error instanceof AwsError ? error : internalError(error, requestId);
    if (awsError instanceof RequestEntityTooLargeException) res.setHeader("connection", "close");
    answer = errorAnswer(awsError, protocol.queryService, requestId);
    audit.errorCode = protocol.queryService === undefined ? awsError.code : queryErrorCode(awsError).code;
    audit.errorMessage = awsError.message;
  }
  // The answer goes out only once its event is on disk; if it cannot be recorded, the request fails.
  try {
    await services.audit.record(audit);
  } catch (error) {
    const awsError = error instanceof AwsError ? error : internalError(error, requestId);
    answer = errorAnswer(awsError, protocol.queryService, requestId);
    audit.errorCode = awsError.code; // what the caller gets, for the request log and the metrics (the record was not written)
  }
  if (hooks.logRequests) logRequest(audit, performance.now() - arrivedMs);
  send(res, requestId, answer.status, answer.body, answer.contentType);
  observeRequest(audit.service, audit.operation, audit.errorCode, (performance.now() - arrivedMs) / 1000);
}

/** A response to send. */
interface Answer {
  status: number;
  body: string;
  contentType: string;
}

/** Routes an API request to its pipeline: Query (IAM, STS), CloudTrail or KMS. */
async function dispatch(
  req: IncomingMessage,
  url: URL | null,
  services: Services,
  audit: RequestAudit,
  protocol: { queryService: QueryServiceName | undefined },
): Promise<Answer> {
  const target = header(req, "x-amz-target") ?? "";
  if (target !== "") audit.operation = boundedOperationName(target.slice(target.lastIndexOf(".") + 1));
  if (url === null) throw new UnknownOperationException("The request target is not a valid URL path.");
  const isQuery = target === "" && req.method === "POST" && url.pathname === "/" && isFormEncoded(req);
  if (isQuery) audit.service = protocol.queryService = queryServiceOf(header(req, "authorization"), undefined);
  const cloudTrailOperation = cloudTrailOperationOf(target);
  if (cloudTrailOperation !== undefined) audit.service = "cloudtrail";
  const body = await readBody(req);
  const raw = rawRequestOf(req, url, body);
  if (isQuery) {
    const form = parseQueryForm(body);
    const queryService = queryServiceOf(header(req, "authorization"), form.get("Action"));
    protocol.queryService = queryService;
    return { status: 200, body: await handleQueryRequest(queryService, form, raw, services, audit), contentType: XML_CONTENT_TYPE };
  }
  if (req.method === "POST" && url.pathname === "/" && cloudTrailOperation !== undefined) {
    const responseBody = await handleCloudTrailRequest(cloudTrailOperation, raw, services, audit);
    return { status: 200, body: responseBody, contentType: JSON_CONTENT_TYPE };
  }
  if (req.method !== "POST" || url.pathname !== "/" || !target.startsWith(KMS_TARGET_PREFIX)) {
    throw new UnknownOperationException(target ? `Unknown operation ${boundedOperationName(target)}` : "Missing X-Amz-Target header");
  }
  const responseBody = await handleKmsRequest(target.slice(KMS_TARGET_PREFIX.length), raw, services, audit);
  return { status: 200, body: responseBody, contentType: JSON_CONTENT_TYPE };
}

/** The error response of a request, in its protocol's format (XML for Query services). */
function errorAnswer(awsError: AwsError, queryService: QueryServiceName | undefined, requestId: string): Answer {
  if (queryService !== undefined) {
    const { status, body } = queryErrorResponse(queryService, awsError, requestId);
    return { status, body, contentType: XML_CONTENT_TYPE };
  }
  return { status: awsError.status, body: serializeError(awsError.code, awsError.message), contentType: JSON_CONTENT_TYPE };
}

function logIncomplete(req: IncomingMessage, requestId: string): void {
  log.debug("request abandoned before its body arrived in full", { requestId, sourceIp: origin(req).sourceIp });
}

function internalError(error: unknown, requestId: string): AwsError {
  log.error("internal error", { requestId, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  return new KMSInternalException("An internal error occurred. Retry the request; the request id identifies it in the server log.");
}

/** Sends a response; node:http adds its Date header itself (res.sendDate, from a per-second cache). */
function send(res: ServerResponse, requestId: string, status: number, body: string, contentType: string): void {
  res.writeHead(status, {
    "content-type": contentType,
    "content-length": Buffer.byteLength(body),
    "x-amzn-requestid": requestId,
  });
  res.end(body);
}

/** The request as SigV4 authentication sees it. */
export function rawRequestOf(req: IncomingMessage, url: URL, body: Buffer): RawRequest {
  return { method: req.method ?? "", path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers, body, ...origin(req) };
}

/**
 * Reads the body, refusing one over MAX_BODY_BYTES before buffering it whole; rejects with
 * IncompleteRequestError if the connection ends first.
 */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  const tooLarge = () => new RequestEntityTooLargeException(`Request body is larger than ${MAX_BODY_BYTES} bytes.`);
  if (Number(header(req, "content-length") ?? "0") > MAX_BODY_BYTES) {
    req.resume(); // drain without keeping anything; the response closes the connection
    return Promise.reject(tooLarge());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) return void chunks.push(chunk);
      req.off("data", onData).off("end", onEnd);
      req.resume();
      reject(tooLarge());
    };
    const onEnd = () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
    // node:http destroys the request with an "aborted" error when its connection closes
    // early; 'close' without 'end' covers a request destroyed without one.
    const onGone = () => reject(new IncompleteRequestError("the connection ended before the request body did"));
    const onClose = () => {
      if (!req.complete) onGone();
    };
    req.on("data", onData).on("end", onEnd).on("error", onGone).on("close", onClose);
  });
}

/** IAM and STS requests are form-encoded (AWS Query protocol); KMS's are JSON with X-Amz-Target. */
function isFormEncoded(req: IncomingMessage): boolean {
  return (header(req, "content-type") ?? "").toLowerCase().startsWith(QUERY_CONTENT_TYPE);
}

/** Where a request comes from, for condition keys and audit records. */
function origin(req: IncomingMessage): { sourceIp: string; secure: boolean } {
  const address = req.socket.remoteAddress ?? "";
  return { sourceIp: address.startsWith("::ffff:") ? address.slice(7) : address, secure: "encrypted" in req.socket };
}

function header(req: IncomingMessage, name: string): string | undefined {

  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
