/**
 * End to end: `kmsd operator rotate-root --endpoint URL` rotates the root key of a node
 * while it serves. Requests keep working during and after the rotation (load runs
 * throughout: new keys, new material, encryptions and decryptions), every ciphertext made
 * before or during it decrypts after, every stored secret ends up under the new generation,
 * and a second node on the same PostgreSQL database follows the rotation without a restart.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { CloudTrailClient, LookupEventsCommand } from "@aws-sdk/client-cloudtrail";
import { CreateKeyCommand, DecryptCommand, EncryptCommand, GenerateDataKeyCommand, RotateKeyOnDemandCommand } from "@aws-sdk/client-kms";
import { wrapGeneration } from "../src/crypto/rootKey.ts";
import { openDeploymentStore } from "../src/dataDir.ts";
import { readRootKeyState } from "../src/seal/rootKeyCheck.ts";
import { WRAPPED_SECRET_KINDS } from "../src/store/wrappedSecrets.ts";
import { startKmsd, type Kmsd } from "./support/kmsd.ts";
import { freshDatabase } from "./support/postgres.ts";
import { initShamir, rotateRootOnline, runCli, seal, unsealWith } from "./support/seal.ts";
import { checkThings, makeThings } from "./support/sealedThings.ts";

interface Rotated {
  RootKeyGeneration: number;
  PreviousRootKeyGeneration: number;
  RewrappedSecrets: number;
}

/** What the load made, to be decrypted after the rotation. */
interface Made {
  ciphertexts: Array<{ ciphertext: Uint8Array; plaintext: string }>;
  errors: string[];
  requests: number;
}

/**
 * Requests on `nodes` in turn until `stop` resolves: a new key now and then, a new material
 * version (on-demand rotation), encryptions, data keys, decryptions of what it made.
 */
async function load(nodes: readonly Kmsd[], stop: Promise<void>): Promise<Made> {
  const made: Made = { ciphertexts: [], errors: [], requests: 0 };
  let stopped = false;
  void stop.then(() => (stopped = true));
  const keyIds: string[] = [];
  for (let i = 0; !stopped || i < 10; i++) {
    const node = nodes[i % nodes.length] as Kmsd;
    const kms = node.kms();
    try {
      if (i % 10 === 0 || keyIds.length === 0) keyIds.push((await kms.send(new CreateKeyCommand({ Description: `load ${i}` }))).KeyMetadata?.KeyId ?? "");
      const keyId = keyIds[i % keyIds.length] as string;
      if (i % 25 === 5) await kms.send(new RotateKeyOnDemandCommand({ KeyId: keyId }));
      const plaintext = `during the rotation ${i}`;
      const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from(plaintext) }));
      made.ciphertexts.push({ ciphertext: CiphertextBlob ?? new Uint8Array(), plaintext });
      const dataKey = await kms.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: "AES_256" }));
      const opened = await kms.send(new DecryptCommand({ CiphertextBlob: dataKey.CiphertextBlob }));
      assert.deepEqual(opened.Plaintext, dataKey.Plaintext);
      made.requests += 4;
    } catch (error) {
      made.errors.push(`${node.endpoint} request ${i}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    }
  }
  return made;
}

/** Every ciphertext decrypts on `node` to what was encrypted. */
async function assertDecrypts(node: Kmsd, ciphertexts: Made["ciphertexts"]): Promise<void> {
  for (const { ciphertext, plaintext } of ciphertexts) {
    const { Plaintext } = await node.kms().send(new DecryptCommand({ CiphertextBlob: ciphertext }));
    assert.equal(Buffer.from(Plaintext ?? []).toString(), plaintext);
  }
}

/** The generations the deployment's stored secrets are wrapped under, and the database's root key state. */
async function storedGenerations(dataDir: string, databaseUrl?: string): Promise<{ generations: Set<number>; generation: number | undefined; rotating: boolean }> {
  const { store } = await openDeploymentStore(dataDir, databaseUrl);
  try {
    const generations = new Set<number>();
    for (const kind of WRAPPED_SECRET_KINDS) for (const secret of await store.listWrappedSecrets(kind, undefined, 100_000)) generations.add(wrapGeneration(secret.wrapped));
    const state = await readRootKeyState(store);
    return { generations, generation: state?.generation, rotating: state?.rotation !== undefined };
  } finally {
    await store.close();
  }
}

describe("operator rotate-root --endpoint on a serving shamir node (two workers)", () => {
  it("rotates while requests keep working; everything made before and during decrypts after, also after a seal and unseal, and after a restart", async () => {
    const { dataDir, init } = await initShamir(3, 2);
    const shares = init.UnsealShares;
    const credentials = { accessKeyId: init.AccessKeyId, secretAccessKey: init.SecretAccessKey };
    let node = await startKmsd({ dataDir, args: ["--workers", "2"] });
    try {
      await unsealWith(node.endpoint, shares.slice(0, 2));
      const before = await makeThings(node);

      let finish = () => {};
      const running = load([node], new Promise<void>((resolve) => (finish = resolve)));
      const rotation = await rotateRootOnline(node.endpoint, credentials, shares.slice(1, 3));
      finish();
      const during = await running;
      assert.equal(rotation.code, 0, rotation.stderr);
      const rotated = JSON.parse(rotation.stdout) as Rotated;
      assert.equal(rotated.RootKeyGeneration, 2);
      assert.equal(rotated.PreviousRootKeyGeneration, 1);
      assert.deepEqual(during.errors, []);
      assert.ok(during.requests >= 20, `only ${during.requests} requests ran during the rotation`);

      await checkThings(node, before);
      await assertDecrypts(node, during.ciphertexts);
      assert.deepEqual(await storedGenerations(dataDir), { generations: new Set([2]), generation: 2, rotating: false });

      // The rotation is in the trail, naming who asked and no share.
      const trail = new CloudTrailClient({ endpoint: node.endpoint, region: "us-east-1", credentials });
      const { Events } = await trail.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: "EventName", AttributeValue: "RotateRootKey" }] }));
      assert.equal(Events?.length, 1);
      const record = JSON.parse(Events?.[0]?.CloudTrailEvent ?? "{}") as { serviceEventDetails: Record<string, string> };
      assert.equal(record.serviceEventDetails.online, "true");
      assert.equal(record.serviceEventDetails.accessKeyId, credentials.accessKeyId);
      for (const share of shares) assert.equal(Events?.[0]?.CloudTrailEvent?.includes(share), false);

      // The seal now holds the new key: sealed and unsealed again with the same shares, the node serves everything.
      const sealed = await seal(node.endpoint, credentials);
      assert.equal(sealed.code, 0, sealed.stderr);
      await unsealWith(node.endpoint, [shares[2] ?? "", shares[0] ?? ""]);
      await checkThings(node, before);
      await assertDecrypts(node, during.ciphertexts);

      await node.stop();
      node = await startKmsd({ dataDir });
      await unsealWith(node.endpoint, shares.slice(0, 2));
      await checkThings(node, before);
      await assertDecrypts(node, during.ciphertexts);
    } finally {
      await node.stop();
      rmSync(join(dataDir, ".."), { recursive: true, force: true });
    }
  });

  it("is refused without the root's signature or with too few shares, and changes nothing", async () => {
    const { dataDir, init } = await initShamir(3, 2);
    const node = await startKmsd({ dataDir });
    try {
      await unsealWith(node.endpoint, init.UnsealShares.slice(0, 2));
      const stranger = await rotateRootOnline(node.endpoint, { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" }, init.UnsealShares.slice(0, 2));
      assert.equal(stranger.code, 1);
      assert.match(stranger.stderr, /UnrecognizedClientException|AccessDenied/);
      const credentials = { accessKeyId: init.AccessKeyId, secretAccessKey: init.SecretAccessKey };
      const tooFew = await rotateRootOnline(node.endpoint, credentials, init.UnsealShares.slice(0, 1));
      assert.equal(tooFew.code, 1);
      assert.match(tooFew.stderr, /SealRequestRefusedException: .*needs 2 unseal shares/);
      assert.deepEqual(await storedGenerations(dataDir), { generations: new Set([1]), generation: 1, rotating: false });
    } finally {
      await node.stop();
      rmSync(join(dataDir, ".."), { recursive: true, force: true });
    }
  });
});

describe("operator rotate-root --endpoint when the node dies in the middle", () => {
  it("leaves every secret under the old or the new key; the node refuses to start until the offline command finishes the rotation", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "kmsd-rotate-online-killed-"));
    let node = await startKmsd({ dataDir });
    try {
      const before = await makeThings(node);
      const rotation = rotateRootOnline(node.endpoint, node.credentials);
      // Killed once the rotation is recorded, while it waits for the nodes to follow (ROTATION_GRACE_MS).
      const deadline = Date.now() + 20_000;
      while (!(await storedGenerations(dataDir)).rotating && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      await node.kill();
      assert.equal((await rotation).code, 1);
      assert.equal((await storedGenerations(dataDir)).rotating, true);

      const refused = await runCli(["serve", "--data-dir", dataDir, "--port", "0", "--workers", "1"]);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /rotation of .* did not finish/);
      const finished = await runCli(["operator", "rotate-root", "--data-dir", dataDir, "--json"]);
      assert.equal(finished.code, 0, finished.stderr);
      assert.equal((JSON.parse(finished.stdout) as Rotated).RootKeyGeneration, 2);
      assert.deepEqual(await storedGenerations(dataDir), { generations: new Set([2]), generation: 2, rotating: false });

      node = await startKmsd({ dataDir });
      await checkThings(node, before);
    } finally {
      await node.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("operator rotate-root --endpoint with two nodes on one PostgreSQL database", () => {
  it("the other node follows the new generation while serving: what either node made before or during decrypts on both", async () => {
    const database = await freshDatabase();
    const dataDir = mkdtempSync(join(tmpdir(), "kmsd-rotate-online-pg-"));
    const nodes: Kmsd[] = [];
    try {
      nodes.push(await startKmsd({ dataDir, args: ["--database", database] }));
      nodes.push(await startKmsd({ dataDir, args: ["--database", database] }));
      const [a, b] = nodes as [Kmsd, Kmsd];
      const before = await makeThings(a);

      let finish = () => {};
      const running = load([a, b], new Promise<void>((resolve) => (finish = resolve)));
      const rotation = await rotateRootOnline(a.endpoint, a.credentials);
      finish();
      const during = await running;
      assert.equal(rotation.code, 0, rotation.stderr);
      assert.equal((JSON.parse(rotation.stdout) as Rotated).RootKeyGeneration, 2);
      assert.deepEqual(during.errors, []);

      // Node B wrote under the new generation too: nothing is left under the old one.
      assert.deepEqual(await storedGenerations(dataDir, database), { generations: new Set([2]), generation: 2, rotating: false });
      for (const node of [a, b]) {
        await checkThings(node, before);
        await assertDecrypts(node, during.ciphertexts);
      }
      // A key made on B after the rotation is used on A.
      const keyId = (await b.kms().send(new CreateKeyCommand({}))).KeyMetadata?.KeyId ?? "";
      const { CiphertextBlob } = await b.kms().send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("after") }));
      assert.equal(Buffer.from((await a.kms().send(new DecryptCommand({ CiphertextBlob }))).Plaintext ?? []).toString(), "after");
    } finally {
      for (const node of nodes) await node.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
