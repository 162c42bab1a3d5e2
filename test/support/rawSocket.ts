/**
 * Writes arbitrary bytes to a kmsd port over a bare TCP connection and reads what comes
 * back: for requests node:http's client would refuse to send (malformed request lines,
 * binary headers, lying Content-Length, broken chunked encoding).
 */
import { connect } from "node:net";

/** What came back on the connection. */
export interface SocketAnswer {
  /** `answered`: a whole response arrived; `closed`: the server closed first; `waiting`: nothing complete before the timeout. */
  outcome: "answered" | "closed" | "waiting";
  /** Status of the first response, if its status line arrived. */
  status?: number;
  /** Header block of the first response (lower-cased names), if it arrived. */
  headers: Record<string, string>;
  /** Body of the first response (as much as arrived). */
  body: string;
}

/**
 * Sends `chunks` in order on a new connection to 127.0.0.1:`port`; with `halfClose` ends
 * the writing side afterwards (as a client that sent everything it will). Resolves once the
 * first response is complete (by its Content-Length), the connection closes, or `timeoutMs`
 * passes; the connection is then destroyed.
 */
export function exchangeBytes(port: number, chunks: readonly (string | Buffer)[], options: { halfClose?: boolean; timeoutMs?: number } = {}): Promise<SocketAnswer> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    let received: Buffer = Buffer.alloc(0);
    let settled = false;
    const bodyless = isHeadRequest(chunks);
    const finish = (outcome: SocketAnswer["outcome"]) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ outcome, ...parseResponse(received) });
    };
    const timer = setTimeout(() => finish("waiting"), options.timeoutMs ?? 2000);
    socket.on("connect", () => {
      for (const chunk of chunks) socket.write(chunk);
      if (options.halfClose) socket.end();
    });
    socket.on("data", (data: Buffer) => {
      received = skipInterimResponses(Buffer.concat([received, data]));
      if (isComplete(received, bodyless)) finish("answered");
    });
    socket.on("close", () => finish(isComplete(received, bodyless) ? "answered" : "closed"));
    socket.on("error", () => finish("closed")); // a reset is an answer of sorts: the server dropped us
  });
}

/** Whether the bytes start a HEAD request, whose answer has a Content-Length but no body. */
export function isHeadRequest(chunks: readonly (string | Buffer)[]): boolean {
  return String(chunks[0] ?? "").startsWith("HEAD ");
}

// Drops whole 1xx responses (`100 Continue` to an Expect header): the answer is the final one.
function skipInterimResponses(bytes: Buffer): Buffer {
  let rest: Buffer = bytes;
  while (/^HTTP\/1\.[01] 1\d\d /.test(rest.subarray(0, 16).toString("latin1")) && headEnd(rest) >= 0) rest = rest.subarray(headEnd(rest) + 4);
  return rest;
}

function headEnd(bytes: Buffer): number {
  return bytes.indexOf("\r\n\r\n");
}

function isComplete(bytes: Buffer, bodyless: boolean): boolean {
  const end = headEnd(bytes);
  if (end < 0) return false;
  if (bodyless) return true;
  const { headers } = parseResponse(bytes);
  const length = Number(headers["content-length"] ?? "0");
  return bytes.length - (end + 4) >= length;
}

function parseResponse(bytes: Buffer): Omit<SocketAnswer, "outcome"> {
  const end = headEnd(bytes);
  const head = (end < 0 ? bytes : bytes.subarray(0, end)).toString("latin1");
  const [statusLine = "", ...lines] = head.split("\r\n");
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1];
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const length = Number(headers["content-length"] ?? "0");
  const body = end < 0 ? "" : bytes.subarray(end + 4, end + 4 + length).toString("utf8");
  return { ...(status === undefined ? {} : { status: Number(status) }), headers, body };
}
