/**
 * What a connection may cost kmsd before a request exists: how long headers, a whole request
 * and an idle keep-alive connection may take (node:http's timeouts, set deliberately rather
 * than left at Node's 300 s request timeout), and the answer to a request node:http's parser
 * refused (`clientError`): AWS's JSON error shape instead of Node's empty-bodied 400, 408,
 * 413 and 431.
 *
 * Such a request is not recorded in the audit trail: it never became an API call (no
 * operation, no caller, nothing authenticated), like a request AWS's front end turns away.
 */
import { randomUUID } from "node:crypto";
import type { ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { JSON_CONTENT_TYPE, serializeError } from "./jsonProtocol.ts";
import { log } from "./log.ts";

/** The largest request head (request line and headers) node:http takes; set explicitly so the 431 message stays true. */
export const MAX_HEADER_BYTES = 16 * 1024;

/** node:http's deadlines, in milliseconds. */
export interface HttpTimeouts {
  /** The headers must have arrived by then, counted from the first byte of the request. */
  headersMs: number;
  /** The whole request, headers and body, must have arrived by then. */
  requestMs: number;
  /** An idle keep-alive connection is closed after this long. */
  keepAliveMs: number;
  /** How often node:http checks the two deadlines above (a deadline is enforced up to this much late). */
  checkIntervalMs: number;
}

/**
 * The deadlines kmsd serves with. 30 s for a request: the largest body kmsd takes (512 KiB)
 * needs less than 1 s at 5 Mbit/s, and a body trickled one byte every few seconds no longer
 * holds a connection for Node's default 300 s. 10 s for headers (at most 16 KiB). Keep-alive
 * 65 s: longer than the idle timeouts of common load balancers and clients (60 s), so that kmsd
 * is not the side that closes a connection a client is about to reuse (the client would see a
 * reset), while an idle connection costs only a socket. Deadlines are checked every second
 * (Node's default 30 s would let a 30 s deadline slip to 60).
 */
export const DEFAULT_HTTP_TIMEOUTS: Readonly<HttpTimeouts> = {
  headersMs: 10_000,
  requestMs: 30_000,
  keepAliveMs: 65_000,
  checkIntervalMs: 1_000,
};

/**
 * The deadlines, with the test hook KMSD_TEST_REQUEST_TIMEOUT_MS: a shorter request (and
 * headers) deadline, checked often enough to be exact, so a test need not wait 30 s.
 */
export function httpTimeoutsFromEnv(env: NodeJS.ProcessEnv): HttpTimeouts {
  const requestMs = Number(env.KMSD_TEST_REQUEST_TIMEOUT_MS);
  if (!Number.isInteger(requestMs) || requestMs <= 0) return { ...DEFAULT_HTTP_TIMEOUTS };
  return {
    ...DEFAULT_HTTP_TIMEOUTS,
    requestMs,
    // node:http refuses a headers deadline later than the request deadline.
    headersMs: Math.min(DEFAULT_HTTP_TIMEOUTS.headersMs, requestMs),
    checkIntervalMs: Math.max(10, Math.min(DEFAULT_HTTP_TIMEOUTS.checkIntervalMs, Math.floor(requestMs / 10))),
  };
}

/** How kmsd answers each kind of request node:http's parser refused: status, reason phrase, AWS error type, message. */
function refusalOf(code: string | undefined, timeouts: HttpTimeouts): { status: number; reason: string; type: string; message: string } {
  switch (code) {
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return {
        status: 408,
        reason: "Request Timeout",
        type: "RequestTimeoutException",
        message: `The request did not arrive in full within ${timeouts.requestMs / 1000} s.`,
      };
    case "HPE_HEADER_OVERFLOW":
      return {
        status: 431,
        reason: "Request Header Fields Too Large",
        type: "RequestHeaderFieldsTooLargeException",
        message: `The request's headers are larger than ${MAX_HEADER_BYTES} bytes.`,
      };
    case "HPE_CHUNK_EXTENSIONS_OVERFLOW":
      return { status: 413, reason: "Payload Too Large", type: "RequestEntityTooLargeException", message: "The request's chunk extensions are too large." };
    default:
      return { status: 400, reason: "Bad Request", type: "MalformedHttpRequestException", message: "The request is not valid HTTP/1.1." };
  }
}

/**
 * node:http's `checkExpectation` listener: a request whose Expect header is not
 * `100-continue` cannot be met (RFC 9110); answered 417 in AWS's JSON error shape instead of
 * Node's empty-bodied one. The request is not read, so the connection closes after.
 */
export function answerUnmetExpectation(res: ServerResponse): void {
  const body = serializeError("ExpectationFailedException", "The request's Expect header cannot be met; only 100-continue is supported.");
  res.writeHead(417, { "Content-Type": JSON_CONTENT_TYPE, "Content-Length": Buffer.byteLength(body), "x-amzn-RequestId": randomUUID(), Connection: "close" });
  res.end(body);
}

/** The response node:http has under way on a socket, if any (its own `clientError` default looks there too). */
function responseUnderWay(socket: Duplex): { headersSent: boolean } | undefined {
  return (socket as Duplex & { _httpMessage?: { headersSent: boolean } | null })._httpMessage ?? undefined;
}

/**
 * node:http's `clientError` listener: answers in AWS's JSON error shape on the raw socket
 * (there is no request or response object), unless the peer is gone or a response already
 * began on that socket (writing then would corrupt it), and closes the connection.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex, timeouts: HttpTimeouts): void {
  const refusal = refusalOf(error.code, timeouts);
  log.debug("request refused by the HTTP parser", { code: error.code ?? error.message, status: refusal.status });
  if (error.code === "ECONNRESET" || !socket.writable || responseUnderWay(socket)?.headersSent === true) {
    socket.destroy();
    return;
  }
  const body = serializeError(refusal.type, refusal.message);
  const head = [
    `HTTP/1.1 ${refusal.status} ${refusal.reason}`,
    `Content-Type: ${JSON_CONTENT_TYPE}`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    `x-amzn-RequestId: ${randomUUID()}`,
    `Date: ${new Date().toUTCString()}`,
    "Connection: close",
  ].join("\r\n");
  // Destroyed once written: a client still sending would otherwise keep the connection open.
  socket.end(`${head}\r\n\r\n${body}`, () => socket.destroy());
}
