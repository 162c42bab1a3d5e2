/**
 * The request log: one info line per API request with who called what on which key, its
 * outcome and duration, so that a denied call shows in the server's output at once; never
 * a body, a message or a secret; `--log-requests=false` turns it off.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DescribeKeyCommand, EncryptCommand, GenerateDataKeyCommand } from "@aws-sdk/client-kms";
import { createKey } from "./support/e2e.ts";
import { createAccount, credentialsOf, expectAwsError, startKmsd, type Kmsd } from "./support/kmsd.ts";

interface RequestLine {
  level: string;
  message: string;
  requestId: string;
  caller: string;
  operation: string;
  keyId?: string;
  outcome: string;
  durationMs: number;
}

/** The request lines logged so far (the log is flushed at the end of an event-loop turn). */
async function requestLines(kmsd: Kmsd): Promise<RequestLine[]> {
  await new Promise((resolve) => setTimeout(resolve, 100));
  return kmsd
    .stderr()
    .split("\n")
    .filter((line) => line.startsWith("{") && line.includes('"message":"request"'))
    .map((line) => JSON.parse(line) as RequestLine);
}

describe("request log", () => {
  let kmsd: Kmsd;
  before(async () => {
    kmsd = await startKmsd();
  });
  after(() => kmsd.dispose());

  it("logs a successful call with its caller, operation, key, outcome and duration, and never the plaintext or data key", async () => {
    const key = await createKey(kmsd.kms());
    const secret = "request-log-plaintext-marker";
    await kmsd.kms().send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from(secret) }));
    const dataKey = await kmsd.kms().send(new GenerateDataKeyCommand({ KeyId: key.KeyId, KeySpec: "AES_256" }));
    const lines = await requestLines(kmsd);
    const encrypt = lines.find((line) => line.operation === "kms:Encrypt");
    assert.ok(encrypt, `no Encrypt line in:\n${kmsd.stderr()}`);
    assert.equal(encrypt.level, "info");
    assert.equal(encrypt.caller, `arn:aws:iam::${kmsd.accountId}:root`);
    assert.equal(encrypt.keyId, key.KeyId);
    assert.equal(encrypt.outcome, "ok");
    assert.match(encrypt.requestId, /^[0-9a-f-]{36}$/);
    assert.ok(encrypt.durationMs >= 0);
    const stderr = kmsd.stderr();
    assert.ok(!stderr.includes(secret) && !stderr.includes(Buffer.from(secret).toString("base64")), "the plaintext reached the log");
    assert.ok(!stderr.includes(Buffer.from(dataKey.Plaintext ?? []).toString("base64")), "a data key reached the log");
    assert.ok(!stderr.includes(kmsd.credentials.secretAccessKey), "the secret access key reached the log");
  });

  it("shows a denied call at once: another account's caller, the key, AccessDeniedException", async () => {
    const key = await createKey(kmsd.kms());
    const stranger = await createAccount(kmsd.dataDir);
    await expectAwsError(kmsd.kms({ credentials: credentialsOf(stranger) }).send(new DescribeKeyCommand({ KeyId: key.Arn })), "AccessDeniedException");
    const denied = (await requestLines(kmsd)).find((line) => line.caller === `arn:aws:iam::${stranger.AccountId}:root`);
    assert.ok(denied, `no line for the denied call in:\n${kmsd.stderr()}`);
    assert.equal(denied.operation, "kms:DescribeKey");
    assert.equal(denied.outcome, "AccessDeniedException");
  });

  it("names the access key an unauthenticated request claimed, and the validation error a bad request got", async () => {
    await expectAwsError(
      kmsd.kms({ credentials: { accessKeyId: "AKIANOBODYKNOWSTHIS1", secretAccessKey: "x".repeat(40) } }).send(new DescribeKeyCommand({ KeyId: "alias/x" })),
      "UnrecognizedClientException",
    );
    await expectAwsError(kmsd.kms().send(new DescribeKeyCommand({ KeyId: "" })), "ValidationException");
    const lines = await requestLines(kmsd);
    assert.ok(lines.some((line) => line.caller === "unauthenticated access key AKIANOBODYKNOWSTHIS1" && line.outcome === "UnrecognizedClientException"));
    assert.ok(lines.some((line) => line.operation === "kms:DescribeKey" && line.outcome === "ValidationException"));
  });
});

describe("request log turned off", () => {
  it("--log-requests=false logs no request line", async () => {
    const kmsd = await startKmsd({ args: ["--log-requests=false"] });
    try {
      const key = await createKey(kmsd.kms());
      await kmsd.kms().send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from("x") }));
      assert.deepEqual(await requestLines(kmsd), []);
    } finally {
      await kmsd.dispose();
    }
  });
});
