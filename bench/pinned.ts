/**
 * The pinned benchmark (issue 19): what kmsd does per core. Each server's whole process
 * tree (event loop, audit writer thread, libuv's pool, worker processes) runs on CPU 0
 * (`taskset -c 0` as it starts, so every thread and child inherits it) and the load
 * generator on CPU 1; the minimal server (bench/baseline/minimalServer.ts) is pinned
 * the same way and measured alternately in the same run, so a ratio compares two
 * servers that had the same core under the same background.
 *
 *   npm run build && node bench/pinned.ts [--rounds=5] [--duration=1.5] [--warmup=0.3]
 *       [--half-load-duration=2] [--only=encrypt-4k,decrypt] [--variant=before=/tmp/old/bin/kmsd.mjs]
 *       [--audit-off] [--workers-curve] [--no-save] [--out=bench/results]
 *
 * Per operation: closed-loop rounds (32 in flight) alternating kmsd, its variants and the
 * minimal server; the ratio is the median of per-round ratios. Then open-loop rounds at
 * half of each server's own saturating rate: p50/p99/p99.9 over all requests of the rounds.
 * `--variant` adds another build of kmsd (a before/after comparison from one run);
 * `--audit-off` adds this build with the audit trail off. The half-load table gives each
 * server's CPU per request and how busy that kept its one CPU: a server whose cost per
 * request rises when concurrency falls (group commit has less to group) is busier at half
 * of its saturating rate than half, and its p99 is a queue's.
 * `--workers-curve` measures kmsd with 1..4 workers on both cores instead (no pinning
 * to one; the load generator shares the cores, as a client on the same machine would).
 * Writes bench/results/<date>-pinned.{json,md}.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { KmsClient } from "./lib/kmsClient.ts";
import { cpuSeconds, machineBusySeconds, processTree } from "./lib/proc.ts";
import { killAllChildren, startKmsd, startMinimal, type RunningServer } from "./lib/servers.ts";
import { median, round } from "./lib/stats.ts";
import { OPERATIONS, prepareFixture, type Fixture, type Operation } from "./lib/workloads.ts";
import { LoadGenerator, type LoadOptions } from "./load/generator.ts";
import { Histogram } from "./load/histogram.ts";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "5" },
    duration: { type: "string", default: "1.5" },
    warmup: { type: "string", default: "0.3" },
    "half-load-duration": { type: "string", default: "2" },
    concurrency: { type: "string", default: "32" },
    only: { type: "string" },
    variant: { type: "string", multiple: true, default: [] },
    /** Also measures this build with `--audit off`: what the audit trail costs, and its share of the latency. */
    "audit-off": { type: "boolean", default: false },
    "workers-curve": { type: "boolean", default: false },
    "max-workers": { type: "string", default: "4" },
    "no-save": { type: "boolean", default: false },
    out: { type: "string", default: new URL("./results", import.meta.url).pathname },
  },
  strict: true,
});

const ROUNDS = Number(values.rounds);
const DURATION_MS = Number(values.duration) * 1000;
const WARMUP_MS = Number(values.warmup) * 1000;
const HALF_LOAD_MS = Number(values["half-load-duration"]) * 1000;
const CONCURRENCY = Number(values.concurrency);
const SERVER_CPU = "0";
const CLIENT_CPU = "1";
/** kmsd as the benchmark runs it: one worker, quotas lifted (they would throttle the load), audit on (the default). */
const KMSD_ARGS = ["--workers", "1", "--log-requests=false"]; // startKmsd lifts the quotas
/** The operations of the pinned table; CreateKey is kmsd's alone (the minimal server stores nothing). */
const PINNED_OPERATIONS = ["encrypt-32", "encrypt-4k", "decrypt", "generate-data-key", "sign-ecc", "generate-mac", "create-key"];
/** The half-load latency targets (issue 19). */
const HALF_LOAD_OPERATIONS = new Set(["encrypt-32", "encrypt-4k", "decrypt", "generate-data-key", "sign-ecc", "generate-mac"]);
const POOL = 256;

const log = (line: string) => process.stderr.write(`${line}\n`);

/** Sets the CPU affinity of every thread of `pid` (taskset -a). */
function pinAllThreads(pid: number, cpuList: string): void {
  execFileSync("taskset", ["-a", "-p", "-c", cpuList, String(pid)], { stdio: "ignore" });
}

/** The CPUs every thread of a process tree may run on (one list when pinning held, several if not). */
function affinityOf(root: number): string[] {
  const lists = new Set<string>();
  for (const pid of processTree(root)) {
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const task of tasks) {
      try {
        const match = /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync(`/proc/${pid}/task/${task}/status`, "utf8"));
        if (match) lists.add(match[1] as string);
      } catch {
        // exited
      }
    }
  }
  return [...lists];
}

interface Subject {
  id: string;
  server: RunningServer;
  fixture: Fixture;
  kind: "kmsd" | "minimal";
}

/** Keys, ciphertexts and the HMAC and ECC keys of the pinned operations, through the server's own API. */
async function fixtureFor(server: RunningServer): Promise<Fixture> {
  const client = new KmsClient(server.host, server.port, server.credentials);
  try {
    const fixture = await prepareFixture(client, "symmetric", { ciphertexts: POOL, mixedKeys: 0 });
    const createKey = async (input: Record<string, unknown>) => (await client.call<{ KeyMetadata: { KeyId: string } }>("CreateKey", input)).KeyMetadata.KeyId;
    fixture.hmacKey = await createKey({ KeySpec: "HMAC_256", KeyUsage: "GENERATE_VERIFY_MAC" });
    fixture.eccKey = await createKey({ KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY" });
    return fixture;
  } finally {
    client.close();
  }
}

interface Round {
  throughput: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  errors: number;
  /** Server CPU (process tree, all threads) per answered request. */
  cpuUsPerRequest: number;
  /** Cores used by processes other than the server and the benchmark meanwhile. */
  backgroundCores: number;
  histogram: Histogram;
}

async function measure(generator: LoadGenerator, subject: Subject, options: LoadOptions): Promise<Round> {
  if (options.warmupMs > 0) await generator.run(subject.server, { ...options, warmupMs: 0, durationMs: options.warmupMs });
  const pids = processTree(subject.server.pid);
  const cpuBefore = cpuSeconds(pids);
  const busyBefore = machineBusySeconds();
  const selfBefore = process.cpuUsage();
  const wallBefore = performance.now();
  const result = await generator.run(subject.server, { ...options, warmupMs: 0 });
  const wall = (performance.now() - wallBefore) / 1000;
  const server = cpuSeconds(pids) - cpuBefore;
  const self = process.cpuUsage(selfBefore);
  const other = machineBusySeconds() - busyBefore - server - (self.user + self.system) / 1e6;
  return {
    throughput: result.throughput,
    p50Ms: result.p50Ms,
    p99Ms: result.p99Ms,
    p999Ms: result.p999Ms,
    errors: result.errors + result.skipped,
    cpuUsPerRequest: result.completed > 0 ? (server * 1e6) / result.completed : Number.NaN,
    backgroundCores: Math.max(0, other / wall),
    histogram: result.histogram,
  };
}

/** Rounds of every subject, alternating which goes first, so drifts of a shared machine hit all alike. */
async function alternate(subjects: Subject[], rounds: number, run: (subject: Subject, round: number) => Promise<Round>): Promise<Map<string, Round[]>> {
  const results = new Map<string, Round[]>(subjects.map((subject) => [subject.id, []]));
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? subjects : [...subjects].reverse();
    for (const subject of order) results.get(subject.id)?.push(await run(subject, r));
  }
  return results;
}

const merged = (rounds: Round[]) => {
  const histogram = new Histogram();
  for (const entry of rounds) histogram.merge(entry.histogram);
  return { p50Ms: round(histogram.quantile(0.5) / 1000), p99Ms: round(histogram.quantile(0.99) / 1000), p999Ms: round(histogram.quantile(0.999) / 1000) };
};
const summary = (rounds: Round[]) => ({
  throughput: round(median(rounds.map((entry) => entry.throughput))),
  cpuUsPerRequest: round(median(rounds.map((entry) => entry.cpuUsPerRequest))),
  backgroundCores: round(Math.max(...rounds.map((entry) => entry.backgroundCores)), 2),
  errors: rounds.reduce((sum, entry) => sum + entry.errors, 0),
  perRound: rounds.map((entry) => round(entry.throughput)),
  ...merged(rounds),
});
/** Median of per-round ratios a/b (rounds measured back to back). */
const ratio = (a: Round[] | undefined, b: Round[] | undefined, pick: (entry: Round) => number = (entry) => entry.throughput) =>
  a && b ? round(median(a.map((entry, index) => pick(entry) / pick(b[index] as Round)))) : Number.NaN;

/** The pinned table: every operation on every subject, closed loop then half load. */
async function pinnedRun(generator: LoadGenerator, operations: Operation[]) {
  const launcher = ["taskset", "-c", SERVER_CPU];
  const subjects: Subject[] = [];
  const start = async (id: string, kind: Subject["kind"], begin: () => Promise<RunningServer>) => {
    const server = await begin();
    subjects.push({ id, server, kind, fixture: await fixtureFor(server) });
    log(`${id} on port ${server.port}, threads on CPU ${affinityOf(server.pid).join(" | ")}`);
  };
  await start("kmsd", "kmsd", () => startKmsd({ args: KMSD_ARGS, launcher }));
  for (const variant of values.variant) {
    const [name, bin] = variant.split("=", 2);
    if (!name || !bin) throw new Error(`--variant takes name=path/to/bin/kmsd.mjs, not ${variant}`);
    await start(name, "kmsd", () => startKmsd({ name, args: KMSD_ARGS, launcher, bin }));
  }
  if (values["audit-off"]) await start("audit off", "kmsd", () => startKmsd({ name: "audit off", args: [...KMSD_ARGS, "--audit", "off"], launcher }));
  await start("minimal", "minimal", () => startMinimal(1, [], launcher));

  const rows = [];
  for (const operation of operations) {
    const runners = subjects.filter((subject) => operation.id !== "create-key" || subject.kind === "kmsd");
    const closed = await alternate(runners, ROUNDS, (subject, r) =>
      measure(generator, subject, {
        calls: operation.calls(subject.fixture, POOL),
        concurrency: CONCURRENCY,
        warmupMs: r === 0 ? WARMUP_MS * 2 : WARMUP_MS,
        durationMs: DURATION_MS,
      }),
    );
    const saturating = new Map(runners.map((subject) => [subject.id, median((closed.get(subject.id) ?? []).map((entry) => entry.throughput))]));
    log(`${operation.label}: ${runners.map((subject) => `${subject.id} ${Math.round(saturating.get(subject.id) ?? 0)}/s`).join(", ")}`);
    let half: Map<string, Round[]> | undefined;
    if (HALF_LOAD_OPERATIONS.has(operation.id)) {
      half = await alternate(runners, ROUNDS, (subject, r) =>
        measure(generator, subject, {
          calls: operation.calls(subject.fixture, POOL),
          mode: "open",
          rate: Math.max(1, Math.round((saturating.get(subject.id) ?? 2) / 2)),
          concurrency: 64,
          warmupMs: r === 0 ? WARMUP_MS : 150,
          durationMs: HALF_LOAD_MS,
        }),
      );
      log(`  half load p99: ${runners.map((subject) => `${subject.id} ${merged(half?.get(subject.id) ?? []).p99Ms} ms`).join(", ")}`);
    }
    rows.push({
      id: operation.id,
      operation: operation.label,
      subjects: Object.fromEntries(
        runners.map((subject) => [
          subject.id,
          { closed: summary(closed.get(subject.id) ?? []), ...(half ? { halfLoad: { rate: Math.round((saturating.get(subject.id) ?? 0) / 2), ...summary(half.get(subject.id) ?? []) } } : {}) },
        ]),
      ),
      ratios: Object.fromEntries(
        runners
          .filter((subject) => subject.kind === "kmsd")
          .map((subject) => [
            subject.id,
            {
              toMinimal: ratio(closed.get(subject.id), closed.get("minimal")),
              toKmsd: subject.id === "kmsd" ? 1 : ratio(closed.get(subject.id), closed.get("kmsd")),
              cpuToKmsd: subject.id === "kmsd" ? 1 : ratio(closed.get(subject.id), closed.get("kmsd"), (entry) => entry.cpuUsPerRequest),
            },
          ]),
      ),
    });
  }
  const affinity = Object.fromEntries(subjects.map((subject) => [subject.id, affinityOf(subject.server.pid)]));
  for (const subject of subjects) await subject.server.stop();
  return { subjects: subjects.map((subject) => subject.id), affinity, rows };
}

/** kmsd with 1..N workers on both cores, alternating; Encrypt 32 B and Decrypt, closed loop and half load. */
async function workersCurve(generator: LoadGenerator, operations: Operation[]) {
  const subjects: Subject[] = [];
  const maxWorkers = Number(values["max-workers"]);
  for (let workers = 1; workers <= maxWorkers; workers++) {
    const server = await startKmsd({ name: `kmsd ×${workers}`, args: [...KMSD_ARGS.slice(2), "--workers", String(workers)] });
    subjects.push({ id: `workers-${workers}`, server, kind: "kmsd", fixture: await fixtureFor(server) });
    log(`kmsd --workers ${workers} on port ${server.port}`);
  }
  const minimal = await startMinimal(1);
  subjects.push({ id: "minimal", server: minimal, kind: "minimal", fixture: await fixtureFor(minimal) });
  const rows = [];
  for (const operation of operations) {
    const closed = await alternate(subjects, ROUNDS, (subject, r) =>
      measure(generator, subject, { calls: operation.calls(subject.fixture, POOL), concurrency: CONCURRENCY, warmupMs: r === 0 ? WARMUP_MS * 2 : WARMUP_MS, durationMs: DURATION_MS }),
    );
    const saturating = new Map(subjects.map((subject) => [subject.id, median((closed.get(subject.id) ?? []).map((entry) => entry.throughput))]));
    const half = await alternate(subjects, ROUNDS, (subject, r) =>
      measure(generator, subject, {
        calls: operation.calls(subject.fixture, POOL),
        mode: "open",
        rate: Math.max(1, Math.round((saturating.get(subject.id) ?? 2) / 2)),
        concurrency: 64,
        warmupMs: r === 0 ? WARMUP_MS : 150,
        durationMs: HALF_LOAD_MS,
      }),
    );
    log(`${operation.label}: ${subjects.map((subject) => `${subject.id} ${Math.round(saturating.get(subject.id) ?? 0)}/s p99 ${merged(half.get(subject.id) ?? []).p99Ms} ms`).join(", ")}`);
    rows.push({
      id: operation.id,
      operation: operation.label,
      subjects: Object.fromEntries(
        subjects.map((subject) => [
          subject.id,
          {
            closed: summary(closed.get(subject.id) ?? []),
            toOneWorker: ratio(closed.get(subject.id), closed.get("workers-1")),
            halfLoad: summary(half.get(subject.id) ?? []),
          },
        ]),
      ),
    });
  }
  for (const subject of subjects) await subject.server.stop();
  return { subjects: subjects.map((subject) => subject.id), rows };
}

const fmt = (value: number, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : "–");

function pinnedMarkdown(result: Awaited<ReturnType<typeof pinnedRun>>): string {
  const kmsds = result.subjects.filter((id) => id !== "minimal");
  const lines = [
    `| Operation | ${result.subjects.map((id) => `${id} /s`).join(" | ")} | ${kmsds.map((id) => `${id} ÷ minimal`).join(" | ")} | ${result.subjects.map((id) => `${id} CPU µs/req`).join(" | ")} |`,
    `|---|${result.subjects.map(() => "---:").join("|")}|${kmsds.map(() => "---:").join("|")}|${result.subjects.map(() => "---:").join("|")}|`,
  ];
  type Entry = { closed: ReturnType<typeof summary>; halfLoad?: ReturnType<typeof summary> & { rate: number } };
  for (const row of result.rows) {
    const of = (id: string) => (row.subjects as Record<string, Entry | undefined>)[id];
    lines.push(
      `| ${row.operation} | ${result.subjects.map((id) => fmt(of(id)?.closed.throughput ?? Number.NaN)).join(" | ")} | ${kmsds.map((id) => fmt((row.ratios as Record<string, { toMinimal: number } | undefined>)[id]?.toMinimal ?? Number.NaN, 2)).join(" | ")} | ${result.subjects.map((id) => fmt(of(id)?.closed.cpuUsPerRequest ?? Number.NaN)).join(" | ")} |`,
    );
  }
  lines.push("", "Half of each server's own saturating rate, open loop (latency from the scheduled start), all requests of the rounds:", "");
  lines.push(
    "| Operation | server | rate /s | achieved /s | p50 ms | p99 ms | p99.9 ms | errors | CPU µs/req | CPU busy | other processes' cores (max) |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  );
  for (const row of result.rows) {
    for (const id of result.subjects) {
      const half = (row.subjects as Record<string, Entry | undefined>)[id]?.halfLoad;
      if (!half) continue;
      const busy = (half.cpuUsPerRequest * half.throughput) / 1e6;
      lines.push(
        `| ${row.operation} | ${id} | ${half.rate} | ${fmt(half.throughput)} | ${half.p50Ms} | ${half.p99Ms} | ${half.p999Ms} | ${half.errors} | ${fmt(half.cpuUsPerRequest)} | ${fmt(busy * 100)}% | ${half.backgroundCores} |`,
      );
    }
  }
  if (kmsds.length > 1) {
    lines.push("", "Variants against kmsd (this build), medians of per-round ratios:", "", "| Operation | variant | throughput ÷ kmsd | CPU/req ÷ kmsd |", "|---|---|---:|---:|");
    for (const row of result.rows) {
      for (const id of kmsds.filter((candidate) => candidate !== "kmsd")) {
        const r = (row.ratios as Record<string, { toKmsd: number; cpuToKmsd: number } | undefined>)[id];
        if (r) lines.push(`| ${row.operation} | ${id} | ${fmt(r.toKmsd, 3)} | ${fmt(r.cpuToKmsd, 3)} |`);
      }
    }
  }
  lines.push("", `Threads' CPUs: ${Object.entries(result.affinity).map(([id, lists]) => `${id} ${lists.join("|")}`).join(", ")}; load generator on CPU ${CLIENT_CPU}.`);
  return lines.join("\n");
}

function curveMarkdown(result: Awaited<ReturnType<typeof workersCurve>>): string {
  const lines = ["| Operation | server | /s (closed, 32 in flight) | ÷ 1 worker | CPU µs/req | half-load p50 ms | p99 ms | p99.9 ms |", "|---|---|---:|---:|---:|---:|---:|---:|"];
  type Entry = { closed: ReturnType<typeof summary>; toOneWorker: number; halfLoad: ReturnType<typeof summary> };
  for (const row of result.rows) {
    for (const id of result.subjects) {
      const entry = (row.subjects as Record<string, Entry>)[id] as Entry;
      lines.push(`| ${row.operation} | ${id} | ${fmt(entry.closed.throughput)} | ${fmt(entry.toOneWorker, 2)} | ${fmt(entry.closed.cpuUsPerRequest)} | ${entry.halfLoad.p50Ms} | ${entry.halfLoad.p99Ms} | ${entry.halfLoad.p999Ms} |`);
    }
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  if (availableParallelism() < 2) throw new Error("the pinned benchmark needs two CPUs (server on one, load on the other)");
  const curve = values["workers-curve"];
  // The load generator (this process and its threads) on the other CPU; its threads are created after this and inherit it.
  if (!curve) pinAllThreads(process.pid, CLIENT_CPU);
  const only = values.only ? new Set(values.only.split(",")) : undefined;
  const defaults = curve ? ["encrypt-32", "decrypt"] : PINNED_OPERATIONS;
  const operations = OPERATIONS.filter((operation) => (only ? only.has(operation.id) : defaults.includes(operation.id)));
  const generator = new LoadGenerator(1);
  const started = new Date();
  try {
    const config = { rounds: ROUNDS, durationMs: DURATION_MS, warmupMs: WARMUP_MS, halfLoadMs: HALF_LOAD_MS, concurrency: CONCURRENCY, variants: values.variant };
    const machine = { cpus: cpus().length, model: cpus()[0]?.model, node: process.version };
    const result = curve ? { mode: "workers-curve", ...(await workersCurve(generator, operations)) } : { mode: "pinned", ...(await pinnedRun(generator, operations)) };
    const markdown =
      `# kmsd ${curve ? "--workers curve (both cores)" : "pinned: server on CPU 0, load on CPU 1"}, ${started.toISOString()}\n\n` +
      `${ROUNDS} rounds of ${DURATION_MS / 1000} s per figure (${CONCURRENCY} in flight), half load ${HALF_LOAD_MS / 1000} s per round; ${machine.cpus} × ${machine.model}, Node ${machine.node}.\n\n` +
      (result.mode === "pinned" ? pinnedMarkdown(result as Awaited<ReturnType<typeof pinnedRun>>) : curveMarkdown(result as Awaited<ReturnType<typeof workersCurve>>)) +
      "\n";
    process.stdout.write(markdown);
    if (!values["no-save"]) {
      mkdirSync(values.out, { recursive: true });
      const name = `${started.toISOString().replace(/:/g, "-").replace(/\.\d+Z$/, "Z")}-${curve ? "workers" : "pinned"}`;
      writeFileSync(join(values.out, `${name}.json`), `${JSON.stringify({ started: started.toISOString(), config, machine, ...result }, (key, value: unknown) => (key === "histogram" ? undefined : value), 2)}\n`);
      writeFileSync(join(values.out, `${name}.md`), markdown);
      log(`written: ${join(values.out, name)}.{json,md}`);
    }
  } finally {
    await generator.close();
    killAllChildren();
  }
}

await main();
