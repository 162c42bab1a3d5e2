/**
 * End to end, through @aws-sdk/client-kms: AWS KMS's request quotas. A burst over a
 * quota (lowered in the config file) is refused with ThrottlingException (AWS's message) for the excess only and
 * changes nothing; the SDK's standard retry mode then completes every call; quotas are
 * counted per account, Region and group as AWS counts them; with several workers the node
 * as a whole keeps within 10% of the quota.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { CreateKeyCommand, EncryptCommand, GenerateRandomCommand, KMSClient, ListKeysCommand } from "@aws-sdk/client-kms";
import { runKmsdCli, startKmsd, startKmsdWorkers, type Kmsd } from "./support/kmsd.ts";

const THROTTLED = "You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.";

/** Sends every call at once; counts what succeeded and checks every failure is AWS's throttling answer. */
async function burst(calls: Array<() => Promise<unknown>>): Promise<{ succeeded: number; throttled: number; elapsedMs: number }> {
  const started = performance.now();
  const outcomes = await Promise.allSettled(calls.map((call) => call()));
  const elapsedMs = performance.now() - started;
  let throttled = 0;
  for (const outcome of outcomes) {
    if (outcome.status === "fulfilled") continue;
    const error = outcome.reason as { name?: string; message?: string };
    // The KMS client has no class for it (AWS's model omits it): the SDK names it from __type.
    assert.equal(error.name, "ThrottlingException", `expected ThrottlingException, got ${error.name}: ${error.message}`);
    assert.equal(error.message, THROTTLED);
    throttled++;
  }
  return { succeeded: outcomes.length - throttled, throttled, elapsedMs };
}

/** What a bucket of `rate` a second (holding one second's worth) can admit within `elapsedMs`. */
function admissible(rate: number, elapsedMs: number): number {
  return Math.floor(rate + (rate * elapsedMs) / 1000);
}

describe("request quotas (one process)", () => {
  let kmsd: Kmsd;
  let kms: KMSClient;

  before(async () => {
    // The lowered quotas come from a config file, as an operator would set them.
    const config = join(mkdtempSync(join(tmpdir(), "kmsd-quotas-")), "kmsd.yaml");
    writeFileSync(config, 'requestQuotas: "symmetric=10,CreateKey=3"\n');
    kmsd = await startKmsd({ dev: true, args: ["--throttling", "on", "--config", config] });
    kms = kmsd.kms();
  });
  after(async () => kmsd.dispose());

  it("a burst over the shared symmetric quota is refused for the excess only, with AWS's message", async () => {
    const { succeeded, throttled, elapsedMs } = await burst(Array.from({ length: 30 }, () => () => kms.send(new GenerateRandomCommand({ NumberOfBytes: 16 }))));
    assert.ok(succeeded >= 10, `the bucket's 10 tokens admit 10 (got ${succeeded})`);
    assert.ok(succeeded <= admissible(10, elapsedMs), `no more than the quota allows (${succeeded} in ${elapsedMs.toFixed(0)} ms)`);
    assert.equal(succeeded + throttled, 30);
  });

  it("a throttled CreateKey creates nothing, and CreateKey's quota is independent of the symmetric one", async () => {
    await new Promise((resolve) => setTimeout(resolve, 1100)); // the symmetric bucket refills
    const before = (await kms.send(new ListKeysCommand({}))).Keys?.length ?? 0;
    const { succeeded, throttled } = await burst(Array.from({ length: 8 }, () => () => kms.send(new CreateKeyCommand({}))));
    assert.ok(succeeded >= 3 && throttled >= 1, `3 of 8 admitted, the rest throttled (got ${succeeded}/${throttled})`);
    const after = (await kms.send(new ListKeysCommand({}))).Keys?.length ?? 0;
    assert.equal(after - before, succeeded, "only the admitted CreateKey calls made keys");
  });

  it("Encrypt with a symmetric key counts against the same shared quota as GenerateRandom", async () => {
    const keyId = (await new KMSClient({ endpoint: kmsd.endpoint, region: "us-east-1", credentials: kmsd.credentials, maxAttempts: 10 }).send(new CreateKeyCommand({}))).KeyMetadata?.KeyId;
    // Ten of each, interleaved in one burst: one shared bucket of 10 admits what it holds plus
    // what refills during the burst; a bucket each would admit all 20. A burst too slow to
    // tell the two apart (a busy machine: the refill alone would cover 20) is measured again.
    for (let attempt = 1; ; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 1100)); // the bucket refills
      const calls = Array.from({ length: 20 }, (_, i) =>
        i % 2 === 0 ? () => kms.send(new GenerateRandomCommand({ NumberOfBytes: 16 })) : () => kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("x") })),
      );
      const { succeeded, elapsedMs } = await burst(calls);
      if (admissible(10, elapsedMs) >= 20) {
        assert.ok(attempt < 5, `five bursts were too slow to measure the quota (the last took ${elapsedMs.toFixed(0)} ms)`);
        continue;
      }
      assert.ok(succeeded >= 10, `the bucket's 10 tokens admit 10 (got ${succeeded})`);
      assert.ok(succeeded <= admissible(10, elapsedMs), `one bucket for both: ${succeeded} of 20 admitted in ${elapsedMs.toFixed(0)} ms`);
      return;
    }
  });

  it("each account and Region has its own quotas", async () => {
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const west = kmsd.kms({ region: "us-west-2" });
    const east = await burst(Array.from({ length: 10 }, () => () => kms.send(new GenerateRandomCommand({ NumberOfBytes: 16 }))));
    const other = await burst(Array.from({ length: 10 }, () => () => west.send(new GenerateRandomCommand({ NumberOfBytes: 16 }))));
    assert.equal(east.throttled, 0);
    assert.equal(other.throttled, 0, "us-west-2's bucket is not us-east-1's");
  });

  it("the SDK's standard retry mode completes every call of a burst", async () => {
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const retrying = new KMSClient({ endpoint: kmsd.endpoint, region: "us-east-1", credentials: kmsd.credentials, retryMode: "standard", maxAttempts: 10 });
    try {
      const results = await Promise.all(Array.from({ length: 20 }, () => retrying.send(new GenerateRandomCommand({ NumberOfBytes: 16 }))));
      assert.equal(results.length, 20);
      assert.ok(results.some((result) => (result.$metadata.attempts ?? 1) > 1), "some calls were throttled and retried");
    } finally {
      retrying.destroy();
    }
  });
});

describe("request quotas with several workers", () => {
  let kmsd: Kmsd;

  before(async () => {
    kmsd = await startKmsdWorkers(2, ["--throttling", "on", "--request-quotas", "symmetric=10"]);
  });
  after(async () => kmsd.dispose());

  it("the node as a whole admits the quota within 10%, not the quota per worker", async () => {
    // Several connections, so the kernel spreads them over both workers.
    const clients = Array.from({ length: 8 }, () => new KMSClient({ endpoint: kmsd.endpoint, region: "us-east-1", credentials: kmsd.credentials, maxAttempts: 1 }));
    try {
      const rate = 10; // well under what two workers answer on a loaded 2-core machine, so the quota is what limits
      const durationMs = 3000;
      const started = performance.now();
      let succeeded = 0;
      let throttled = 0;
      await Promise.all(
        Array.from({ length: 32 }, async (_, lane) => {
          const client = clients[lane % clients.length] as KMSClient;
          while (performance.now() - started < durationMs) {
            try {
              await client.send(new GenerateRandomCommand({ NumberOfBytes: 8 }));
              succeeded++;
            } catch (error) {
              assert.equal((error as { name?: string }).name, "ThrottlingException", String(error));
              throttled++;
            }
          }
        }),
      );
      const expected = admissible(rate, performance.now() - started);
      assert.ok(throttled > 0, `the load exceeded the quota (admitted ${succeeded}, throttled ${throttled})`);
      // Never more than the quota (a quota per worker would admit twice as much).
      assert.ok(succeeded <= expected * 1.1, `admitted ${succeeded}, the quota allows ${expected} (throttled ${throttled})`);
      // And not much less, when the load offered was well over it: tokens a worker leased
      // and could not use (a saturated machine starves one) are not the quota's fault.
      if (succeeded + throttled >= 2 * expected) {
        assert.ok(succeeded >= expected * 0.9, `admitted ${succeeded} of the ${expected} the quota allows under ${succeeded + throttled} calls`);
      }
    } finally {
      clients.forEach((client) => client.destroy());
    }
  });
});

describe("request quota options", () => {
  it("a quota name AWS does not have stops the start with a usage error", async () => {
    const result = await runKmsdCli(["serve", "--port", "0", "--data-dir", "/nonexistent-kmsd-test", "--request-quotas", "CreateKeys=10"]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /unknown request quota "CreateKeys"/);
  });
});
