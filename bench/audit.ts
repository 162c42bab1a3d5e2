/**
 * What the audit trail costs, and how LookupEvents scales.
 *
 *   npm run build && node_modules/.bin/node bench/audit.ts [--duration=2] [--rounds=10] [--concurrency=32] [--events=1000000]
 *
 * 1. Encrypt throughput with the audit trail on and off (`--audit on|off`): two servers (fresh
 *    data directories, --dev) run side by side and take turns: each round loads one, then the
 *    other, for `--duration` seconds each (after a 1 s warm-up of both), alternating which goes
 *    first, so a shared machine's ups and downs hit both alike. Reported: each mode's rate and
 *    latency over all rounds, and the median of the rounds' on/off ratios. The client keeps
 *    `--concurrency` requests in flight over keep-alive connections and replays a pool of
 *    requests signed once (so the client spends its CPU on HTTP, not on SigV4).
 * 2. LookupEvents latency by lookup attribute on a history of `--events` events, loaded
 *    straight into a fresh audit.db (chained and indexed exactly as kmsd writes them), then
 *    queried through @aws-sdk/client-cloudtrail against a server on that data directory, and
 *    directly on the database (the query alone, without HTTP).
 *
 * Client, server and the audit writer thread share the machine's CPUs.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { Agent, request } from "node:http";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { CloudTrailClient, LookupEventsCommand, type LookupAttributeKey } from "@aws-sdk/client-cloudtrail";
import { Hash } from "@smithy/hash-node";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { DatabaseSync } from "node:sqlite";
import { canonicalJson, chainHash, GENESIS_HASH } from "../src/audit/canonicalJson.ts";
import { isoSeconds } from "../src/audit/times.ts";
import { lookupEvents } from "../src/store/sqlite/auditLookupSql.ts";
import { migrateAuditDb } from "../src/store/sqlite/auditMigrations.ts";
import { inTransaction, openSharedDatabase } from "../src/store/sqlite/connection.ts";
import { auditDbPath } from "../src/store/sqlite/sqliteAuditStore.ts";

const BIN = new URL("../bin/kmsd.mjs", import.meta.url).pathname;

/** `--name=value` from the command line, or the default. */
function option(name: string, fallback: number): number {
  const prefix = `--${name}=`;
  const found = process.argv.find((argument) => argument.startsWith(prefix));
  const value = found === undefined ? fallback : Number(found.slice(prefix.length));
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}
const DURATION_MS = option("duration", 2) * 1000;
const ROUNDS = Math.floor(option("rounds", 10));
const CONCURRENCY = Math.floor(option("concurrency", 32));
const EVENTS = Math.floor(option("events", 1_000_000));
const WARMUP_MS = 1000;

type Credentials = { accessKeyId: string; secretAccessKey: string };
type Server = { port: number; dataDir: string; credentials: Credentials; stop: () => Promise<void> };

/** Starts `kmsd serve --dev` with extra arguments; the data directory is removed on stop unless kept. */
async function startServer(args: string[], dataDir = mkdtempSync(join(tmpdir(), "kmsd-bench-audit-")), keep = false): Promise<Server> {
  const child: ChildProcess = spawn(process.execPath, [BIN, "serve", "--port", "0", "--data-dir", dataDir, "--dev", ...args], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  const port = await new Promise<number>((resolve, reject) => {
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
      for (const line of stderr.split("\n")) if (line.includes('"listening"')) resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once("exit", (code) => reject(new Error(`kmsd exited with ${code} before listening (is it built? npm run build):\n${stderr}`)));
  });
  const text = readFileSync(join(dataDir, "credentials"), "utf8");
  const value = (name: string) => new RegExp(`^${name}\\s*=\\s*(.+)$`, "m").exec(text)?.[1]?.trim() ?? "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    port,
    dataDir,
    credentials: { accessKeyId: value("aws_access_key_id"), secretAccessKey: value("aws_secret_access_key") },
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
      if (!keep) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A KMS request signed now: headers and body, ready to be sent (and replayed within the 5-minute window). */
async function signKms(server: Server, operation: string, input: unknown): Promise<{ headers: Record<string, string>; body: string }> {
  const body = JSON.stringify(input);
  const signer = new SignatureV4({ credentials: server.credentials, region: "us-east-1", service: "kms", sha256: Hash.bind(null, "sha256") });
  const signed = await signer.sign(
    new HttpRequest({
      method: "POST",
      protocol: "http:",
      hostname: "127.0.0.1",
      port: server.port,
      path: "/",
      headers: { host: `127.0.0.1:${server.port}`, "content-type": "application/x-amz-json-1.1", "x-amz-target": `TrentService.${operation}`, "content-length": String(Buffer.byteLength(body)) },
      body,
    }),
  );
  return { headers: signed.headers, body };
}

function send(agent: Agent, port: number, signed: { headers: Record<string, string>; body: string }): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ agent, host: "127.0.0.1", port, method: "POST", path: "/", headers: signed.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(signed.body);
  });
}

/** What one server needs for the Encrypt load: a connection pool and requests signed once. */
type EncryptTarget = { server: Server; agent: Agent; pool: { headers: Record<string, string>; body: string }[] };

async function encryptTarget(server: Server): Promise<EncryptTarget> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const created = await send(agent, server.port, await signKms(server, "CreateKey", {}));
  const keyId = (JSON.parse(created.text) as { KeyMetadata: { KeyId: string } }).KeyMetadata.KeyId;
  const pool = await Promise.all(Array.from({ length: 64 }, () => signKms(server, "Encrypt", { KeyId: keyId, Plaintext: randomBytes(64).toString("base64") })));
  return { server, agent, pool };
}

/** Runs Encrypt on one server for `ms` with CONCURRENCY requests in flight; returns completions and latencies. */
async function encryptSlice(target: EncryptTarget, ms: number): Promise<{ completed: number; elapsed: number; latencies: number[] }> {
  const latencies: number[] = [];
  const start = performance.now();
  const deadline = start + ms;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, loop) => {
      for (let i = loop; performance.now() < deadline; i += CONCURRENCY) {
        const began = performance.now();
        const answer = await send(target.agent, target.server.port, target.pool[i % target.pool.length] as { headers: Record<string, string>; body: string });
        if (answer.status !== 200) throw new Error(`Encrypt answered ${answer.status}: ${answer.text}`);
        latencies.push(performance.now() - began);
      }
    }),
  );
  return { completed: latencies.length, elapsed: performance.now() - start, latencies };
}

/** Writes one line of the report (stdout; progress goes to stderr). */
function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

// ---------------------------------------------------------------------------------------
// The history for LookupEvents.

const ACCOUNT = "111122223333";
const OTHER_ACCOUNT = "444455556666";
const REGION = "us-east-1";
const DAY = 86_400_000;
/** Event names with their share of the history (cryptographic calls dominate, as in real KMS use). */
const NAMES: [string, number, boolean][] = [
  ["Encrypt", 0.3, true],
  ["Decrypt", 0.3, true],
  ["GenerateDataKey", 0.2, true],
  ["DescribeKey", 0.1, true],
  ["Sign", 0.05, true],
  ["ListKeys", 0.03, true],
  ["CreateAlias", 0.015, false],
  ["CreateKey", 0.005, false],
];
const USERS = ["root", ...Array.from({ length: 20 }, (_, i) => `user-${i}`)];
const KEYS = Array.from({ length: 2000 }, (_, i) => `arn:aws:kms:${REGION}:${ACCOUNT}:key/${String(i).padStart(8, "0")}-0000-4000-8000-000000000000`);

/** A deterministic pseudo-random generator (the same history every run). */
function generator(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

/** Loads `count` events into a fresh audit.db: ~90% in one account, spread over 90 days; returns how long it took. */
function loadHistory(dataDir: string, count: number, nowMs: number): { ms: number; sizeMb: number; sample: Record<string, string> } {
  // Straight into SQLite's schema (a bulk load, not the audit store's append), so a history of millions loads in seconds.
  const db = openSharedDatabase(auditDbPath(dataDir));
  migrateAuditDb(db);
  const random = generator(42);
  const insertEvent = db.prepare(
    "INSERT INTO events(account_id, region, seq, prev_hash, hash, event_time, event_id, event_name, event_source, read_only, username, access_key_id, request_id, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
  );
  const insertResource = db.prepare("INSERT INTO event_resources(event_rowid, account_id, region, resource_type, resource_name, event_time, first_of_type) VALUES (?, ?, ?, ?, ?, ?, 1)");
  const tails = new Map<string, { seq: number; hash: string }>([
    [ACCOUNT, { seq: 0, hash: GENESIS_HASH }],
    [OTHER_ACCOUNT, { seq: 0, hash: GENESIS_HASH }],
  ]);
  const startMs = nowMs - 90 * DAY;
  const began = performance.now();
  const sample: Record<string, string> = {};
  const BATCH = 20_000;
  for (let done = 0; done < count; done += BATCH) {
    inTransaction(db, () => {
      for (let n = done; n < Math.min(count, done + BATCH); n++) {
        const accountId = random() < 0.9 ? ACCOUNT : OTHER_ACCOUNT;
        let pick = random();
        const [eventName, , readOnly] = NAMES.find(([, share]) => (pick -= share) < 0) ?? NAMES[0]!;
        const username = USERS[Math.floor(random() * USERS.length)] as string;
        const accessKeyId = `AKIA${String(Math.floor(random() * 40)).padStart(16, "0")}`;
        const keyArn = KEYS[Math.floor(random() * KEYS.length)] as string;
        const timeMs = startMs + Math.floor((n / count) * 90 * DAY);
        const eventId = randomUUID();
        const requestId = randomUUID();
        const record = canonicalJson({
          eventVersion: "1.11",
          userIdentity: { type: username === "root" ? "Root" : "IAMUser", principalId: "AIDAEXAMPLE", arn: `arn:aws:iam::${accountId}:${username === "root" ? "root" : `user/${username}`}`, accountId, accessKeyId, ...(username === "root" ? {} : { userName: username }) },
          eventTime: isoSeconds(timeMs),
          eventSource: "kms.amazonaws.com",
          eventName,
          awsRegion: REGION,
          sourceIPAddress: "192.0.2.10",
          userAgent: "aws-sdk-js/3.0 ua/2.1 os/linux lang/js md/nodejs#24",
          requestParameters: { keyId: keyArn, encryptionContext: { app: "bench", tenant: String(n % 97) } },
          responseElements: null,
          requestID: requestId,
          eventID: eventId,
          readOnly,
          resources: [{ accountId, type: "AWS::KMS::Key", ARN: keyArn }],
          eventType: "AwsApiCall",
          managementEvent: true,
          recipientAccountId: accountId,
          eventCategory: "Management",
        });
        const tail = tails.get(accountId) as { seq: number; hash: string };
        const hash = chainHash(tail.hash, record);
        const inserted = insertEvent.run(accountId, REGION, tail.seq + 1, tail.hash, hash, timeMs, eventId, eventName, "kms.amazonaws.com", String(readOnly), username, accessKeyId, requestId, record);
        insertResource.run(inserted.lastInsertRowid, accountId, REGION, "AWS::KMS::Key", keyArn, timeMs);
        tails.set(accountId, { seq: tail.seq + 1, hash });
        if (accountId === ACCOUNT && n > count / 2) Object.assign(sample, { EventId: eventId, ResourceName: keyArn, AccessKeyId: accessKeyId, Username: username });
      }
    });
    if ((done / BATCH) % 10 === 9) process.stderr.write(`  loaded ${done + BATCH} events\n`);
  }
  const upsert = db.prepare("INSERT INTO chains(account_id, region, last_seq, last_hash) VALUES (?, ?, ?, ?)");
  for (const [accountId, tail] of tails) upsert.run(accountId, REGION, tail.seq, tail.hash);
  db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  db.close();
  return { ms: performance.now() - began, sizeMb: statSync(auditDbPath(dataDir)).size / 1e6, sample };
}

async function main(): Promise<void> {
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  out(`# kmsd audit benchmark\n\n${availableParallelism()} vCPUs (${cpu}), Node ${process.version}; Encrypt: ${ROUNDS} rounds of ${DURATION_MS / 1000} s per mode, ${CONCURRENCY} requests in flight\n`);

  // 1. Encrypt with the audit trail on and off: both servers run side by side and take turns,
  // so the machine's ups and downs (a shared VM's) hit both alike.
  const servers = { on: await startServer(["--audit", "on"]), off: await startServer(["--audit", "off"]) };
  const targets = { on: await encryptTarget(servers.on), off: await encryptTarget(servers.off) };
  const totals = { on: { completed: 0, elapsed: 0, latencies: [] as number[] }, off: { completed: 0, elapsed: 0, latencies: [] as number[] } };
  const ratios: number[] = [];
  try {
    for (const mode of ["on", "off"] as const) await encryptSlice(targets[mode], WARMUP_MS);
    for (let round = 0; round < ROUNDS; round++) {
      const rate: Record<string, number> = {};
      for (const mode of round % 2 === 0 ? (["on", "off"] as const) : (["off", "on"] as const)) {
        const slice = await encryptSlice(targets[mode], DURATION_MS);
        totals[mode].completed += slice.completed;
        totals[mode].elapsed += slice.elapsed;
        totals[mode].latencies.push(...slice.latencies);
        rate[mode] = (slice.completed / slice.elapsed) * 1000;
      }
      ratios.push((rate.on ?? 0) / (rate.off ?? 1));
      process.stderr.write(`  round ${round + 1}: audit on ${Math.round(rate.on ?? 0)}/s, off ${Math.round(rate.off ?? 0)}/s\n`);
    }
  } finally {
    for (const mode of ["on", "off"] as const) targets[mode].agent.destroy();
    await Promise.all([servers.on.stop(), servers.off.stop()]);
  }
  out("## Encrypt throughput, audit trail on and off\n");
  out("| Audit | Encrypt/s | p50 latency | p99 latency |");
  out("|-------|----------:|------------:|------------:|");
  for (const mode of ["off", "on"] as const) {
    const latencies = totals[mode].latencies.sort((a, b) => a - b);
    const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
    out(`| ${mode.padEnd(5)} | ${Math.round((totals[mode].completed / totals[mode].elapsed) * 1000).toString().padStart(9)} | ${at(0.5).toFixed(2).padStart(8)} ms | ${at(0.99).toFixed(2).padStart(8)} ms |`);
  }
  const ratio = median(ratios);
  out(`\nPer round on/off: ${ratios.map((one) => `${(one * 100).toFixed(0)}%`).join(", ")}`);
  out(`\n**on/off = ${(ratio * 100).toFixed(1)}%** (median of the rounds: the audit trail costs ${((1 - ratio) * 100).toFixed(1)}% of Encrypt throughput; target: under 15%)\n`);

  // 2. LookupEvents on a large history.
  const dataDir = mkdtempSync(join(tmpdir(), "kmsd-bench-lookup-"));
  try {
    const nowMs = Date.now();
    process.stderr.write(`  loading ${EVENTS} events into audit.db\n`);
    const loaded = loadHistory(dataDir, EVENTS, nowMs);
    out(`## LookupEvents on ${EVENTS.toLocaleString("en-US")} events\n`);
    out(`Loaded in ${(loaded.ms / 1000).toFixed(1)} s (${Math.round(EVENTS / (loaded.ms / 1000)).toLocaleString("en-US")} events/s, chained and indexed); audit.db ${Math.round(loaded.sizeMb)} MB. ~90% of the events are in the queried account.\n`);
    const server = await startServer(["--default-account", ACCOUNT], dataDir, true);
    try {
      const client = new CloudTrailClient({ endpoint: `http://127.0.0.1:${server.port}`, region: REGION, credentials: server.credentials, maxAttempts: 1 });
      const db = new DatabaseSync(auditDbPath(dataDir), { readOnly: true });
      const queries: { label: string; attribute?: { AttributeKey: LookupAttributeKey; AttributeValue: string }; startTime?: Date; endTime?: Date; pages?: number }[] = [
        { label: "none (newest 50)" },
        { label: "EventId", attribute: { AttributeKey: "EventId", AttributeValue: loaded.sample.EventId ?? "" } },
        { label: "EventName = Encrypt (30%)", attribute: { AttributeKey: "EventName", AttributeValue: "Encrypt" } },
        { label: "EventName = CreateKey (0.5%)", attribute: { AttributeKey: "EventName", AttributeValue: "CreateKey" } },
        { label: "ReadOnly = false", attribute: { AttributeKey: "ReadOnly", AttributeValue: "false" } },
        { label: "Username", attribute: { AttributeKey: "Username", AttributeValue: loaded.sample.Username ?? "" } },
        { label: "ResourceType", attribute: { AttributeKey: "ResourceType", AttributeValue: "AWS::KMS::Key" } },
        { label: "ResourceName (1 key of 2000)", attribute: { AttributeKey: "ResourceName", AttributeValue: loaded.sample.ResourceName ?? "" } },
        { label: "EventSource", attribute: { AttributeKey: "EventSource", AttributeValue: "kms.amazonaws.com" } },
        { label: "AccessKeyId", attribute: { AttributeKey: "AccessKeyId", AttributeValue: loaded.sample.AccessKeyId ?? "" } },
        { label: "EventName = CreateKey, one day 45 days ago", attribute: { AttributeKey: "EventName", AttributeValue: "CreateKey" }, startTime: new Date(nowMs - 45 * DAY), endTime: new Date(nowMs - 44 * DAY) },
        { label: "EventName = Decrypt, 10th page (NextToken)", attribute: { AttributeKey: "EventName", AttributeValue: "Decrypt" }, pages: 10 },
      ];
      const REPEAT = 30;
      out("| Lookup attribute | Events returned | SDK over HTTP p50 | p95 | query alone p50 |");
      out("|------------------|----------------:|------------------:|----:|----------------:|");
      for (const query of queries) {
        const http: number[] = [];
        const direct: number[] = [];
        let returned = 0;
        for (let i = 0; i < REPEAT; i++) {
          let token: string | undefined;
          for (let page = 0; page < (query.pages ?? 1); page++) {
            const began = performance.now();
            const answer = await client.send(new LookupEventsCommand({ LookupAttributes: query.attribute ? [query.attribute] : undefined, StartTime: query.startTime, EndTime: query.endTime, MaxResults: 50, NextToken: token }));
            if (page === (query.pages ?? 1) - 1) http.push(performance.now() - began);
            returned = answer.Events?.length ?? 0;
            token = answer.NextToken;
          }
          const began = performance.now();
          lookupEvents(db, {
            accountId: ACCOUNT,
            region: REGION,
            attribute: query.attribute && { key: query.attribute.AttributeKey, value: query.attribute.AttributeValue },
            startMs: query.startTime?.getTime() ?? 0,
            endMs: query.endTime?.getTime() ?? nowMs + 60_000,
            limit: 50,
          });
          direct.push(performance.now() - began);
        }
        const p = (values: number[], q: number) => [...values].sort((a, b) => a - b)[Math.floor(q * (values.length - 1))] ?? 0;
        out(`| ${query.label} | ${returned} | ${p(http, 0.5).toFixed(2)} ms | ${p(http, 0.95).toFixed(2)} ms | ${p(direct, 0.5).toFixed(2)} ms |`);
      }
      db.close();
      client.destroy();
    } finally {
      await server.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
