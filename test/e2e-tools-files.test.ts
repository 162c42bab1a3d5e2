// `kmsd encrypt` and `kmsd decrypt` end to end against a built `kmsd serve --dev`: the AWS
// Encryption SDK message format (version 2, committing suite) read and written by the SDK
// used directly here (an independent code path), several keys in two Regions, strict mode,
// the required encryption context, client settings as the AWS CLI takes them, and clear
// refusals that leave no output file behind.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { buildClient, CommitmentPolicy, KmsKeyringNode } from "@aws-crypto/client-node";
import { KMS, PutKeyPolicyCommand } from "@aws-sdk/client-kms";
import { createKey, type CreatedKey } from "./support/e2e.ts";
import { deny, policy, rootStatement } from "./support/identities.ts";
import { startKmsd, type Kmsd } from "./support/kmsd.ts";
import { runTool, toolEnv, type ToolRun } from "./support/tools.ts";

/** The Encryption SDK's id of AES-256-GCM with HKDF-SHA512 key commitment and ECDSA P-384 signatures. */
const COMMITTING_SIGNED_SUITE = 0x0578;

void describe("kmsd encrypt and decrypt (files in the AWS Encryption SDK message format)", () => {
  let kmsd: Kmsd;
  let dir: string;
  let east: CreatedKey;
  let west: CreatedKey;
  let other: CreatedKey;
  const sdk = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
  const sdkClients: KMS[] = [];
  /** The Encryption SDK's own KMS keyring over plain SDK clients, with none of kmsd's tool code in between. */
  const sdkKeyring = (options: { generatorKeyId?: string; keyIds?: string[]; discovery?: true }) =>
    new KmsKeyringNode({
      ...options,
      clientProvider: (region: string) => {
        const client = new KMS({ endpoint: kmsd.endpoint, region, credentials: kmsd.credentials, maxAttempts: 1 });
        sdkClients.push(client);
        return client;
      },
    });
  const file = (name: string) => join(dir, name);
  const kmsdCli = (args: string[], env = toolEnv(kmsd)): Promise<ToolRun> => runTool(args, { env });
  const assertSucceeded = (run: ToolRun) => assert.equal(run.code, 0, `exit ${run.code}: ${run.stderr}`);
  /** Asserts a failure with one line on stderr matching `message`, and that no output (not even a partial file) was left. */
  const assertRefused = (run: ToolRun, message: RegExp, out: string) => {
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, message);
    assert.doesNotMatch(run.stderr, /\n\s+at /, "no stack trace");
    assert.equal(existsSync(out), false, "no output file");
    assert.deepEqual(readdirSync(dir).filter((name) => name.endsWith(".partial")), [], "no partial file");
  };

  before(async () => {
    kmsd = await startKmsd({ dev: true });
    dir = mkdtempSync(join(tmpdir(), "kmsd-tools-files-"));
    east = await createKey(kmsd.kms({ region: "us-east-1" }));
    west = await createKey(kmsd.kms({ region: "eu-west-1" }));
    other = await createKey(kmsd.kms({ region: "us-east-1" }));
  });
  after(async () => {
    sdkClients.forEach((client) => client.destroy());
    rmSync(dir, { recursive: true, force: true });
    await kmsd.dispose();
  });

  void it("writes a version 2 message with the committing suite that the Encryption SDK itself decrypts, context included", async () => {
    const plaintext = randomBytes(300_000); // several frames
    writeFileSync(file("a.bin"), plaintext);
    assertSucceeded(await kmsdCli(["encrypt", "--key-id", east.Arn, "--context", "purpose=backup", "--context", "team=a=b", "--in", file("a.bin"), "--out", file("a.enc")]));
    const message = readFileSync(file("a.enc"));
    assert.equal(message[0], 2, "message format version 2");
    assert.equal(message.readUInt16BE(1), COMMITTING_SIGNED_SUITE);
    const { plaintext: decrypted, messageHeader } = await sdk.decrypt(sdkKeyring({ keyIds: [east.Arn] }), message);
    assert.deepEqual(Buffer.from(decrypted), plaintext);
    assert.equal(messageHeader.encryptionContext.purpose, "backup");
    assert.equal(messageHeader.encryptionContext.team, "a=b");
  });

  void it("decrypts a message the Encryption SDK wrote, with or without naming the key", async () => {
    const plaintext = Buffer.from("written by the Encryption SDK directly");
    const { result } = await sdk.encrypt(sdkKeyring({ generatorKeyId: east.Arn }), plaintext, { encryptionContext: { stage: "test" } });
    writeFileSync(file("b.enc"), result);
    assertSucceeded(await kmsdCli(["decrypt", "--in", file("b.enc"), "--out", file("b.out"), "--context", "stage=test"]));
    assert.deepEqual(readFileSync(file("b.out")), plaintext);
    assertSucceeded(await kmsdCli(["decrypt", "--in", file("b.enc"), "--out", file("b2.out"), "--key-id", east.KeyId]));
    assert.deepEqual(readFileSync(file("b2.out")), plaintext);
  });

  void it("makes a message that each of several keys, in two Regions, opens on its own", async () => {
    writeFileSync(file("c.txt"), "two keys, two Regions");
    assertSucceeded(await kmsdCli(["encrypt", "--key-id", east.Arn, "--key-id", west.Arn, "--in", file("c.txt"), "--out", file("c.enc")]));
    const message = readFileSync(file("c.enc"));
    for (const key of [east, west]) {
      const { plaintext } = await sdk.decrypt(sdkKeyring({ keyIds: [key.Arn] }), message);
      assert.equal(Buffer.from(plaintext).toString(), "two keys, two Regions");
      const out = file(`c-${key.KeyId}.txt`);
      assertSucceeded(await kmsdCli(["decrypt", "--key-id", key.Arn, "--in", file("c.enc"), "--out", out]));
      assert.equal(readFileSync(out, "utf8"), "two keys, two Regions");
    }
  });

  void it("in strict mode refuses a message none of the given keys sealed", async () => {
    writeFileSync(file("d.txt"), "for east only");
    assertSucceeded(await kmsdCli(["encrypt", "--key-id", east.Arn, "--in", file("d.txt"), "--out", file("d.enc")]));
    assertRefused(await kmsdCli(["decrypt", "--key-id", other.Arn, "--in", file("d.enc"), "--out", file("d.out")]), /^kmsd decrypt: Unable to decrypt data key/, file("d.out"));
  });

  void it("refuses a message whose encryption context lacks or changes a required pair, naming the pair and not its value", async () => {
    writeFileSync(file("e.txt"), "context-bound");
    assertSucceeded(await kmsdCli(["encrypt", "--key-id", east.Arn, "--context", "tenant=blue", "--in", file("e.txt"), "--out", file("e.enc")]));
    for (const context of ["tenant=green", "region=x"]) {
      const run = await kmsdCli(["decrypt", "--context", context, "--in", file("e.enc"), "--out", file("e.out")]);
      assertRefused(run, /encryption context does not match the required context \('(tenant|region)' missing or different\)/, file("e.out"));
      assert.doesNotMatch(run.stderr, /blue|green/);
    }
  });

  void it("refuses a tampered message and leaves no plaintext behind", async () => {
    writeFileSync(file("f.bin"), randomBytes(200_000));
    assertSucceeded(await kmsdCli(["encrypt", "--key-id", east.Arn, "--in", file("f.bin"), "--out", file("f.enc")]));
    const message = readFileSync(file("f.enc"));
    const middle = message.length - 100_000; // a body byte in the middle of the frames
    message[middle] = (message[middle] ?? 0) ^ 1;
    writeFileSync(file("f-tampered.enc"), message);
    assertRefused(await kmsdCli(["decrypt", "--in", file("f-tampered.enc"), "--out", file("f.out")]), /^kmsd decrypt: /, file("f.out"));
  });

  void it("names the key and AWS's error when a key policy denies the caller", async () => {
    const denied = await createKey(kmsd.kms());
    await kmsd.kms().send(new PutKeyPolicyCommand({ KeyId: denied.KeyId, Policy: policy(rootStatement(kmsd.accountId), deny("kms:GenerateDataKey", "*", { Principal: "*" })) }));
    writeFileSync(file("g.txt"), "nope");
    const run = await kmsdCli(["encrypt", "--key-id", denied.KeyId, "--in", file("g.txt"), "--out", file("g.enc")]);
    assertRefused(run, new RegExp(`^kmsd encrypt: KMS GenerateDataKey with ${denied.KeyId} failed: AccessDeniedException: .*kms:GenerateDataKey`), file("g.enc"));
  });

  void it("takes its client settings as the AWS CLI does: flags, AWS_* variables, or a named profile", async () => {
    writeFileSync(file("h.txt"), "settings");
    const bare = { PATH: process.env.PATH ?? "", HOME: dir, AWS_CONFIG_FILE: file("aws-config"), AWS_SHARED_CREDENTIALS_FILE: file("aws-credentials") };
    writeFileSync(file("aws-config"), `[profile kmsd]\nregion = eu-west-1\nendpoint_url = ${kmsd.endpoint}\n`);
    writeFileSync(file("aws-credentials"), `[kmsd]\naws_access_key_id = ${kmsd.credentials.accessKeyId}\naws_secret_access_key = ${kmsd.credentials.secretAccessKey}\n`);
    // A key id without a Region is looked for in the profile's Region; --region overrides it, as AWS_REGION does.
    assertSucceeded(await kmsdCli(["encrypt", "--profile", "kmsd", "--key-id", west.KeyId, "--in", file("h.txt"), "--out", file("h1.enc")], bare));
    assertSucceeded(await kmsdCli(["encrypt", "--key-id", west.KeyId, "--in", file("h.txt"), "--out", file("h2.enc")], { ...bare, AWS_PROFILE: "kmsd" }));
    assertSucceeded(
      await kmsdCli(["encrypt", "--profile", "kmsd", "--region", "us-east-1", "--key-id", east.KeyId, "--in", file("h.txt"), "--out", file("h3.enc")], bare),
    );
    const flagsOnly = { ...toolEnv(kmsd), AWS_ENDPOINT_URL: "http://127.0.0.1:9" };
    assertSucceeded(await kmsdCli(["decrypt", "--endpoint-url", kmsd.endpoint, "--in", file("h1.enc"), "--out", file("h.out")], flagsOnly));
    assert.equal(readFileSync(file("h.out"), "utf8"), "settings");
    // The key lives in eu-west-1 only: asked in us-east-1 it is not found.
    assertRefused(await kmsdCli(["encrypt", "--region", "us-east-1", "--key-id", west.KeyId, "--in", file("h.txt"), "--out", file("h4.enc")]), /NotFoundException/, file("h4.enc"));
  });

  void it("answers bad usage with one line and exit status 1 or 2, never a stack trace", async () => {
    for (const args of [
      ["encrypt", "--in", file("x"), "--out", file("y")],
      ["encrypt", "--key-id", east.Arn, "--context", "novalue", "--in", file("x"), "--out", file("y")],
      ["encrypt", "--key-id", east.Arn, "--context", "aws-crypto-public-key=x", "--in", file("x"), "--out", file("y")],
      ["decrypt", "--in", file("missing.enc"), "--out", file("y")],
    ]) {
      const run = await kmsdCli(args);
      assert.ok(run.code === 1 || run.code === 2, `${args.join(" ")}: exit ${run.code}`);
      assert.match(run.stderr, /^kmsd (encrypt|decrypt)/);
      assert.doesNotMatch(run.stderr, /\n\s+at /);
    }
  });
});
