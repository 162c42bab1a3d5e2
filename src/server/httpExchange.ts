/**
 * The bits of one HTTP exchange every route uses: reading the body within its bound, the
 * request as SigV4 sees it, where it came from, and sending an answer with its request id.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { KMSInternalException, RequestEntityTooLargeException, type AwsError } from "../errors.ts";
import { log } from "./log.ts";
import { QUERY_CONTENT_TYPE } from "./queryProtocol.ts";
import type { RawRequest } from "./sigv4.ts";

/** The largest request body accepted (KMS's largest inputs, a 32 KB policy plus tags, fit easily). */
export const MAX_BODY_BYTES = 512 * 1024;

/** A response to send. */
export interface Answer {
  status: number;
  body: string;
  contentType: string;
}

/**
 * The connection closed (or its deadline passed) before the request arrived in full: no one
 * is left to answer, and nothing ran (the body is read before authentication).
 */
export class IncompleteRequestError extends Error {}

/** Logs a request whose connection ended before its body did (there is no one to answer). */
export function logIncomplete(req: IncomingMessage, requestId: string): void {
  log.debug("request abandoned before its body arrived in full", { requestId, sourceIp: origin(req).sourceIp });
}

/** The generic answer to an error that is not an AwsError; its detail goes to the log, with the request id. */
export function internalError(error: unknown, requestId: string): AwsError {
  log.error("internal error", { requestId, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  return new KMSInternalException("An internal error occurred. Retry the request; the request id identifies it in the server log.");
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

/** Sends a response; node:http adds its Date header itself (res.sendDate, from a per-second cache). */
export function send(res: ServerResponse, requestId: string, status: number, body: string, contentType: string): void {
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

/** IAM and STS requests are form-encoded (AWS Query protocol); KMS's are JSON with X-Amz-Target. */
export function isFormEncoded(req: IncomingMessage): boolean {
  return (header(req, "content-type") ?? "").toLowerCase().startsWith(QUERY_CONTENT_TYPE);
}

/** Where a request comes from, for condition keys and audit records. */
export function origin(req: IncomingMessage): { sourceIp: string; secure: boolean } {
  const address = req.socket.remoteAddress ?? "";
  return { sourceIp: address.startsWith("::ffff:") ? address.slice(7) : address, secure: "encrypted" in req.socket };
}

/** A request header's (first) value; `name` lower-cased. */
export function header(req: { headers: Record<string, string | string[] | undefined> }, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
