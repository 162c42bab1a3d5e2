/**
 * End to end, on raw sockets: what kmsd does with requests that never arrive in full or that
 * node:http's parser refuses. A client that drops its connection mid-body is no internal
 * error and no API call (logged at debug level, not recorded); a request or its headers
 * trickled past the deadline is cut off with a JSON 408 (the server here runs with a 1 s
 * deadline, KMSD_TEST_REQUEST_TIMEOUT_MS, instead of the 30 s one); the parser's 400, 413 and
 * 431 come in AWS's JSON error shape, not with empty bodies.
 */
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { ListKeysCommand } from "@aws-sdk/client-kms";
import { storedEvents } from "./support/audit.ts";
import { startKmsd, type Kmsd } from "./support/kmsd.ts";

const DEADLINE_MS = 1_000;

/** An HTTP answer read off a raw socket, and when the server closed the connection. */
interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Milliseconds from the connection to its close by the server. */
  closedAfterMs: number;
}

/**
 * Opens a connection, writes `request`, then `trickle` one byte every `everyMs` (while the
 * connection lasts), and reads until the server closes; fails after `limitMs`.
 */
function exchange(port: number, request: string, options: { trickle?: number; everyMs?: number; limitMs?: number } = {}): Promise<RawAnswer> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    const limit = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server kept the connection open for ${options.limitMs ?? 5_000} ms`));
    }, options.limitMs ?? 5_000);
    socket.on("connect", () => {
      socket.write(request);
      let left = options.trickle ?? 0;
      if (left > 0) {
        timer = setInterval(() => {
          if (left-- > 0 && socket.writable) socket.write("x");
        }, options.everyMs ?? 100);
      }
    });
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", () => undefined); // a reset after the answer: what was read still counts
    socket.on("close", () => {
      clearTimeout(limit);
      clearInterval(timer);
      resolve(parseAnswer(Buffer.concat(chunks).toString("utf8"), Date.now() - started));
    });
  });
}

function parseAnswer(text: string, closedAfterMs: number): RawAnswer {
  const split = text.indexOf("\r\n\r\n");
  const [statusLine = "", ...headerLines] = (split < 0 ? text : text.slice(0, split)).split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(":");
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine.split(" ")[1] ?? 0), headers, body: split < 0 ? "" : text.slice(split + 4), closedAfterMs };
}

/** The head of a KMS request whose body is announced as `contentLength` bytes. */
const requestHead = (contentLength: number) =>
  "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-amz-json-1.1\r\n" +
  `X-Amz-Target: TrentService.ListKeys\r\nContent-Length: ${contentLength}\r\n\r\n`;

/** Waits until `check` holds, for up to `ms`. */
async function eventually(check: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe("HTTP edges: incomplete and unparseable requests", () => {
  let kmsd: Kmsd;

  before(async () => {
    process.env.KMSD_TEST_REQUEST_TIMEOUT_MS = String(DEADLINE_MS);
    try {
      kmsd = await startKmsd({ args: ["--log-level", "debug"] });
    } finally {
      delete process.env.KMSD_TEST_REQUEST_TIMEOUT_MS;
    }
  });
  after(() => kmsd.dispose());

  const errorLines = () => kmsd.stderr().split("\n").filter((line) => line.includes('"level":"error"'));
  const internalErrorEvents = () => storedEvents(kmsd.dataDir).filter((event) => event.record.errorCode === "KMSInternalException");
  const abandoned = () => (kmsd.stderr().match(/"level":"debug","message":"request abandoned before its body arrived in full"/g) ?? []).length;

  it("a client that closes its connection mid-body is logged at debug level and not recorded", async () => {
    // Given a request whose body stops after 10 of 1000 bytes
    const eventsBefore = storedEvents(kmsd.dataDir).length;
    const debugBefore = abandoned();
    const socket: Socket = connect(kmsd.port, "127.0.0.1");
    await new Promise<void>((resolve) => socket.on("connect", resolve));
    socket.write(`${requestHead(1000)}{"Limit":1`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    // When the client goes away
    socket.destroy();
    await eventually(() => abandoned() > debugBefore || errorLines().length > 0);
    // Then a debug line says so, nothing is logged as an error, and no event is recorded
    assert.deepEqual(errorLines(), []);
    assert.equal(abandoned(), debugBefore + 1);
    await kmsd.kms().send(new ListKeysCommand({})); // an answered request's event: everything before it is committed
    assert.equal(storedEvents(kmsd.dataDir).length, eventsBefore + 1);
    assert.deepEqual(internalErrorEvents(), []);
  });

  const deadlineCases = [
    { name: "a body trickled one byte every 100 ms", request: requestHead(10_000), trickle: 100 },
    { name: "headers that never end", request: "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: TrentService.ListKeys\r\n", trickle: 0 },
  ];
  for (const { name, request, trickle } of deadlineCases) {
    it(`${name}: cut off at the deadline with a JSON 408, not recorded`, async () => {
      const eventsBefore = storedEvents(kmsd.dataDir).length;
      const answer = await exchange(kmsd.port, request, { trickle, everyMs: 100, limitMs: 5_000 });
      assert.equal(answer.status, 408);
      assert.equal(answer.headers["content-type"], "application/x-amz-json-1.1");
      assert.ok(answer.headers["x-amzn-requestid"]);
      assert.deepEqual(JSON.parse(answer.body), {
        __type: "RequestTimeoutException",
        message: `The request did not arrive in full within ${DEADLINE_MS / 1000} s.`,
      });
      assert.ok(answer.closedAfterMs >= DEADLINE_MS - 50 && answer.closedAfterMs < DEADLINE_MS + 1_500, `closed after ${answer.closedAfterMs} ms`);
      await kmsd.kms().send(new ListKeysCommand({}));
      assert.equal(storedEvents(kmsd.dataDir).length, eventsBefore + 1);
      assert.deepEqual(errorLines(), []);
    });
  }

  const parserCases = [
    {
      name: "a request line that is not HTTP",
      request: "HELLO THERE\r\n\r\n",
      status: 400,
      type: "MalformedHttpRequestException",
      message: "The request is not valid HTTP/1.1.",
    },
    {
      name: "headers over 16 KiB",
      request: `POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: ${"a".repeat(20_000)}\r\n\r\n`,
      status: 431,
      type: "RequestHeaderFieldsTooLargeException",
      message: "The request's headers are larger than 16384 bytes.",
    },
    {
      name: "chunk extensions over 16 KiB",
      request: `POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: TrentService.ListKeys\r\nTransfer-Encoding: chunked\r\n\r\n1;${"e".repeat(20_000)}\r\nx\r\n0\r\n\r\n`,
      status: 413,
      type: "RequestEntityTooLargeException",
      message: "The request's chunk extensions are too large.",
    },
  ];
  for (const { name, request, status, type, message } of parserCases) {
    it(`${name}: ${status} in AWS's JSON error shape, then the connection closes`, async () => {
      const answer = await exchange(kmsd.port, request);
      assert.equal(answer.status, status);
      assert.equal(answer.headers["content-type"], "application/x-amz-json-1.1");
      assert.equal(answer.headers.connection, "close");
      assert.ok(answer.headers["x-amzn-requestid"]);
      const body = JSON.parse(answer.body) as { __type: string; message: string };
      assert.equal(body.__type, type);
      assert.equal(body.message, message);
      assert.deepEqual(errorLines(), []);
    });
  }

  it("the server still answers, and recorded no internal error for any of the above", async () => {
    await kmsd.kms().send(new ListKeysCommand({}));
    assert.deepEqual(internalErrorEvents(), []);
    assert.deepEqual(errorLines(), []);
  });
});
