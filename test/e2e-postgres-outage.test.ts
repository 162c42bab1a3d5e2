/**
 * End to end: kmsd on PostgreSQL when PostgreSQL goes away and comes back, and when the
 * node running the scheduler dies. While the database is down requests fail as AWS's
 * internal errors do (never hang, never a stack trace) and /health says the node is not
 * healthy; once it is back the node serves again by itself, and nothing it acknowledged is
 * lost. Another node takes the scheduler over within 10 s of the leader's death, and a batch
 * of due rotations the dead leader had begun is finished with no key rotated twice.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { CreateKeyCommand, DecryptCommand, DescribeKeyCommand, EnableKeyRotationCommand, EncryptCommand, ListKeyRotationsCommand } from "@aws-sdk/client-kms";
import { rawRequest, startKmsd, type Kmsd } from "./support/kmsd.ts";
import { freshDatabase, postgres } from "./support/postgres.ts";

/** The server's distinct error lines (without their times and request ids), the last 20: what a failure needs to be understood. */
function errorLines(stderr: string): string {
  const lines = stderr.split("\n").filter((line) => /"level":"(error|fatal|warn)"/.test(line));
  const distinct = [...new Set(lines.map((line) => line.replace(/"(time|requestId)":"[^"]*",?/g, "")))];
  return distinct.slice(-20).join("\n");
}

/** The errors AWS KMS answers when its own dependencies fail. */
const OUTAGE_ERRORS = new Set(["KMSInternalException", "DependencyTimeoutException"]);

describe("PostgreSQL unavailable", () => {
  it("stopped for 5 s under load: requests fail as internal errors, /health says so, and the node recovers by itself with nothing acknowledged lost", async () => {
    const database = await freshDatabase();
    const dataDir = mkdtempSync(join(tmpdir(), "kmsd-pg-outage-"));
    const node = await startKmsd({ dataDir, args: ["--database", database] });
    const cluster = await postgres();
    try {
      const kms = node.kms();
      const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
      const keyId = KeyMetadata?.KeyId as string;
      const acknowledged: { keyId: string; ciphertext: Uint8Array }[] = [];
      const failures = new Map<string, number>();
      let healthFailed = false;
      let running = true;
      const load = (async () => {
        while (running) {
          try {
            const created = await kms.send(new CreateKeyCommand({}));
            const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("kept") }));
            acknowledged.push({ keyId: created.KeyMetadata?.KeyId as string, ciphertext: CiphertextBlob as Uint8Array });
          } catch (error) {
            const name = (error as Error).name;
            failures.set(name, (failures.get(name) ?? 0) + 1);
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
        }
      })();
      const health = (async () => {
        while (running) {
          const response = await rawRequest(node.endpoint, { method: "GET", path: "/health" });
          if (response.status !== 200) healthFailed = true;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      })();

      await new Promise((resolve) => setTimeout(resolve, 1000));
      const before = acknowledged.length;
      cluster.stop();
      await new Promise((resolve) => setTimeout(resolve, 5000));
      cluster.start();
      const restartedAt = performance.now();
      // Served again by itself: a request succeeds, and /health is green.
      let recoveredMs: number | undefined;
      while (recoveredMs === undefined && performance.now() - restartedAt < 20_000) {
        const count = acknowledged.length;
        await new Promise((resolve) => setTimeout(resolve, 200));
        if (acknowledged.length > count && (await rawRequest(node.endpoint, { method: "GET", path: "/health" })).status === 200) {
          recoveredMs = performance.now() - restartedAt;
        }
      }
      running = false;
      await Promise.all([load, health]);

      assert.ok(before > 0, "the load ran before the outage");
      assert.ok(recoveredMs !== undefined, `the node did not recover within 20 s; failures: ${JSON.stringify([...failures])}\n${errorLines(node.stderr())}`);
      assert.ok(healthFailed, "/health never reported the outage");
      assert.ok(failures.size > 0, "no request failed while PostgreSQL was down");
      for (const name of failures.keys()) assert.ok(OUTAGE_ERRORS.has(name), `unexpected error during the outage: ${name}`);
      assert.doesNotMatch(node.stderr(), /"level":"(fatal)"/);
      for (const entry of acknowledged) {
        assert.equal((await kms.send(new DescribeKeyCommand({ KeyId: entry.keyId }))).KeyMetadata?.KeyId, entry.keyId);
        const { Plaintext } = await kms.send(new DecryptCommand({ CiphertextBlob: entry.ciphertext }));
        assert.equal(Buffer.from(Plaintext as Uint8Array).toString(), "kept");
      }
    } finally {
      await node.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("the scheduler's leader", () => {
  it("exactly one of two nodes runs the scheduler; killed with kill -9 in the middle of a batch of due rotations, the other takes over within 10 s and every key rotates once, never twice", async () => {
    const KEYS = 80;
    const database = await freshDatabase();
    const dataDir = mkdtempSync(join(tmpdir(), "kmsd-pg-leader-"));
    const nodes: Kmsd[] = [];
    try {
      // --dev: the clock can be moved, so that every key's rotation falls due at once.
      nodes.push(await startKmsd({ dataDir, dev: true, args: ["--database", database] }));
      nodes.push(await startKmsd({ dataDir, dev: true, args: ["--database", database] }));
      const leads = (node: Kmsd) => (node.stderr().match(/this node now runs the scheduler/g) ?? []).length;
      const rotated = (node: Kmsd) => (node.stderr().match(/"message":"key rotated"/g) ?? []).length;
      assert.deepEqual(nodes.map(leads).sort(), [0, 1], "one leader, one follower");
      const [leader, follower] = leads(nodes[0] as Kmsd) === 1 ? (nodes as [Kmsd, Kmsd]) : ([nodes[1], nodes[0]] as [Kmsd, Kmsd]);

      const kms = follower.kms();
      const keyIds: string[] = [];
      for (let i = 0; i < KEYS; i++) {
        const KeyId = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId as string;
        await kms.send(new EnableKeyRotationCommand({ KeyId, RotationPeriodInDays: 90 }));
        keyIds.push(KeyId);
      }
      // The follower's clock move reaches the leader by NOTIFY, and the leader starts the batch.
      await follower.advanceClock(91 * 86_400);
      const batchStart = performance.now();
      while (rotated(leader) < 3) {
        assert.ok(performance.now() - batchStart < 10_000, "the leader did not start rotating");
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      await leader.kill();
      const killedAt = performance.now();
      const rotatedByLeader = rotated(leader);
      assert.ok(rotatedByLeader < KEYS, `the leader finished the batch (${rotatedByLeader} keys) before it was killed`);
      while (leads(follower) === 0) {
        assert.ok(performance.now() - killedAt < 10_000, "no node took the scheduler over within 10 s");
        await new Promise((resolve) => setTimeout(resolve, 100));
      }

      // The new leader rotates what is left of the batch, and nothing twice.
      const rotationsOf = async (KeyId: string) => ((await kms.send(new ListKeyRotationsCommand({ KeyId }))).Rotations ?? []).length;
      let counts: number[] = [];
      for (const deadline = performance.now() + 20_000; performance.now() < deadline; ) {
        counts = [];
        for (const KeyId of keyIds) counts.push(await rotationsOf(KeyId));
        if (counts.every((count) => count >= 1)) break;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      const byCount = Object.fromEntries([0, 1, 2].map((n) => [n, counts.filter((count) => count === n).length]));
      assert.deepEqual(byCount, { 0: 0, 1: KEYS, 2: 0 }, `rotations per key (${rotatedByLeader} logged by the killed leader, ${rotated(follower)} by the new one)`);
    } finally {
      for (const node of nodes) await node.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
