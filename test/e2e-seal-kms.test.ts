/**
 * End to end: the `kms` seal (auto-unseal). kmsd A's root key is encrypted by a key of
 * kmsd B (another AWS-KMS-compatible service), with A's credentials for B coming from the
 * SDK's default chain (the environment here). A unseals itself at start; with B stopped, A
 * starts sealed and says why; when B returns, A unseals by retrying. The credentials for B
 * appear nowhere in A's log or data directory.
 */
import assert from "node:assert/strict";
import { rmSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CreateKeyCommand, DecryptCommand, EncryptCommand, ListKeysCommand } from "@aws-sdk/client-kms";
import { expectAwsError, startKmsd, type Kmsd } from "./support/kmsd.ts";
import { filesUnder, health, seal, secretForms, waitForHealth } from "./support/seal.ts";
import { readSealRecord } from "../src/seal/sealFile.ts";

describe("kms seal: kmsd A auto-unseals through kmsd B", () => {
  const scratch = mkdtempSync(join(tmpdir(), "kmsd-seal-kms-"));
  const dataDirA = join(scratch, "a");
  const dataDirB = join(scratch, "b");
  let b: Kmsd;
  let a: Kmsd;
  let sealingKey: string;
  let env: Record<string, string>;
  let ciphertext: Uint8Array | undefined;

  const startA = (workers = "1") =>
    startKmsd({
      dataDir: dataDirA,
      args: ["--workers", workers, "--seal", "kms", "--seal-key-id", sealingKey, "--seal-endpoint", b.endpoint, "--seal-region", "eu-west-1"],
      env,
    });

  before(async () => {
    b = await startKmsd({ dataDir: dataDirB, dev: true });
    sealingKey = (await b.kms({ region: "eu-west-1" }).send(new CreateKeyCommand({ Description: "seals kmsd A's root key" }))).KeyMetadata?.Arn ?? "";
    env = { AWS_ACCESS_KEY_ID: b.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: b.credentials.secretAccessKey };
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("a first start seals a new root key with B's key and serves at once", async () => {
    a = await startA();
    assert.equal((await health(a.endpoint)).status, 200);
    const record = readSealRecord(dataDirA);
    assert.equal(record?.mode, "kms");
    assert.equal(record?.mode === "kms" ? record.keyId : undefined, sealingKey);
    assert.ok(record?.mode === "kms" && Object.keys(record.encryptionContext).includes("kmsd:deployment"), "the encryption context names the deployment");
    assert.deepEqual(filesUnder(dataDirA).filter(({ path }) => path.endsWith("root.key")), []);
    const kms = a.kms();
    const keyId = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId;
    ciphertext = (await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("auto-unsealed") }))).CiphertextBlob;
  });

  it("a restart unseals again through B, and old ciphertexts decrypt", async () => {
    await a.stop();
    a = await startA();
    assert.equal((await health(a.endpoint)).status, 200);
    assert.equal(Buffer.from((await a.kms().send(new DecryptCommand({ CiphertextBlob: ciphertext }))).Plaintext ?? []).toString(), "auto-unsealed");
  });

  it("with B stopped, A starts sealed, says why, and refuses the API", async () => {
    await a.stop();
    await b.stop();
    a = await startA();
    const answer = await health(a.endpoint);
    assert.equal(answer.status, 503);
    assert.equal(answer.body.sealed, true);
    assert.match(String(answer.body.reason), /^auto-unseal through kms failed: /);
    assert.match(a.stderr(), /auto-unseal failed; retrying/);
    await expectAwsError(a.kms().send(new ListKeysCommand({})), "ServiceUnavailableException");
  });

  it("when B returns, A unseals by retrying", async () => {
    b = await startKmsd({ dataDir: dataDirB, dev: true, args: ["--port", String(b.port)] });
    await waitForHealth(a.endpoint, (answer) => answer.status === 200);
    assert.equal(Buffer.from((await a.kms().send(new DecryptCommand({ CiphertextBlob: ciphertext }))).Plaintext ?? []).toString(), "auto-unsealed");
  });

  it("operator seal seals it until the next start", async () => {
    const sealed = await seal(a.endpoint, a.credentials);
    assert.equal(sealed.code, 0, sealed.stderr);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal((await health(a.endpoint)).body.sealed, true);
    await a.stop();
    a = await startA();
    assert.equal((await health(a.endpoint)).status, 200);
  });

  it("with --workers, the primary unseals once through B and every worker serves", async () => {
    await a.stop();
    a = await startA("2");
    const kms = a.kms();
    for (let i = 0; i < 8; i++) {
      assert.equal(Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob: ciphertext }))).Plaintext ?? []).toString(), "auto-unsealed");
    }
    assert.equal((a.stderr().match(/"message":"unsealed"/g) ?? []).length, 1, "one unseal, by the primary");
  });

  it("the credentials for B appear nowhere in A's log or data directory", async () => {
    await a.stop();
    const secret = Buffer.from(env.AWS_SECRET_ACCESS_KEY ?? "");
    const places = [...filesUnder(dataDirA), { path: "A's log", bytes: Buffer.from(a.stderr()) }];
    for (const { path, bytes } of places) {
      for (const form of secretForms(secret)) assert.equal(bytes.indexOf(form), -1, `B's secret is in ${path}`);
    }
  });
});
