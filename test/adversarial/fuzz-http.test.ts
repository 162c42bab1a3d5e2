/**
 * The raw HTTP layer under attack: malformed request lines, headers (huge, duplicated,
 * missing, binary), bodies (truncated, lying Content-Length, broken chunked encoding,
 * invalid JSON and UTF-8, deep nesting, wrong content types), garbled SigV4 Authorization
 * headers, X-Amz-Target variants, wrong methods and paths, written byte for byte on bare
 * TCP connections; then seeded random mutations of a valid signed request.
 *
 * Must hold: never a 5xx; an error with a body is AWS-shaped (`{"__type", "message"?}` or an
 * `<ErrorResponse>`), but for the plain 404 of a GET or HEAD of a path the server does not
 * have; node:http's own parser refusals (400/413/431 with an empty body) are
 * accepted for now (someone else is giving them AWS bodies); the server answers a normal
 * request after every group, logs no internal error, and its audit trail verifies.
 *
 * KMSD_FUZZ_SEED replays the random part; KMSD_FUZZ_COUNT sets how many random mutations;
 * KMSD_FUZZ_VERBOSE=1 prints every case's outcome.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { forEachConcurrently } from "../support/concurrently.ts";
import { rawRequest, signedHeaders, startKmsd, type Kmsd, type RawResponse } from "../support/kmsd.ts";
import { exchangeBytes, isHeadRequest, type SocketAnswer } from "../support/rawSocket.ts";
import { fuzzCount, fuzzSeed, seededRandom, type Random } from "../support/seededRandom.ts";
import { deeplyNested, toJsonText } from "../support/shapeFuzzer.ts";
import { internalErrorsLogged, jsonAnswerProblem, stopAndVerifyAudit, Tally } from "./oracle.ts";

const SEED = fuzzSeed();
const RANDOM_COUNT = fuzzCount(400);
const CONCURRENCY = 4;
const VERBOSE = process.env.KMSD_FUZZ_VERBOSE === "1";
// Statuses node:http's parser refuses a request with (417: an Expect header it cannot meet);
// kmsd answers them in AWS's JSON error shape, and an empty body is counted as a defect.
const PARSER_STATUSES = new Set([400, 413, 417, 431, 505]);
// What node:http reports when a client closes before its request is complete; kmsd must log it
// at debug level, never as an internal error.
const CLIENT_ABORT = "Error: aborted";

/** One request written as bytes. `mayWait`: the server may rightly wait for more (a body shorter than announced). */
interface HttpCase {
  name: string;
  chunks: (string | Buffer)[];
  /** End the writing side after sending, as a client that gives up would (node:http then aborts the request). */
  halfClose?: boolean;
  mayWait?: boolean;
}

const CRLF = "\r\n";

/** A request's bytes: request line, header lines (in order, duplicates allowed), blank line, body. */
function http(requestLine: string, headers: readonly (readonly [string, string])[], body: string | Buffer = ""): Buffer {
  const head = `${requestLine}${CRLF}${headers.map(([name, value]) => `${name}: ${value}${CRLF}`).join("")}${CRLF}`;
  return Buffer.concat([Buffer.from(head, "latin1"), Buffer.isBuffer(body) ? body : Buffer.from(body, "utf8")]);
}

describe(`adversarial: raw HTTP layer fuzzing (seed ${SEED}, ${RANDOM_COUNT} random mutations)`, () => {
  let kmsd: Kmsd;
  let host: string;
  const random: Random = seededRandom(SEED);
  const outcomes = new Tally();
  const problems: string[] = [];
  const caseOutcomes: string[] = [];
  const emptyBodied = new Set<string>();

  before(async () => {
    kmsd = await startKmsd();
    host = `127.0.0.1:${kmsd.port}`;
  });
  after(async (t) => {
    for (const line of [`seed ${SEED} (replay with KMSD_FUZZ_SEED=${SEED})`, ...outcomes.lines("connections by outcome"), ...caseOutcomes]) t.diagnostic(line);
    await kmsd.dispose();
  });

  /** The header lines of a signed KMS request (host, content type, target, length, SigV4). */
  const signedKms = async (target: string, body: string | Buffer, extra: Record<string, string> = {}): Promise<[string, string][]> => {
    const headers = await signedHeaders(
      kmsd.endpoint,
      {
        method: "POST",
        path: "/",
        headers: { host, "content-type": "application/x-amz-json-1.1", "x-amz-target": target, "content-length": String(Buffer.byteLength(body)), ...extra },
        body,
      },
      { credentials: kmsd.credentials },
    );
    return Object.entries(headers);
  };
  const withHeader = (headers: [string, string][], name: string, value: (current: string) => string): [string, string][] =>
    headers.map(([n, v]) => [n, n.toLowerCase() === name ? value(v) : v]);
  const without = (headers: [string, string][], name: string): [string, string][] => headers.filter(([n]) => n.toLowerCase() !== name);

  /** Checks one connection's answer, tallies its outcome and records what is unacceptable. */
  const judge = (testCase: HttpCase, answer: SocketAnswer): void => {
    if (VERBOSE) caseOutcomes.push(`${testCase.name} -> ${answer.outcome} ${answer.status ?? "-"} ${answer.body.slice(0, 120)}`);
    const fail = (why: string) => void problems.push(`${testCase.name}: ${why} (status ${answer.status ?? "-"}, body ${answer.body.slice(0, 200)})`);
    if (answer.status === undefined) {
      outcomes.add(answer.outcome === "waiting" ? "no answer yet (server waits for more bytes)" : "connection closed without an answer");
      if (answer.outcome === "waiting" && !testCase.mayWait) fail("no answer within the timeout");
      return;
    }
    if (answer.status >= 500) return fail("5xx");
    // A GET or HEAD of a path the server does not have (anything but /) is a plain 404, not an API call (src/server/routes.ts).
    if (answer.status === 404 && /^text\/plain/.test(String(answer.headers["content-type"])) && /^(GET|HEAD) \/[^ ?]/.test(String(testCase.chunks[0] ?? ""))) {
      return void outcomes.add("404 (plain: no such path)");
    }
    if (answer.body === "") {
      outcomes.add(`${answer.status} (empty body: node:http parser)`);
      if (answer.status !== 200 && !isHeadRequest(testCase.chunks)) emptyBodied.add(testCase.name);
      if (!PARSER_STATUSES.has(answer.status) && answer.status !== 200) fail("an answer with neither a body nor a parser status");
      return;
    }
    const type = /"__type"\s*:\s*"([^"]{1,100})"/.exec(answer.body)?.[1] ?? /<Code>([^<]{1,100})<\/Code>/.exec(answer.body)?.[1];
    outcomes.add(`${answer.status} ${type ?? "(body)"}`);
    if (answer.body.startsWith("<")) {
      if (answer.status !== 200 && !/^<ErrorResponse[ >]/.test(answer.body)) fail("XML error that is not an <ErrorResponse>");
      return;
    }
    const asRaw: RawResponse = { status: answer.status, headers: answer.headers, body: answer.body, json: () => JSON.parse(answer.body) as Record<string, unknown> };
    const problem = jsonAnswerProblem(asRaw, undefined);
    if (problem !== undefined) fail(problem);
  };

  /** Sends every case of a group, then checks the server still answers a normal signed request. */
  const runGroup = async (cases: HttpCase[], timeoutMs = 1500) => {
    await forEachConcurrently(cases, CONCURRENCY, async (testCase) => {
      judge(testCase, await exchangeBytes(kmsd.port, testCase.chunks, { halfClose: testCase.halfClose ?? false, timeoutMs }));
    });
    const alive = await rawRequest(kmsd.endpoint, { target: "TrentService.ListKeys", body: "{}", sign: { credentials: kmsd.credentials } });
    assert.equal(alive.status, 200, `a normal request after the group answered ${alive.status}: ${alive.body}`);
    assert.equal(kmsd.process.exitCode, null, "kmsd exited");
  };
  const assertNoProblems = () => assert.deepEqual(problems.splice(0).slice(0, 20), [], "unacceptable answers (first 20)");

  it("malformed request lines, methods and paths", async () => {
    const listKeys = await signedKms("TrentService.ListKeys", "{}");
    const lines = [
      "GARBAGE",
      "GET",
      "POST / HTTP/9.9",
      "POST / HTTP/1.1 extra",
      "POST  /  HTTP/1.1",
      "post / HTTP/1.1",
      "POST * HTTP/1.1",
      "OPTIONS * HTTP/1.1",
      "CONNECT 127.0.0.1:1 HTTP/1.1",
      "POST http://[x/ HTTP/1.1",
      "POST //// HTTP/1.1",
      "POST /%ZZ HTTP/1.1",
      "POST /?a=%ff%fe HTTP/1.1",
      "POST /../../etc/passwd HTTP/1.1",
      `POST /${"a".repeat(20_000)} HTTP/1.1`,
      "POST / HTTP/1.0",
      "\u0000\u0001\u0002 / HTTP/1.1",
      ...["GET", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "PROPFIND"].map((method) => `${method} / HTTP/1.1`),
      ...["/foo", "/health/", "/kmsd/dev/clock", "/?Action=ListUsers", "/index.html", "/%2F"].map((path) => `POST ${path} HTTP/1.1`),
      "GET /health?verbose=1 HTTP/1.1",
      "GET /kmsd/dev/clock HTTP/1.1",
    ];
    const cases: HttpCase[] = lines.map((line) => ({ name: `request line ${JSON.stringify(line.slice(0, 60))}`, chunks: [http(line, listKeys, "{}")] }));
    cases.push({ name: "HTTP/2 preface", chunks: ["PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"] });
    // node:http skips blank lines before a request line, as RFC 9112 allows, and waits for one.
    cases.push({ name: "only a CRLF", chunks: ["\r\n\r\n"], mayWait: true });
    cases.push({ name: "random binary", chunks: [random.bytes(512)] });
    cases.push({ name: "request line without its CRLF, then close", chunks: ["POST / HTTP/1.1"], halfClose: true, mayWait: true });
    await runGroup(cases);
    assertNoProblems();
  });

  it("huge, duplicated, missing and binary headers", async () => {
    const body = JSON.stringify({ KeyId: "alias/nothing", Plaintext: "AAAA" });
    const signed = await signedKms("TrentService.Encrypt", body);
    const cases: HttpCase[] = [
      { name: "a 20 KB header", chunks: [http("POST / HTTP/1.1", [...signed, ["x-filler", "a".repeat(20_000)]], body)] },
      { name: "2,000 headers", chunks: [http("POST / HTTP/1.1", [...signed, ...Array.from({ length: 2000 }, (_, i) => [`x-h${i}`, "v"] as [string, string])], body)] },
      { name: "two X-Amz-Target", chunks: [http("POST / HTTP/1.1", [...signed, ["x-amz-target", "TrentService.Decrypt"]], body)] },
      { name: "two Authorization", chunks: [http("POST / HTTP/1.1", [...signed, ["authorization", "AWS4-HMAC-SHA256 Credential=x"]], body)] },
      { name: "two different Content-Length", chunks: [http("POST / HTTP/1.1", [...signed, ["content-length", "3"]], body)] },
      { name: "two Host", chunks: [http("POST / HTTP/1.1", [...signed, ["host", "evil.example"]], body)] },
      { name: "two X-Amz-Date", chunks: [http("POST / HTTP/1.1", [...signed, ["x-amz-date", "20000101T000000Z"]], body)] },
      { name: "no Host", chunks: [http("POST / HTTP/1.1", without(signed, "host"), body)] },
      { name: "no Content-Type", chunks: [http("POST / HTTP/1.1", without(signed, "content-type"), body)] },
      { name: "no X-Amz-Target", chunks: [http("POST / HTTP/1.1", without(signed, "x-amz-target"), body)] },
      { name: "no X-Amz-Date", chunks: [http("POST / HTTP/1.1", without(signed, "x-amz-date"), body)] },
      { name: "no Content-Length, no body", chunks: [http("POST / HTTP/1.1", without(signed, "content-length"))] },
      { name: "NUL in a header value", chunks: [http("POST / HTTP/1.1", [...signed, ["x-bin", "a\u0000b"]], body)] },
      { name: "bytes 0x80-0xff in a header value", chunks: [http("POST / HTTP/1.1", [...signed, ["x-bin", "\u00ff\u00fe\u0080"]], body)] },
      { name: "binary X-Amz-Target", chunks: [http("POST / HTTP/1.1", withHeader(signed, "x-amz-target", () => "TrentService.\u00ff\u0001"), body)] },
      { name: "header without a colon", chunks: [http("POST / HTTP/1.1", [...signed, ["x-nocolon", ""]], body).toString("latin1").replace("x-nocolon: ", "x-nocolon")] },
      { name: "space before the colon", chunks: [http("POST / HTTP/1.1", signed, body).toString("latin1").replace("x-amz-target:", "x-amz-target :")] },
      { name: "obsolete line folding", chunks: [http("POST / HTTP/1.1", signed, body).toString("latin1").replace(/(x-amz-target: [^\r]*)/, "$1\r\n continued")] },
      { name: "LF line endings", chunks: [http("POST / HTTP/1.1", signed, body).toString("latin1").replaceAll("\r\n", "\n")] },
      { name: "Expect: 100-continue", chunks: [http("POST / HTTP/1.1", [...signed, ["expect", "100-continue"]], body)] },
      { name: "Expect: nonsense", chunks: [http("POST / HTTP/1.1", [...signed, ["expect", "teapot"]], body)] },
      { name: "Connection: upgrade to websocket", chunks: [http("POST / HTTP/1.1", [...signed, ["connection", "upgrade"], ["upgrade", "websocket"]], body)] },
      { name: "Content-Encoding: gzip on a plain body", chunks: [http("POST / HTTP/1.1", [...signed, ["content-encoding", "gzip"]], body)] },
      ...["text/plain", "application/json", "application/x-amz-json-1.0", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "\u00ff/\u00ff"].map(
        (type): HttpCase => ({ name: `Content-Type ${JSON.stringify(type)}`, chunks: [http("POST / HTTP/1.1", withHeader(signed, "content-type", () => type), body)] }),
      ),
    ];
    await runGroup(cases);
    assertNoProblems();
  });

  it("bodies: truncated, lying Content-Length, broken chunked encoding, invalid JSON and UTF-8, deep nesting, over the bound", async () => {
    const jsonBodies: [string, string | Buffer][] = [
      ["invalid JSON", "{\"KeyId\":"],
      ["JSON array", "[1,2,3]"],
      ["JSON string", "\"text\""],
      ["JSON null", "null"],
      ["deeply nested JSON (100,000 levels)", toJsonText({ KeyId: deeplyNested(100_000) })],
      ["invalid UTF-8 (0xff 0xfe)", Buffer.concat([Buffer.from('{"KeyId":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')])],
      ["overlong UTF-8 slash", Buffer.concat([Buffer.from('{"KeyId":"alias'), Buffer.from([0xc0, 0xaf]), Buffer.from('x"}')])],
      ["UTF-8-encoded lone surrogate", Buffer.concat([Buffer.from('{"KeyId":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')])],
      ["escaped lone surrogate", '{"KeyId":"\\ud800"}'],
      ["UTF-16 body", Buffer.from('{"KeyId":"x"}', "utf16le")],
      ["BOM before JSON", "\ufeff{}"],
      ["duplicate members", '{"KeyId":"a","KeyId":"b"}'],
      ["__proto__ member", '{"__proto__":{"KeyId":"x"},"KeyId":"alias/x"}'],
    ];
    const cases: HttpCase[] = [];
    for (const [name, body] of jsonBodies) cases.push({ name, chunks: [http("POST / HTTP/1.1", await signedKms("TrentService.DescribeKey", body), body)] });

    const body = JSON.stringify({ KeyId: "alias/nothing" });
    const signed = await signedKms("TrentService.DescribeKey", body);
    const lengthOf = (value: string) => withHeader(signed, "content-length", () => value);
    cases.push(
      { name: "body shorter than Content-Length, then close", chunks: [http("POST / HTTP/1.1", lengthOf("1000"), body)], halfClose: true, mayWait: true },
      { name: "body shorter than Content-Length, left open", chunks: [http("POST / HTTP/1.1", lengthOf("1000"), body)], mayWait: true },
      { name: "body longer than Content-Length (the rest is a second request)", chunks: [http("POST / HTTP/1.1", lengthOf("5"), body)] },
      { name: "negative Content-Length", chunks: [http("POST / HTTP/1.1", lengthOf("-1"), body)] },
      { name: "non-numeric Content-Length", chunks: [http("POST / HTTP/1.1", lengthOf("ten"), body)] },
      { name: "Content-Length 2^64", chunks: [http("POST / HTTP/1.1", lengthOf("18446744073709551616"), body)] },
      { name: "Content-Length over the body bound", chunks: [http("POST / HTTP/1.1", lengthOf(String(600 * 1024)), body)] },
    );
    const chunked = without(signed, "content-length").concat([["transfer-encoding", "chunked"]]);
    const chunkedCases: [string, string][] = [
      ["valid chunked", `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`],
      ["chunk size not hex", `zz\r\n${body}\r\n0\r\n\r\n`],
      ["chunk size 2^48", `ffffffffffff\r\n${body}\r\n0\r\n\r\n`],
      ["chunk shorter than its size", `ff\r\n${body}\r\n0\r\n\r\n`],
      ["no final chunk", `${body.length.toString(16)}\r\n${body}\r\n`],
      ["chunk extension junk", `${body.length.toString(16)};a=b;c\r\n${body}\r\n0\r\n\r\n`],
      ["trailer headers", `${body.length.toString(16)}\r\n${body}\r\n0\r\nx-amz-target: TrentService.Encrypt\r\n\r\n`],
      ["missing CRLF after a chunk", `${body.length.toString(16)}\r\n${body}0\r\n\r\n`],
    ];
    for (const [name, encoded] of chunkedCases) cases.push({ name, chunks: [Buffer.concat([http("POST / HTTP/1.1", chunked), Buffer.from(encoded)])], mayWait: true });
    cases.push({ name: "Content-Length and Transfer-Encoding both", chunks: [http("POST / HTTP/1.1", [...signed, ["transfer-encoding", "chunked"]], body)] });
    cases.push({ name: "Transfer-Encoding: gzip", chunks: [http("POST / HTTP/1.1", [...without(signed, "content-length"), ["transfer-encoding", "gzip"]], body)], mayWait: true });
    const big = "a".repeat(64 * 1024);
    const overBound = Array.from({ length: 10 }, () => `${big.length.toString(16)}\r\n${big}\r\n`).join("") + "0\r\n\r\n";
    cases.push({ name: "chunked body over the 512 KiB bound", chunks: [http("POST / HTTP/1.1", chunked), overBound] });
    await runGroup(cases);
    assertNoProblems();
  });

  it("garbled SigV4 Authorization headers and dates", async () => {
    const body = "{}";
    const signed = await signedKms("TrentService.ListKeys", body);
    const variants: [string, (value: string) => string][] = [
      ["empty", () => ""],
      ["algorithm only", () => "AWS4-HMAC-SHA256"],
      ["another algorithm", (v) => v.replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA512")],
      ["SigV2 style", () => "AWS AKIDEXAMPLE:c2lnbmF0dXJl"],
      ["Bearer token", () => "Bearer abc.def.ghi"],
      ["no Credential", (v) => v.replace(/Credential=[^,]*,\s*/, "")],
      ["no SignedHeaders", (v) => v.replace(/SignedHeaders=[^,]*,\s*/, "")],
      ["no Signature", (v) => v.replace(/,\s*Signature=.*$/, "")],
      ["Credential with two parts", (v) => v.replace(/Credential=[^,]*/, "Credential=AKID/20240101")],
      ["Credential with empty parts", (v) => v.replace(/Credential=[^,]*/, "Credential=////")],
      ["unknown access key", (v) => v.replace(/Credential=[^/]*/, "Credential=AKIAUNKNOWNUNKNOWN00")],
      ["unicode access key", (v) => v.replace(/Credential=[^/]*/, "Credential=ÄKÎÅ😀")],
      ["unknown region", (v) => v.replace("/us-east-1/", "/xx-nowhere-9/")],
      ["service s3", (v) => v.replace("/kms/", "/s3/")],
      ["terminator not aws4_request", (v) => v.replace("aws4_request", "aws5_request")],
      ["scope date not the request date", (v) => v.replace(/\/\d{8}\//, "/19990101/")],
      ["signature one hex digit off", (v) => v.replace(/Signature=([0-9a-f])/, (_, c: string) => `Signature=${c === "0" ? "1" : "0"}`)],
      ["signature not hex", (v) => v.replace(/Signature=.*$/, `Signature=${"z".repeat(64)}`)],
      ["signature too long", (v) => `${v}${"0".repeat(10_000)}`],
      ["SignedHeaders without host", (v) => v.replace(/SignedHeaders=[^,]*/, "SignedHeaders=x-amz-date")],
      ["SignedHeaders naming an absent header", (v) => v.replace(/SignedHeaders=/, "SignedHeaders=x-absent;")],
      ["SignedHeaders unsorted", (v) => v.replace(/SignedHeaders=([^,]*)/, (_, list: string) => `SignedHeaders=${list.split(";").reverse().join(";")}`)],
      ["parameters repeated", (v) => `${v}, Credential=x/y/z/w/aws4_request, Signature=00`],
      ["no spaces after commas", (v) => v.replaceAll(", ", ",")],
      ["lower-case algorithm", (v) => v.replace("AWS4-HMAC-SHA256", "aws4-hmac-sha256")],
    ];
    const cases: HttpCase[] = variants.map(([name, change]) => ({ name: `Authorization: ${name}`, chunks: [http("POST / HTTP/1.1", withHeader(signed, "authorization", change), body)] }));
    const dates: [string, string][] = [
      ["garbled", "yesterday"],
      ["far past", "19700101T000000Z"],
      ["far future", "99991231T235959Z"],
      ["no Z", "20240101T000000"],
      ["ISO with dashes", "2024-01-01T00:00:00Z"],
    ];
    for (const [name, value] of dates) cases.push({ name: `X-Amz-Date ${name}`, chunks: [http("POST / HTTP/1.1", withHeader(signed, "x-amz-date", () => value), body)] });
    cases.push(
      { name: "garbage security token", chunks: [http("POST / HTTP/1.1", [...signed, ["x-amz-security-token", "\u00ff".repeat(100)]], body)] },
      { name: "x-amz-content-sha256 not the body's", chunks: [http("POST / HTTP/1.1", [...signed, ["x-amz-content-sha256", "0".repeat(64)]], body)] },
      { name: "x-amz-content-sha256 not hex", chunks: [http("POST / HTTP/1.1", [...signed, ["x-amz-content-sha256", "UNSIGNED-PAYLOAD"]], body)] },
      {
        name: "presigned query parameters",
        chunks: [http("POST /?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a%2Fb&X-Amz-Signature=00&X-Amz-SignedHeaders=host HTTP/1.1", without(signed, "authorization"), body)],
      },
    );
    await runGroup(cases);
    assertNoProblems();
  });

  it("X-Amz-Target variants", async () => {
    const targets = [
      "",
      "TrentService",
      "TrentService.",
      ".ListKeys",
      "trentservice.ListKeys",
      "TrentService.listkeys",
      "TrentService.ListKeys.Extra",
      "TrentService..ListKeys",
      " TrentService.ListKeys",
      "TrentService.__proto__",
      "TrentService.constructor",
      "TrentService.toString",
      "TrentService.hasOwnProperty",
      `TrentService.${"A".repeat(10_000)}`,
      "TrentService.😀",
      "CloudTrail_20131101.LookupEvents",
      "CloudTrail_20131101.__proto__",
      "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents",
      "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.",
      "AWSSecurityTokenServiceV20110615.GetCallerIdentity",
      "DynamoDB_20120810.ListTables",
    ];
    const cases: HttpCase[] = [];
    for (const target of targets) {
      cases.push({ name: `X-Amz-Target ${JSON.stringify(target.slice(0, 60))}`, chunks: [http("POST / HTTP/1.1", await signedKms(target, "{}"), "{}")] });
    }
    // Query-protocol oddities: form bodies with odd actions, signed for IAM.
    const forms = ["", "Action=", "Action=ListUsers&Action=DeleteUser", "Action=__proto__", "Action=ListUsers&Version=2099-01-01", "Action=%ZZ", `Action=ListUsers&${"a=b&".repeat(5000)}`, "Action=ListUsers&MaxItems=1e400"];
    for (const form of forms) {
      const headers = await signedHeaders(
        kmsd.endpoint,
        { method: "POST", path: "/", headers: { host, "content-type": "application/x-www-form-urlencoded", "content-length": String(Buffer.byteLength(form)) }, body: form },
        { credentials: kmsd.credentials, service: "iam" },
      );
      cases.push({ name: `IAM form ${JSON.stringify(form.slice(0, 60))}`, chunks: [http("POST / HTTP/1.1", Object.entries(headers), form)] });
    }
    await runGroup(cases);
    assertNoProblems();
  });

  it("seeded random mutations of a valid signed request", async () => {
    const body = JSON.stringify({ KeyId: "alias/nothing", Plaintext: "AAAA", EncryptionContext: { a: "b" } });
    const valid = http("POST / HTTP/1.1", await signedKms("TrentService.Encrypt", body), body);
    const cases: HttpCase[] = Array.from({ length: RANDOM_COUNT }, (_, i) => {
      let bytes: Buffer = Buffer.from(valid);
      const applied: string[] = [];
      for (let n = random.between(1, 3); n > 0; n--) {
        const mutation = random.pick(["flip", "delete-line", "duplicate-line", "insert", "truncate", "lf-only", "case", "length"] as const);
        applied.push(mutation);
        bytes = mutate(bytes, mutation, random);
      }
      // Half of them end the writing side too, which node:http takes as the client giving up.
      return { name: `random #${i} (${applied.join(", ")})`, chunks: [bytes], halfClose: random.chance(0.5), mayWait: true };
    });
    await runGroup(cases, 500);
    assertNoProblems();
  });

  it("logged no internal error, and its audit trail verifies", async (t) => {
    const errors = internalErrorsLogged(kmsd);
    for (const line of errors.lines("internal errors logged")) t.diagnostic(line);
    assert.equal(errors.total, 0, "kmsd logged internal errors");
    await stopAndVerifyAudit(kmsd);
  });

  it("answers a request node:http's parser refuses with an AWS-shaped body", () => {
    assert.deepEqual([...emptyBodied].slice(0, 10), [], `${emptyBodied.size} cases answered with an empty body`);
  });

  it("logs a client that closes mid-request as what it is, not as an internal error", () => {
    assert.equal(internalErrorsLogged(kmsd).get(CLIENT_ABORT), 0, "client aborts logged as internal errors");
  });
});

/** One random change to a request's bytes. */
function mutate(bytes: Buffer, mutation: "flip" | "delete-line" | "duplicate-line" | "insert" | "truncate" | "lf-only" | "case" | "length", random: Random): Buffer {
  const text = bytes.toString("latin1");
  const lines = text.split("\r\n");
  const at = random.int(bytes.length);
  switch (mutation) {
    case "flip": {
      const copy = Buffer.from(bytes);
      copy[at] = (copy[at] as number) ^ (1 << random.int(8));
      return copy;
    }
    case "delete-line":
      lines.splice(random.int(lines.length), 1);
      return Buffer.from(lines.join("\r\n"), "latin1");
    case "duplicate-line": {
      const index = random.int(lines.length);
      lines.splice(index, 0, lines[index] ?? "");
      return Buffer.from(lines.join("\r\n"), "latin1");
    }
    case "insert":
      return Buffer.concat([bytes.subarray(0, at), random.bytes(random.between(1, 32)), bytes.subarray(at)]);
    case "truncate":
      return bytes.subarray(0, at);
    case "lf-only":
      return Buffer.from(text.replaceAll("\r\n", "\n"), "latin1");
    case "case":
      return Buffer.from(random.chance(0.5) ? text.toUpperCase() : text.toLowerCase(), "latin1");
    case "length":
      return Buffer.from(text.replace(/content-length: (\d+)/i, (_, n: string) => `content-length: ${Math.max(0, Number(n) + random.between(-5, 5))}`), "latin1");
  }
}
