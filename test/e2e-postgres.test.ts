/**
 * End to end: several kmsd nodes on one PostgreSQL database (`kmsd serve --database`), as
 * a deployment behind a load balancer runs them. The nodes share the data directory only
 * for its root key and the default account's credentials file; everything else is in the
 * database. A change made through one node is enforced by the others (LISTEN/NOTIFY); a
 * node killed with SIGKILL loses nothing it acknowledged; a node with another root key
 * refuses to start; one node at a time runs the scheduler and another takes over when it dies.
 */
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  EncryptCommand,
  ListResourceTagsCommand,
  PutKeyPolicyCommand,
  TagResourceCommand,
} from "@aws-sdk/client-kms";
import { runKmsdCli, startKmsd, type Kmsd } from "./support/kmsd.ts";
import { freshDatabase } from "./support/postgres.ts";

/** Starts a node on `database`, sharing `dataDir` (root key, credentials) with the deployment's other nodes. */
function startNode(dataDir: string, database: string, extra: string[] = []): Promise<Kmsd> {
  return startKmsd({ dataDir, args: ["--database", database, ...extra] });
}

/** The p-th percentile (0..100) of `values`. */
function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

describe("three kmsd nodes on one PostgreSQL database", () => {
  let dataDir: string;
  let database: string;
  let nodes: Kmsd[] = [];

  before(async () => {
    database = await freshDatabase();
    dataDir = mkdtempSync(join(tmpdir(), "kmsd-pg-nodes-"));
    // The first node initialises the database (and the default account); the others join it.
    const first = await startNode(dataDir, database);
    nodes = [first, ...(await Promise.all([startNode(dataDir, database), startNode(dataDir, database)]))];
  });

  after(async () => {
    for (const node of nodes) await node.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("a key made on one node is used on the others, and its ciphertext decrypts on every node", async () => {
    const [a, b] = nodes as [Kmsd, Kmsd];
    const { KeyMetadata } = await a.kms().send(new CreateKeyCommand({ Description: "made on node A" }));
    const keyId = KeyMetadata?.KeyId as string;
    assert.equal((await b.kms().send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.Description, "made on node A");
    const { CiphertextBlob } = await b.kms().send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("across nodes") }));
    for (const node of nodes) {
      const { Plaintext } = await node.kms().send(new DecryptCommand({ CiphertextBlob }));
      assert.equal(Buffer.from(Plaintext as Uint8Array).toString(), "across nodes");
    }
  });

  it("a key policy changed on one node is enforced on the others", async () => {
    const [a, b, c] = nodes as [Kmsd, Kmsd, Kmsd];
    const { KeyMetadata } = await a.kms().send(new CreateKeyCommand({}));
    const keyId = KeyMetadata?.KeyId as string;
    // Every node has the key (and its policy) cached before the change.
    for (const node of nodes) await node.kms().send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("x") }));
    const root = `arn:aws:iam::${a.accountId}:root`;
    const denyEncrypt = JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Principal: { AWS: root }, Action: "kms:*", Resource: "*" },
        { Effect: "Deny", Principal: { AWS: root }, Action: "kms:Encrypt", Resource: "*" },
      ],
    });
    await b.kms().send(new PutKeyPolicyCommand({ KeyId: keyId, PolicyName: "default", Policy: denyEncrypt }));
    await waitUntilRefused(c, keyId, 1000);
    await waitUntilRefused(a, keyId, 1000);
  });

  it("a DisableKey acknowledged by one node is refused by another within 1 s (p99 over 100 tries)", async () => {
    const [a, b] = nodes as [Kmsd, Kmsd];
    const { KeyMetadata } = await a.kms().send(new CreateKeyCommand({}));
    const keyId = KeyMetadata?.KeyId as string;
    const writer = a.kms();
    const reader = b.kms();
    const delays: number[] = [];
    for (let round = 0; round < 100; round++) {
      await writer.send(new EnableKeyCommand({ KeyId: keyId }));
      // Node B uses the key (so it is cached there, enabled) before the change.
      await waitUntilAccepted(b, keyId);
      await writer.send(new DisableKeyCommand({ KeyId: keyId }));
      const acknowledged = performance.now();
      for (;;) {
        try {
          await reader.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("x") }));
        } catch (error) {
          assert.equal((error as Error).name, "DisabledException");
          break;
        }
        assert.ok(performance.now() - acknowledged < 5000, "node B never refused the disabled key");
      }
      delays.push(performance.now() - acknowledged);
    }
    const p99 = percentile(delays, 99);
    assert.ok(p99 < 1000, `p99 ${p99.toFixed(1)} ms`);
  });

  it("kill -9 of one node during a burst of CreateKey + Encrypt + TagResource loses no acknowledged change", async () => {
    const [a, b, c] = nodes as [Kmsd, Kmsd, Kmsd];
    const acknowledged: { keyId: string; ciphertext: Uint8Array; tag: string }[] = [];
    let stop = false;
    const killed = new Set<Kmsd>();
    const burst = async (node: Kmsd, lane: number) => {
      const kms = node.kms();
      for (let i = 0; !stop; i++) {
        try {
          const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
          const keyId = KeyMetadata?.KeyId as string;
          const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from(`${lane}-${i}`) }));
          const tag = `${lane}-${i}`;
          await kms.send(new TagResourceCommand({ KeyId: keyId, Tags: [{ TagKey: "burst", TagValue: tag }] }));
          acknowledged.push({ keyId, ciphertext: CiphertextBlob as Uint8Array, tag });
        } catch (error) {
          if (killed.has(node)) return; // its requests in flight are not acknowledged
          throw new Error(`a surviving node failed a request: ${String(error)}\n${node.stderr().slice(-2000)}`);
        }
      }
    };
    const lanes = [burst(a, 0), burst(a, 1), burst(b, 2), burst(c, 3)];
    await new Promise((resolve) => setTimeout(resolve, 1500));
    killed.add(a);
    await a.kill();
    await new Promise((resolve) => setTimeout(resolve, 500));
    stop = true;
    await Promise.all(lanes);
    assert.ok(acknowledged.length > 10, `only ${acknowledged.length} acknowledged`);
    const survivors = [b, c];
    for (const [index, entry] of acknowledged.entries()) {
      const kms = (survivors[index % 2] as Kmsd).kms();
      const { Plaintext } = await kms.send(new DecryptCommand({ CiphertextBlob: entry.ciphertext }));
      assert.equal(Buffer.from(Plaintext as Uint8Array).toString(), entry.tag);
      const { Tags } = await kms.send(new ListResourceTagsCommand({ KeyId: entry.keyId }));
      assert.deepEqual(Tags, [{ TagKey: "burst", TagValue: entry.tag }]);
    }
    nodes = nodes.filter((node) => node !== a);
  });
});

describe("joining a PostgreSQL deployment", () => {
  it("a node whose root key differs from the one the database was initialised with refuses to start, saying why", async () => {
    const database = await freshDatabase();
    const first = mkdtempSync(join(tmpdir(), "kmsd-pg-root-"));
    const other = mkdtempSync(join(tmpdir(), "kmsd-pg-root-"));
    const joined = mkdtempSync(join(tmpdir(), "kmsd-pg-root-"));
    try {
      const node = await startNode(first, database);
      await node.stop();
      const refused = await runKmsdCli(["serve", "--port", "0", "--workers", "1", "--data-dir", other, "--database", database]);
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /initialised with another root key/);
      assert.doesNotMatch(refused.stderr, /at .*\.js:\d+/, "no stack trace");
      // With the deployment's root.key copied in, a new node joins.
      copyFileSync(join(first, "root.key"), join(joined, "root.key"));
      copyFileSync(join(first, "credentials"), join(joined, "credentials"));
      const second = await startNode(joined, database);
      await second.kms().send(new CreateKeyCommand({}));
      await second.stop();
    } finally {
      for (const dir of [first, other, joined]) rmSync(dir, { recursive: true, force: true });
    }
  });
});

async function waitUntilRefused(node: Kmsd, keyId: string, withinMs: number): Promise<void> {
  const start = performance.now();
  for (;;) {
    try {
      await node.kms().send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("x") }));
    } catch (error) {
      assert.equal((error as Error).name, "AccessDeniedException");
      return;
    }
    assert.ok(performance.now() - start < withinMs, `node still accepted after ${withinMs} ms`);
  }
}

async function waitUntilAccepted(node: Kmsd, keyId: string): Promise<void> {
  const start = performance.now();
  for (;;) {
    try {
      await node.kms().send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("x") }));
      return;
    } catch (error) {
      if ((error as Error).name !== "DisabledException" || performance.now() - start > 5000) throw error;
    }
  }
}
