/**
 * End to end: the wire protocol and authentication. Raw HTTP where the SDK would never
 * send the bad request (bad JSON, wrong member types, odd signatures, huge bodies), the
 * SDK where it would, the --dev mode, `kmsd account create` against a running server,
 * and an AWS CLI round trip.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  CreateCustomKeyStoreCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  ListKeysCommand,
  type KMSClient,
} from "@aws-sdk/client-kms";
import { Hash } from "@smithy/hash-node";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { KMS_OPERATIONS } from "../src/model/kms.generated.ts";
import {
  createAccount,
  credentialsOf,
  expectAwsError,
  rawRequest,
  runKmsdCli,
  startKmsd,
  type Kmsd,
  type RawResponse,
  type SigningOptions,
} from "./support/kmsd.ts";
import { bytes, createKey } from "./support/e2e.ts";

const run = promisify(execFile);
const JSON_TYPE = "application/x-amz-json-1.1";

/** The `__type` and `message` of an error answer, checked to be an AWS JSON error. */
function awsError(response: RawResponse): { type: string; message: string | undefined } {
  assert.equal(response.headers["content-type"], JSON_TYPE);
  const body = response.json();
  assert.equal(typeof body.__type, "string", `an error body has __type: ${response.body}`);
  return { type: String(body.__type), message: body.message === undefined ? undefined : String(body.message) };
}

describe("kmsd core: protocol and authentication", () => {
  let kmsd: Kmsd;
  let kms: KMSClient;
  let sign: SigningOptions;
  before(async () => {
    kmsd = await startKmsd();
    kms = kmsd.kms();
    sign = { credentials: kmsd.credentials };
  });
  after(async () => kmsd.dispose());

  /** A signed KMS request with a raw body. */
  const call = (operation: string, body: string, signing: SigningOptions = sign) =>
    rawRequest(kmsd.endpoint, { target: `TrentService.${operation}`, body, sign: signing });

  describe("AWS JSON 1.1", () => {
    it("a successful answer is JSON 1.1 and carries x-amzn-RequestId, a fresh one per request", async () => {
      const first = await call("ListKeys", "{}");
      const second = await call("ListKeys", "{}");
      assert.equal(first.status, 200);
      assert.equal(first.headers["content-type"], JSON_TYPE);
      assert.ok(Array.isArray(first.json().Keys));
      const ids = [first.headers["x-amzn-requestid"], second.headers["x-amzn-requestid"]];
      for (const id of ids) assert.match(String(id), /^[0-9a-f-]{36}$/);
      assert.notEqual(ids[0], ids[1]);
      // A Date header, as AWS sends (node:http adds it).
      assert.ok(Math.abs(Date.parse(String(first.headers.date)) - Date.now()) < 60_000, `date: ${first.headers.date}`);
    });

    it("an error answer carries x-amzn-RequestId too, and the SDK exposes it", async () => {
      const response = await call("DescribeKey", JSON.stringify({ KeyId: "fake-key-id" }));
      assert.equal(response.status, 400);
      assert.match(String(response.headers["x-amzn-requestid"]), /^[0-9a-f-]{36}$/);
      assert.deepEqual(response.json(), { __type: "NotFoundException", message: "Invalid keyId 'fake-key-id'" });
      const error = await kms.send(new DescribeKeyCommand({ KeyId: "fake-key-id" })).catch((e: unknown) => e as { $metadata: { requestId?: string } });
      assert.match(String((error as { $metadata: { requestId?: string } }).$metadata.requestId), /^[0-9a-f-]{36}$/);
    });

    it("an error without a message (InvalidCiphertextException) has no message member, as AWS sends it", async () => {
      const response = await call("Decrypt", JSON.stringify({ CiphertextBlob: randomBytes(120).toString("base64") }));
      assert.equal(response.status, 400);
      assert.deepEqual(response.json(), { __type: "InvalidCiphertextException" });
    });

    for (const [name, target] of [
      ["an unknown TrentService operation", "TrentService.NoSuchOperation"],
      ["another service's prefix", "DynamoDB_20120810.ListTables"],
      ["an operation name differing only in case", "TrentService.listkeys"],
      ["an Object.prototype member", "TrentService.toString"],
    ] as const) {
      it(`${name} is UnknownOperationException`, async () => {
        const response = await rawRequest(kmsd.endpoint, { target, body: "{}", sign });
        assert.equal(response.status, 400);
        assert.equal(awsError(response).type, "UnknownOperationException");
      });
    }

    it("a request without X-Amz-Target is UnknownOperationException", async () => {
      const response = await rawRequest(kmsd.endpoint, { body: "{}", headers: { "content-type": JSON_TYPE }, sign });
      assert.equal(awsError(response).type, "UnknownOperationException");
    });

    it("a 10,000-character unknown operation is UnknownOperationException with a small answer (the name is cut, not echoed whole)", async () => {
      const longName = "N".repeat(10_000);
      for (const target of [`TrentService.${longName}`, `${longName}.ListKeys`, `CloudTrail_20131101.${longName}`]) {
        const response = await rawRequest(kmsd.endpoint, { target, body: "{}" });
        assert.equal(response.status, 400);
        assert.equal(awsError(response).type, "UnknownOperationException");
        assert.ok(Buffer.byteLength(response.body) < 1024, `${target.slice(0, 40)}...: a ${Buffer.byteLength(response.body)}-byte answer`);
      }
      // A Query (IAM/STS) Action is a form field, not a header: nothing bounds it but the body limit.
      for (const form of [`Action=${longName}&Version=2010-05-08`, `Action=ListUsers&Version=${longName}`]) {
        const response = await rawRequest(kmsd.endpoint, { body: form, headers: { "content-type": "application/x-www-form-urlencoded" } });
        assert.equal(response.status, 400);
        assert.match(response.body, /<Code>InvalidAction<\/Code>/);
        assert.ok(Buffer.byteLength(response.body) < 1024, `a ${Buffer.byteLength(response.body)}-byte answer`);
      }
    });

    it("a request line whose target is not a valid URL (`POST http://[x/`) gets an AWS error answer, not a dropped connection", async () => {
      const raw = await new Promise<string>((resolve, reject) => {
        const socket = connect(kmsd.port, "127.0.0.1");
        let text = "";
        socket.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
        socket.on("end", () => resolve(text));
        socket.on("error", reject);
        socket.setTimeout(5000, () => socket.destroy(new Error(`no complete answer within 5 s: ${JSON.stringify(text)}`)));
        // write, not end: a client that half-closes first has its request aborted by node:http.
        socket.write(
          "POST http://[x/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" +
            `Content-Type: ${JSON_TYPE}\r\nX-Amz-Target: TrentService.ListKeys\r\nContent-Length: 2\r\n\r\n{}`,
        );
      });
      const [head = "", body = ""] = raw.split("\r\n\r\n");
      assert.match(head, /^HTTP\/1\.1 400 /, raw);
      assert.match(head, /\r\nx-amzn-requestid: [0-9a-f-]{36}\r\n/i);
      assert.equal(JSON.parse(body).__type, "UnknownOperationException");
      // And the server keeps serving.
      assert.equal((await call("ListKeys", "{}")).status, 200);
    });

    it("every one of the model's 54 operations answers within a second, never with a 500, and none is left unsupported", async () => {
      assert.equal(KMS_OPERATIONS.length, 54);
      const unsupported: string[] = [];
      for (const operation of KMS_OPERATIONS) {
        const started = Date.now();
        const response = await call(operation, "{}");
        assert.ok(Date.now() - started < 1000, `${operation} took ${Date.now() - started} ms`);
        assert.ok(response.status === 200 || response.status === 400, `${operation} answered ${response.status}: ${response.body}`);
        if (response.status === 200) continue;
        const { type, message } = awsError(response);
        assert.notEqual(type, "KMSInternalException", operation);
        if (type === "UnsupportedOperationException") {
          assert.ok(message?.includes(operation), `${operation}: ${message}`);
          unsupported.push(operation);
        }
      }
      // Every operation is implemented (the custom key store family last, issue 16).
      assert.deepEqual(unsupported, []);
    });

    it("through the SDK, CreateCustomKeyStore with only a name is a CloudHSM store without its cluster: ValidationException", async () => {
      await expectAwsError(
        kms.send(new CreateCustomKeyStoreCommand({ CustomKeyStoreName: "store" })),
        "ValidationException",
        "CloudHsmClusterId is required for a custom key store of type AWS_CLOUDHSM.",
      );
    });

    const badBodies: [string, string, string][] = [
      ["malformed JSON", "ListKeys", '{"Limit": '],
      ["a JSON array instead of an object", "ListKeys", "[]"],
      ["JSON null", "ListKeys", "null"],
      ["a number where a string belongs", "DescribeKey", '{"KeyId": 5}'],
      ["a string where an integer belongs", "GenerateRandom", '{"NumberOfBytes": "ten"}'],
      ["a fraction where an integer belongs", "GenerateRandom", '{"NumberOfBytes": 1.5}'],
      ["an object where a list belongs", "CreateKey", '{"Tags": {"TagKey": "a"}}'],
      ["a string where a boolean belongs", "Encrypt", '{"KeyId": "alias/x", "Plaintext": "AA==", "DryRun": "yes"}'],
      ["a blob that is not base64", "Encrypt", '{"KeyId": "alias/x", "Plaintext": "not base64!"}'],
      ["a map value that is not a string", "Encrypt", '{"KeyId": "alias/x", "Plaintext": "AA==", "EncryptionContext": {"a": 1}}'],
    ];
    for (const [name, operation, body] of badBodies) {
      it(`${name} is SerializationException and changes nothing`, async () => {
        const before = (await kms.send(new ListKeysCommand({ Limit: 1000 }))).Keys?.length;
        const response = await call(operation, body);
        assert.equal(response.status, 400);
        assert.equal(awsError(response).type, "SerializationException");
        assert.equal((await kms.send(new ListKeysCommand({ Limit: 1000 }))).Keys?.length, before);
      });
    }

    it("a body declared as 2 MiB is refused with 413 before it is sent", async () => {
      const started = Date.now();
      const status = await new Promise<number>((resolve, reject) => {
        const url = new URL(kmsd.endpoint);
        const req = httpRequest(
          {
            host: url.hostname,
            port: url.port,
            method: "POST",
            path: "/",
            agent: false,
            headers: { "content-type": JSON_TYPE, "x-amz-target": "TrentService.Encrypt", "content-length": String(2 * 1024 * 1024) },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
            req.destroy();
          },
        );
        req.on("error", reject);
        req.flushHeaders(); // headers only: the body never comes
        setTimeout(() => reject(new Error("no answer within 3 s")), 3000).unref();
      });
      assert.equal(status, 413);
      assert.ok(Date.now() - started < 2000);
    });

    it("a streamed body without a length is cut off once it passes the limit, long before it is all read", async () => {
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      // The server answers 413 and closes; a client still sending may see the close (EPIPE/ECONNRESET) before the answer.
      const result = await new Promise<{ outcome: string; sent: number }>((resolve, reject) => {
        const url = new URL(kmsd.endpoint);
        let sent = 0;
        let done = false;
        const finish = (outcome: string) => {
          if (done) return;
          done = true;
          resolve({ outcome, sent });
          req.destroy();
        };
        const req = httpRequest(
          {
            host: url.hostname,
            port: url.port,
            method: "POST",
            path: "/",
            agent: false,
            headers: { "content-type": JSON_TYPE, "x-amz-target": "TrentService.Encrypt", "transfer-encoding": "chunked" },
          },
          (res) => {
            res.resume();
            finish(String(res.statusCode));
          },
        );
        req.on("error", (error: NodeJS.ErrnoException) => finish(error.code ?? error.message));
        const pump = () => {
          // Up to 64 MiB: far more than the limit, and more than a server that buffers everything would take quickly.
          while (!done && sent < 64 * 1024 * 1024) {
            sent += chunk.length;
            if (!req.write(chunk)) return void req.once("drain", pump);
          }
          if (!done) reject(new Error("the server read 64 MiB without refusing"));
        };
        pump();
        setTimeout(() => reject(new Error("no answer within 5 s")), 5000).unref();
      });
      assert.ok(["413", "EPIPE", "ECONNRESET"].includes(result.outcome), `outcome: ${result.outcome}`);
      assert.ok(result.sent < 16 * 1024 * 1024, `the server took ${result.sent} bytes before refusing`);
      // And it keeps serving.
      assert.equal((await call("ListKeys", "{}")).status, 200);
    });

    it("GET /health answers 200 without credentials", async () => {
      const response = await rawRequest(kmsd.endpoint, { method: "GET", path: "/health" });
      assert.equal(response.status, 200);
      assert.deepEqual(response.json(), { status: "ok", worker: 0 });
    });
  });

  describe("SigV4", () => {
    it("a request without credentials is MissingAuthenticationTokenException", async () => {
      const response = await rawRequest(kmsd.endpoint, { target: "TrentService.ListKeys", body: "{}" });
      assert.equal(response.status, 400);
      assert.equal(awsError(response).type, "MissingAuthenticationTokenException");
    });

    it("an unknown access key is UnrecognizedClientException", async () => {
      const stranger = kmsd.kms({ credentials: { accessKeyId: "AKIAUNKNOWNUNKNOWN00", secretAccessKey: "x".repeat(40) } });
      await expectAwsError(stranger.send(new ListKeysCommand({})), "UnrecognizedClientException");
    });

    it("a known access key with the wrong secret is InvalidSignatureException", async () => {
      const impostor = kmsd.kms({ credentials: { accessKeyId: kmsd.credentials.accessKeyId, secretAccessKey: "wrong-secret" } });
      await expectAwsError(impostor.send(new ListKeysCommand({})), "InvalidSignatureException");
    });

    it("a body changed after signing is InvalidSignatureException, and the change has no effect", async () => {
      const signer = { credentials: kmsd.credentials };
      const genuine = JSON.stringify({ Description: "signed" });
      // Sign one body, send another of the same length.
      const forged = JSON.stringify({ Description: "forged" });
      const url = new URL(kmsd.endpoint);
      const signed = await new SignatureV4({ ...signer, region: "us-east-1", service: "kms", sha256: Hash.bind(null, "sha256") }).sign(
        new HttpRequest({
          method: "POST",
          hostname: url.hostname,
          port: Number(url.port),
          path: "/",
          headers: { host: url.host, "content-type": JSON_TYPE, "x-amz-target": "TrentService.CreateKey", "content-length": String(genuine.length) },
          body: genuine,
        }),
      );
      const response = await rawRequest(kmsd.endpoint, { body: forged, headers: signed.headers });
      assert.equal(awsError(response).type, "InvalidSignatureException");
      const { Keys } = await kms.send(new ListKeysCommand({ Limit: 1000 }));
      for (const entry of Keys ?? []) {
        const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: entry.KeyId }));
        assert.notEqual(KeyMetadata?.Description, "forged");
      }
    });

    it("a request signed 10 minutes ago is InvalidSignatureException 'Signature expired'", async () => {
      const response = await call("ListKeys", "{}", { ...sign, signingDate: new Date(Date.now() - 10 * 60_000) });
      const { type, message } = awsError(response);
      assert.equal(type, "InvalidSignatureException");
      assert.match(message ?? "", /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 5 min\.\)$/);
    });

    it("a request signed 10 minutes in the future is InvalidSignatureException 'Signature not yet current'", async () => {
      const response = await call("ListKeys", "{}", { ...sign, signingDate: new Date(Date.now() + 10 * 60_000) });
      const { type, message } = awsError(response);
      assert.equal(type, "InvalidSignatureException");
      assert.match(message ?? "", /^Signature not yet current/);
    });

    it("a request signed 2 minutes ago is accepted (within the 5-minute skew)", async () => {
      const response = await call("ListKeys", "{}", { ...sign, signingDate: new Date(Date.now() - 2 * 60_000) });
      assert.equal(response.status, 200);
    });

    it("a credential scope with an unknown region is refused", async () => {
      const lunar = kmsd.kms({ region: "moon-central-1" });
      await expectAwsError(lunar.send(new ListKeysCommand({})), "InvalidSignatureException", /moon-central-1/);
    });

    it("a credential scope for another service is refused", async () => {
      const response = await call("ListKeys", "{}", { ...sign, service: "s3" });
      assert.equal(awsError(response).type, "InvalidSignatureException");
    });

    it("the region of the credential scope is the key's region", async () => {
      const key = await createKey(kmsd.kms({ region: "sa-east-1" }));
      assert.equal(key.Arn, `arn:aws:kms:sa-east-1:${kmsd.accountId}:key/${key.KeyId}`);
    });
  });

  describe("accounts", () => {
    it("`kmsd account create --json` on a running server's data dir prints root credentials the server accepts at once", async () => {
      const second = await createAccount(kmsd.dataDir);
      assert.deepEqual(Object.keys(second).sort(), ["AccessKeyId", "AccountId", "SecretAccessKey"]);
      assert.match(second.AccountId, /^[0-9]{12}$/);
      assert.notEqual(second.AccountId, kmsd.accountId);
      assert.match(second.AccessKeyId, /^AKIA[A-Z2-7]{16}$/);
      assert.ok(second.SecretAccessKey.length >= 40);
      const theirs = kmsd.kms({ credentials: credentialsOf(second) });
      const key = await createKey(theirs);
      assert.equal(key.AWSAccountId, second.AccountId);
      const theirKeys = (await theirs.send(new ListKeysCommand({}))).Keys?.map((k) => k.KeyId);
      assert.deepEqual(theirKeys, [key.KeyId]);
      const ourKeys = (await kms.send(new ListKeysCommand({ Limit: 1000 }))).Keys?.map((k) => k.KeyId);
      assert.ok(!ourKeys?.includes(key.KeyId), "the default account does not see the new account's key");
      await expectAwsError(
        kms.send(new DescribeKeyCommand({ KeyId: key.KeyId })),
        "NotFoundException",
        `Key 'arn:aws:kms:us-east-1:${kmsd.accountId}:key/${key.KeyId}' does not exist`,
      );
    });

    it("`kmsd account create --id` with a taken id fails and prints no credentials", async () => {
      const result = await runKmsdCli(["account", "create", "--data-dir", kmsd.dataDir, "--id", kmsd.accountId, "--json"]);
      assert.notEqual(result.code, 0);
      assert.equal(result.stdout, "");
      assert.match(result.stderr, /already exists/);
    });
  });

  describe("the dev clock", () => {
    it("does not exist without --dev", async () => {
      const response = await rawRequest(kmsd.endpoint, { path: "/kmsd/dev/clock", body: JSON.stringify({ advanceSeconds: 86_400 }) });
      assert.notEqual(response.status, 200);
      assert.ok(!response.body.includes("epochSeconds"));
      // The clock did not move: a request signed now is still current.
      assert.equal((await call("ListKeys", "{}")).status, 200);
    });
  });

  describe("the AWS CLI", () => {
    it("`aws kms encrypt` then `aws kms decrypt` with --endpoint-url round-trip the bytes", async () => {
      const key = await createKey(kms);
      const work = mkdtempSync(join(tmpdir(), "kmsd-cli-"));
      try {
        const plaintext = randomBytes(100);
        writeFileSync(join(work, "plain.bin"), plaintext);
        const env: NodeJS.ProcessEnv = {
          ...process.env,
          AWS_SHARED_CREDENTIALS_FILE: join(kmsd.dataDir, "credentials"),
          AWS_CONFIG_FILE: join(work, "no-config"),
          AWS_PROFILE: "default",
        };
        delete env.AWS_ACCESS_KEY_ID;
        delete env.AWS_SECRET_ACCESS_KEY;
        delete env.AWS_SESSION_TOKEN;
        const common = ["--endpoint-url", kmsd.endpoint, "--region", "us-east-1", "--output", "text"];
        const encrypted = await run(
          "aws",
          ["kms", "encrypt", "--key-id", key.KeyId, "--plaintext", `fileb://${join(work, "plain.bin")}`, "--encryption-context", "purpose=cli", "--query", "CiphertextBlob", ...common],
          { env },
        );
        writeFileSync(join(work, "cipher.bin"), Buffer.from(encrypted.stdout.trim(), "base64"));
        const decrypted = await run(
          "aws",
          ["kms", "decrypt", "--ciphertext-blob", `fileb://${join(work, "cipher.bin")}`, "--encryption-context", "purpose=cli", "--query", "Plaintext", ...common],
          { env },
        );
        assert.deepEqual(Buffer.from(decrypted.stdout.trim(), "base64"), plaintext);
        // And the SDK agrees with the CLI about that ciphertext.
        const { Plaintext } = await kms.send(
          new DecryptCommand({ CiphertextBlob: readFileSync(join(work, "cipher.bin")), EncryptionContext: { purpose: "cli" } }),
        );
        assert.deepEqual(bytes(Plaintext), plaintext);
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    });
  });
});

describe("kmsd core: --dev", () => {
  let kmsd: Kmsd;
  before(async () => {
    kmsd = await startKmsd({ dev: true });
  });
  after(async () => kmsd.dispose());

  it("warns at start that it is in dev mode", () => {
    assert.match(kmsd.stderr(), /--dev/);
  });

  it("accepts AWS_ACCESS_KEY_ID=test as the default account's root", async () => {
    const local = kmsd.kms({ credentials: { accessKeyId: "test", secretAccessKey: "test" } });
    const { KeyMetadata } = await local.send(new CreateKeyCommand({}));
    assert.equal(KeyMetadata?.AWSAccountId, kmsd.accountId);
    const { CiphertextBlob } = await local.send(new EncryptCommand({ KeyId: KeyMetadata?.KeyId, Plaintext: Buffer.from("dev") }));
    // The same key, seen with the real root credentials of the default account.
    const { Plaintext } = await kmsd.kms().send(new DecryptCommand({ CiphertextBlob }));
    assert.equal(bytes(Plaintext).toString(), "dev");
  });

  it("still verifies the signature of a known access key", async () => {
    const impostor = kmsd.kms({ credentials: { accessKeyId: kmsd.credentials.accessKeyId, secretAccessKey: "wrong-secret" } });
    await expectAwsError(impostor.send(new ListKeysCommand({})), "InvalidSignatureException");
  });

  it("still requires a signature", async () => {
    const response = await rawRequest(kmsd.endpoint, { target: "TrentService.ListKeys", body: "{}" });
    assert.equal(awsError(response).type, "MissingAuthenticationTokenException");
  });

  it("POST /kmsd/dev/clock moves the server clock forward and answers the new time; requests signed with the wall clock still work", async () => {
    const before = Date.now();
    const moved = await kmsd.advanceClock(3600);
    assert.ok(Math.abs(moved.epochSeconds * 1000 - (before + 3_600_000)) < 60_000, `now is ${moved.now}`);
    assert.equal(new Date(moved.now).getTime(), Math.round(moved.epochSeconds * 1000));
    const key = await createKey(kmsd.kms());
    assert.ok(Math.abs((key.CreationDate?.getTime() ?? 0) - (before + 3_600_000)) < 60_000, "CreationDate reads the moved clock");
  });

  it("the dev clock refuses to go backwards or to take garbage", async () => {
    for (const body of ['{"advanceSeconds": -5}', '{"advanceSeconds": "x"}', "not json"]) {
      const response = await rawRequest(kmsd.endpoint, { path: "/kmsd/dev/clock", body });
      assert.equal(response.status, 400, body);
    }
  });

  it("the dev clock refuses to move beyond what a Date can represent, and the server keeps answering", async () => {
    for (const advanceSeconds of [1e15, 8.64e12, 1e308]) {
      const response = await rawRequest(kmsd.endpoint, { path: "/kmsd/dev/clock", body: JSON.stringify({ advanceSeconds }) });
      assert.equal(response.status, 400, String(advanceSeconds));
      assert.equal(response.json().__type, "ValidationException");
    }
    assert.equal((await kmsd.kms().send(new ListKeysCommand({}))).$metadata.httpStatusCode, 200);
    assert.equal((await rawRequest(kmsd.endpoint, { method: "GET", path: "/health" })).status, 200);
  });
});
