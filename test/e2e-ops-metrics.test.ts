/**
 * End to end: `--metrics-port` serves Prometheus metrics on a listener of its own; after
 * real calls through the SDK the counters moved by exactly the calls made, with one process
 * and summed over `--workers 2`. Also the probes: `GET /health` and `GET /ready` answer
 * small JSON and are neither counted as API requests nor audited.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CreateKeyCommand, DecryptCommand, EncryptCommand, KMSClient } from "@aws-sdk/client-kms";
import { expectAwsError, rawRequest, startKmsd, type Kmsd } from "./support/kmsd.ts";

/** A scrape: each sample's value by `name{label="value",...}` with the labels sorted by name. */
type Samples = Map<string, number>;

function parseExposition(text: string): Samples {
  const samples: Samples = new Map();
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels = (match[2] ?? "").match(/[a-zA-Z_]+="[^"]*"/g) ?? [];
    samples.set(`${match[1]}{${[...labels].sort().join(",")}}`, Number(match[3]));
  }
  return samples;
}

/** The metrics URL the server logged. */
function metricsUrlOf(kmsd: Kmsd): string {
  const url = /"metricsUrl":"([^"]+)"/.exec(kmsd.stderr())?.[1];
  assert.ok(url, `no metrics line in:\n${kmsd.stderr()}`);
  return url;
}

async function scrape(kmsd: Kmsd): Promise<Samples> {
  const response = await fetch(metricsUrlOf(kmsd));
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^text\/plain/);
  return parseExposition(await response.text());
}

/** How much each named sample moved between two scrapes (absent counts as 0). */
function delta(before: Samples, after: Samples, sample: string): number {
  return (after.get(sample) ?? 0) - (before.get(sample) ?? 0);
}

const requests = (operation: string, outcome: string) => `kmsd_requests_total{operation="${operation}",outcome="${outcome}",service="kms"}`;
const latencyCount = (operation: string) => `kmsd_request_duration_seconds_count{operation="${operation}",service="kms"}`;
const AUDITED_EVENTS = "kmsd_audit_batch_events_sum{}";

describe("Prometheus metrics, one process", () => {
  let kmsd: Kmsd;
  before(async () => {
    kmsd = await startKmsd({ args: ["--metrics-port", "0"] });
  });
  after(() => kmsd.dispose());

  it("listens on 127.0.0.1 apart from the API, and only GET /metrics", async () => {
    const url = new URL(metricsUrlOf(kmsd));
    assert.equal(url.hostname, "127.0.0.1");
    assert.notEqual(Number(url.port), kmsd.port);
    assert.equal((await fetch(new URL("/", url))).status, 404);
    const text = await (await fetch(url)).text();
    for (const name of ["kmsd_requests_total", "kmsd_request_duration_seconds", "kmsd_audit_batch_events", "kmsd_audit_commit_duration_seconds", "kmsd_key_cache_lookups_total", "kmsd_throttled_requests_total", "kmsd_scheduler_jobs_total"]) {
      assert.match(text, new RegExp(`^# HELP ${name} `, "m"));
    }
  });

  it("counts every call made, by operation and outcome, with its latency and its audit event", async () => {
    const kms = kmsd.kms();
    const before = await scrape(kmsd);
    const keys = [];
    for (let i = 0; i < 3; i++) keys.push((await kms.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId);
    const ciphertexts = [];
    for (let i = 0; i < 5; i++) ciphertexts.push((await kms.send(new EncryptCommand({ KeyId: keys[i % 3], Plaintext: Buffer.from("x") }))).CiphertextBlob);
    for (const blob of ciphertexts.slice(0, 2)) await kms.send(new DecryptCommand({ CiphertextBlob: blob }));
    for (let i = 0; i < 4; i++) await expectAwsError(kms.send(new DecryptCommand({ CiphertextBlob: Buffer.from("not a ciphertext") })), "InvalidCiphertextException");
    // A made-up operation is counted, under "unknown": clients cannot add series at will.
    const made_up = await rawRequest(kmsd.endpoint, { target: "TrentService.NoSuchOperation123", body: "{}" });
    assert.equal(made_up.status, 400);
    const after = await scrape(kmsd);

    assert.equal(delta(before, after, requests("CreateKey", "success")), 3);
    assert.equal(delta(before, after, requests("Encrypt", "success")), 5);
    assert.equal(delta(before, after, requests("Decrypt", "success")), 2);
    assert.equal(delta(before, after, requests("Decrypt", "InvalidCiphertextException")), 4);
    assert.equal(delta(before, after, requests("unknown", "UnknownOperationException")), 1);
    assert.equal(delta(before, after, latencyCount("CreateKey")), 3);
    assert.equal(delta(before, after, latencyCount("Encrypt")), 5);
    assert.equal(delta(before, after, latencyCount("Decrypt")), 6);
    // One event per request, each in some committed batch.
    assert.equal(delta(before, after, AUDITED_EVENTS), 15);
    assert.ok(delta(before, after, "kmsd_audit_commit_duration_seconds_count{}") >= 1);
    // Encrypt and the good Decrypts each looked their key up in the cache.
    const lookups = delta(before, after, 'kmsd_key_cache_lookups_total{result="hit"}') + delta(before, after, 'kmsd_key_cache_lookups_total{result="miss"}');
    assert.ok(lookups >= 7, `key cache lookups: ${lookups}`);
  });

  it("GET /health and GET /ready answer small JSON, and are neither counted nor audited", async () => {
    const before = await scrape(kmsd);
    const health = await rawRequest(kmsd.endpoint, { method: "GET", path: "/health" });
    const ready = await rawRequest(kmsd.endpoint, { method: "GET", path: "/ready" });
    assert.equal(health.status, 200);
    assert.deepEqual(health.json(), { status: "ok", worker: 0 });
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.json(), { status: "ready", worker: 0 });
    // A later request's commit means every earlier event is on disk: the probes left none.
    await kmsd.kms().send(new CreateKeyCommand({}));
    const after = await scrape(kmsd);
    assert.equal(delta(before, after, AUDITED_EVENTS), 1);
    const counted = [...after.keys()].filter((name) => name.startsWith("kmsd_requests_total")).reduce((sum, name) => sum + delta(before, after, name), 0);
    assert.equal(counted, 1);
  });
});

describe("Prometheus metrics, --workers 2", () => {
  let kmsd: Kmsd;
  before(async () => {
    kmsd = await startKmsd({ args: ["--workers", "2", "--log-level", "debug", "--metrics-port", "0"] });
    const deadline = Date.now() + 10_000;
    while ((kmsd.stderr().match(/"message":"listening"/g) ?? []).length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  });
  after(() => kmsd.dispose());

  it("the primary answers the sum of both workers' counters", async () => {
    const key = (await kmsd.kms().send(new CreateKeyCommand({}))).KeyMetadata?.KeyId;
    const before = await scrape(kmsd);
    const workersSeen = new Set<number>();
    for (let i = 0; i < 10; i++) {
      // A client of its own per call: a new connection, handed to the workers in turn.
      const client = new KMSClient({ endpoint: kmsd.endpoint, region: "us-east-1", credentials: kmsd.credentials, maxAttempts: 1 });
      await client.send(new EncryptCommand({ KeyId: key, Plaintext: Buffer.from("x") }));
      client.destroy();
      // Every other call, a probe takes a connection too, so that the Encrypts do not all land on one worker.
      if (i % 2 === 0) workersSeen.add(Number((await rawRequest(kmsd.endpoint, { method: "GET", path: "/health" })).json().worker));
    }
    const after = await scrape(kmsd);
    assert.deepEqual([...workersSeen].sort(), [0, 1], "both workers served");
    assert.equal(delta(before, after, requests("Encrypt", "success")), 10);
    assert.equal(delta(before, after, latencyCount("Encrypt")), 10);
    assert.equal(delta(before, after, AUDITED_EVENTS), 10);
  });
});
