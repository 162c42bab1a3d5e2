/**
 * End to end: a data directory sealed by Shamir shares (`kmsd operator init`). It starts
 * sealed and serves nothing but its health and the operator endpoints; operators unseal it
 * share by share through `kmsd operator unseal` (standard input), a wrong or foreign share
 * is refused and resets the progress, `kmsd operator seal` (the default account's root)
 * seals it at once, and a restart is sealed again. With --workers, the node unseals once
 * and every worker serves.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { after, before, describe, it } from "node:test";
import { ListUsersCommand } from "@aws-sdk/client-iam";
import { CreateKeyCommand, DecryptCommand, EncryptCommand, ListKeysCommand } from "@aws-sdk/client-kms";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { iamClient, stsClient } from "./support/audit.ts";
import { expectAwsError, startKmsd, type Kmsd } from "./support/kmsd.ts";
import { health, initShamir, seal, unseal, unsealWith, waitForHealth, type InitOutput } from "./support/seal.ts";

const SEALED_MESSAGE = "kmsd is sealed: no key is usable until the node is unsealed (kmsd operator unseal).";

/** Every API refuses a sealed node's requests with AWS's 503 "service unavailable", in its own protocol. */
async function expectSealed(kmsd: Kmsd): Promise<void> {
  await expectAwsError(kmsd.kms().send(new ListKeysCommand({})), "ServiceUnavailableException", SEALED_MESSAGE);
  await expectAwsError(iamClient(kmsd).send(new ListUsersCommand({})), "ServiceUnavailable", SEALED_MESSAGE);
  await expectAwsError(stsClient(kmsd).send(new GetCallerIdentityCommand({})), "ServiceUnavailable", SEALED_MESSAGE);
}

describe("shamir seal: a node starts sealed and serves only once enough shares arrived", () => {
  let dataDir: string;
  let init: InitOutput;
  let kmsd: Kmsd;

  before(async () => {
    ({ dataDir, init } = await initShamir(5, 3));
    kmsd = await startKmsd({ dataDir });
  });
  after(async () => {
    await kmsd.stop();
    rmSync(dirname(dataDir), { recursive: true, force: true });
  });

  it("operator init prints every share once, the threshold and the default account's root credentials", () => {
    assert.equal(init.UnsealShares.length, 5);
    assert.equal(new Set(init.UnsealShares).size, 5);
    assert.equal(init.Threshold, 3);
    assert.match(init.AccountId, /^\d{12}$/);
    assert.equal(kmsd.credentials.accessKeyId, init.AccessKeyId);
  });

  it("a sealed node answers /health and /ready with 503 and sealed: true, and refuses every API request", async () => {
    const answer = await health(kmsd.endpoint);
    assert.equal(answer.status, 503);
    assert.equal(answer.body.sealed, true);
    assert.equal(answer.body.progress, 0);
    assert.equal(answer.body.threshold, 3);
    const ready = await fetch(`${kmsd.endpoint}/ready`);
    assert.equal(ready.status, 503);
    assert.deepEqual(((await ready.json()) as { reasons: string[] }).reasons, ["sealed"]);
    await expectSealed(kmsd);
  });

  it("a share that is not kmsd's is refused and the progress goes back to 0, logged without its value", async () => {
    assert.equal((await unseal(kmsd.endpoint, init.UnsealShares[0] ?? "")).status?.Progress, 1);
    const garbage = Buffer.alloc(42, 7).toString("base64");
    const refused = await unseal(kmsd.endpoint, garbage);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /not an unseal share of kmsd/);
    assert.equal((await health(kmsd.endpoint)).body.progress, 0);
    assert.match(kmsd.stderr(), /unseal share refused; progress reset/);
    assert.ok(!kmsd.stderr().includes(garbage));
  });

  it("a share of another deployment is refused as foreign and resets the progress", async () => {
    const other = await initShamir(3, 2);
    try {
      assert.equal((await unseal(kmsd.endpoint, init.UnsealShares[0] ?? "")).status?.Progress, 1);
      const foreign = other.init.UnsealShares[0] ?? "";
      const refused = await unseal(kmsd.endpoint, foreign);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /belongs to another kmsd deployment/);
      assert.equal((await health(kmsd.endpoint)).body.progress, 0);
      assert.ok(!kmsd.stderr().includes(foreign));
    } finally {
      rmSync(dirname(other.dataDir), { recursive: true, force: true });
    }
  });

  it("an altered share of this deployment is refused before it can spoil the combination", async () => {
    const share = Buffer.from(init.UnsealShares[1] ?? "", "base64");
    share[20] = (share[20] ?? 0) ^ 0x01;
    assert.equal((await unseal(kmsd.endpoint, init.UnsealShares[0] ?? "")).status?.Progress, 1);
    const refused = await unseal(kmsd.endpoint, share.toString("base64"));
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /not one of this node's unseal shares/);
    assert.equal((await health(kmsd.endpoint)).body.progress, 0);
  });

  it("the same share twice is refused and resets the progress", async () => {
    assert.equal((await unseal(kmsd.endpoint, init.UnsealShares[2] ?? "")).status?.Progress, 1);
    const refused = await unseal(kmsd.endpoint, init.UnsealShares[2] ?? "");
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /already submitted/);
    assert.equal((await health(kmsd.endpoint)).body.progress, 0);
  });

  let ciphertext: Uint8Array | undefined;
  let keyId: string | undefined;

  it("threshold shares (any of them) unseal the node, which then serves", async () => {
    const answers = [];
    for (const share of [init.UnsealShares[4], init.UnsealShares[1], init.UnsealShares[3]]) answers.push((await unseal(kmsd.endpoint, share ?? "")).status);
    assert.deepEqual(
      answers.map((answer) => [answer?.Sealed, answer?.Progress, answer?.Threshold]),
      [
        [true, 1, 3],
        [true, 2, 3],
        [false, 0, 3],
      ],
    );
    assert.equal((await health(kmsd.endpoint)).status, 200);
    const kms = kmsd.kms();
    keyId = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId;
    ciphertext = (await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("sealed secret") }))).CiphertextBlob;
    assert.equal(Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob: ciphertext }))).Plaintext ?? []).toString(), "sealed secret");
  });

  it("operator seal needs the default account root's real signature", async () => {
    const wrong = await seal(kmsd.endpoint, { accessKeyId: init.AccessKeyId, secretAccessKey: "not-the-secret-access-key-at-all-0000000" });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /SignatureDoesNotMatch|InvalidSignatureException/);
    const unknown = await seal(kmsd.endpoint, { accessKeyId: "AKIAUNKNOWNKEY000000", secretAccessKey: "x".repeat(40) });
    assert.equal(unknown.code, 1);
    assert.equal((await health(kmsd.endpoint)).status, 200);
  });

  it("operator seal seals the node at once: the API is refused again", async () => {
    const sealed = await seal(kmsd.endpoint, kmsd.credentials);
    assert.equal(sealed.code, 0, sealed.stderr);
    assert.equal((JSON.parse(sealed.stdout) as { Sealed: boolean }).Sealed, true);
    assert.equal((await health(kmsd.endpoint)).body.sealed, true);
    await expectSealed(kmsd);
  });

  it("shares unseal it again, and what was encrypted before still decrypts", async () => {
    await unsealWith(kmsd.endpoint, init.UnsealShares.slice(0, 3));
    const plaintext = (await kmsd.kms().send(new DecryptCommand({ CiphertextBlob: ciphertext }))).Plaintext;
    assert.equal(Buffer.from(plaintext ?? []).toString(), "sealed secret");
  });

  it("a restart is sealed again, and unseals to the same keys", async () => {
    await kmsd.stop();
    kmsd = await startKmsd({ dataDir });
    assert.equal((await health(kmsd.endpoint)).body.sealed, true);
    await expectSealed(kmsd);
    await unsealWith(kmsd.endpoint, init.UnsealShares.slice(2, 5));
    const plaintext = (await kmsd.kms().send(new DecryptCommand({ CiphertextBlob: ciphertext, KeyId: keyId }))).Plaintext;
    assert.equal(Buffer.from(plaintext ?? []).toString(), "sealed secret");
  });
});

describe("shamir seal with --workers: the node unseals once and every worker serves", () => {
  let dataDir: string;
  let init: InitOutput;
  let kmsd: Kmsd;
  const WORKERS = 3;

  before(async () => {
    ({ dataDir, init } = await initShamir(3, 2));
    // Debug level: each worker's own "listening" line shows it is up.
    kmsd = await startKmsd({ dataDir, args: ["--workers", String(WORKERS), "--log-level", "debug"] });
    await waitForHealth(kmsd.endpoint, () => (kmsd.stderr().match(/"message":"listening"/g) ?? []).length === WORKERS);
  });
  after(async () => {
    await kmsd.stop();
    rmSync(dirname(dataDir), { recursive: true, force: true });
  });

  /** Enough fresh connections that every worker answers some (the kernel spreads them). */
  const healthOfEveryWorker = async () => {
    const seen = new Map<unknown, Record<string, unknown>>();
    for (let attempt = 0; attempt < 60 && seen.size < WORKERS; attempt++) {
      const answer = await health(kmsd.endpoint);
      seen.set(answer.body.worker, { ...answer.body, httpStatus: answer.status });
    }
    assert.equal(seen.size, WORKERS, "every worker answered");
    return [...seen.values()];
  };

  it("every worker is sealed at start", async () => {
    for (const answer of await healthOfEveryWorker()) assert.equal(answer.sealed, true);
  });

  it("progress is the node's, whichever worker a share reaches; the last share unseals every worker", async () => {
    const first = await unseal(kmsd.endpoint, init.UnsealShares[0] ?? "");
    assert.equal(first.status?.Progress, 1);
    for (const answer of await healthOfEveryWorker()) assert.equal(answer.progress, 1);
    const second = await unseal(kmsd.endpoint, init.UnsealShares[1] ?? "");
    assert.equal(second.status?.Sealed, false);
    for (const answer of await healthOfEveryWorker()) assert.equal(answer.httpStatus, 200);
    const kms = kmsd.kms();
    const keyId = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId;
    for (let i = 0; i < 20; i++) {
      const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from(`message ${i}`) }));
      assert.equal(Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob }))).Plaintext ?? []).toString(), `message ${i}`);
    }
  });

  it("operator seal seals every worker", async () => {
    const sealed = await seal(kmsd.endpoint, kmsd.credentials);
    assert.equal(sealed.code, 0, sealed.stderr);
    for (const answer of await healthOfEveryWorker()) assert.equal(answer.sealed, true);
    for (let i = 0; i < 6; i++) await expectAwsError(kmsd.kms().send(new ListKeysCommand({})), "ServiceUnavailableException");
  });

  it("a worker that dies while the node is unsealed is restarted serving, handed the key by the primary", async () => {
    await unsealWith(kmsd.endpoint, init.UnsealShares.slice(1, 3));
    const workers = execFileSync("pgrep", ["-P", String(kmsd.process.pid)], { encoding: "utf8" }).trim().split("\n").map(Number);
    assert.equal(workers.length, WORKERS);
    process.kill(workers[0] ?? 0, "SIGKILL");
    const deadline = Date.now() + 20_000;
    while (execFileSync("pgrep", ["-P", String(kmsd.process.pid)], { encoding: "utf8" }).trim().split("\n").includes(String(workers[0]))) {
      if (Date.now() > deadline) throw new Error("the killed worker is still there");
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await waitForHealth(kmsd.endpoint, () => (kmsd.stderr().match(/"message":"listening"/g) ?? []).length > WORKERS);
    for (const answer of await healthOfEveryWorker()) assert.equal(answer.httpStatus, 200);
  });
});
