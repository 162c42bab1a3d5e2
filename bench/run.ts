/**
 * `npm run bench`: kmsd against the machine's ceiling and against moto, in one run.
 *
 *   npm run bench                 full run (about 6 minutes on 2 cores)
 *   npm run bench -- --quick      about 1 minute: one round per figure, no 100k-key phase
 *   npm run bench -- --help       every option
 *
 * Starts kmsd (built tree, temporary data directory, --dev, the default account's real
 * credentials so every request is authenticated, authorized and audited as in
 * production), the minimal-server baseline and moto (if installed) on loopback ports,
 * drives each with the same SigV4-signed requests from load-generator threads, and
 * prints a Markdown table of throughput, latency, server CPU per request and ratios;
 * writes bench/results/<date>.json and .md. Exits non-zero only if it could not run.
 * See bench/README.md for how to read the numbers.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { measureRawCrypto } from "./baseline/rawCrypto.ts";
import { KmsClient, inParallel } from "./lib/kmsClient.ts";
import { cpuSeconds, machineBusySeconds, processTree, rssMiB } from "./lib/proc.ts";
import { renderMarkdown, type BenchReport, type Figure, type HalfLoadRow, type OperationRow, type ScaleReport } from "./lib/report.ts";
import {
  auditOffCandidates,
  detectKmsdFeatures,
  killAllChildren,
  motoAvailable,
  probeArgs,
  startKmsd,
  startMinimal,
  startMoto,
  type RunningServer,
} from "./lib/servers.ts";
import { median, round } from "./lib/stats.ts";
import { postgresPhase, type PostgresReport } from "./lib/postgresPhase.ts";
import { OPERATIONS, context, mixedCalls, prepareFixture, type Capability, type Fixture, type Operation } from "./lib/workloads.ts";
import { LoadGenerator, type LoadOptions, type LoadResult } from "./load/generator.ts";
import { Histogram } from "./load/histogram.ts";
import type { CallSpec } from "./load/signing.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const started = performance.now();

const HELP = `npm run bench -- [options]

  --quick                 1 to 1.5 minutes: 1 round of 0.8 s per figure, 1 s half-load runs, no 100k-key phase
  --rounds=N              rounds per figure (median of rounds; default 3, quick 1)
  --duration=S            seconds per round (default 1.2, quick 0.8)
  --warmup=S              seconds of unmeasured load before each round (default 0.3, quick 0.2)
  --concurrency=N         requests in flight per server process (default 32)
  --threads=N             load-generator threads (default 1)
  --pool=N                distinct signed requests per operation (default 256)
  --half-load-duration=S  seconds per round of the fixed-rate runs at 50% of saturation (default 1.2, quick 1)
  --raw-duration=S        seconds per raw node:crypto loop (default 0.5, quick 0.25)
  --workers=N             the N of the N-worker kmsd variant, when kmsd has --workers (default: cores)
  --only=a,b              only these operations (${OPERATIONS.map((operation) => operation.id).join(", ")})
  --no-moto               skip moto
  --moto-concurrency=N    requests in flight to moto (default 8: it is single-threaded in effect, more only queue)
  --moto-keys=N           keys of moto's mixed workload (default 100: moto creates about 15-50 keys/s)
  --scale-keys=N          keys created for the scale phase (default 100000; 0 skips it; quick: 0)
  --scale-time=S          most seconds spent creating them (default 100)
  --no-scale              skip the scale phase
  --no-postgres           skip the PostgreSQL figures (a throwaway cluster of the machine's binaries, two nodes)
  --postgres-only         only the PostgreSQL figures and the SQLite kmsd they are compared with (about 2 minutes)
  --out=DIR               where results go (default bench/results)
  --no-save               print only
`;

const { values: args } = parseArgs({
  args: process.argv.slice(2),
  options: {
    quick: { type: "boolean", default: false },
    postgres: { type: "boolean", default: true },
    "postgres-only": { type: "boolean", default: false },
    rounds: { type: "string" },
    duration: { type: "string" },
    warmup: { type: "string" },
    concurrency: { type: "string" },
    threads: { type: "string" },
    pool: { type: "string" },
    "half-load-duration": { type: "string" },
    "raw-duration": { type: "string" },
    workers: { type: "string" },
    only: { type: "string" },
    moto: { type: "boolean", default: true },
    "moto-keys": { type: "string" },
    "moto-concurrency": { type: "string" },
    scale: { type: "boolean", default: true },
    "scale-keys": { type: "string" },
    "scale-time": { type: "string" },
    out: { type: "string" },
    save: { type: "boolean", default: true },
    help: { type: "boolean", default: false },
  },
  allowNegative: true,
  strict: true,
});
if (args.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

function numberOption(name: keyof typeof args, fallback: number, { integer = false, min = 0 } = {}): number {
  const raw = args[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    process.stderr.write(`bench: --${name} must be ${integer ? "a whole number" : "a number"} ≥ ${min}, not '${String(raw)}'\n`);
    process.exit(2);
  }
  return value;
}

const quick = args.quick === true;
const config = {
  quick,
  rounds: numberOption("rounds", quick ? 1 : 3, { integer: true, min: 1 }),
  durationMs: numberOption("duration", quick ? 0.8 : 1.2, { min: 0.1 }) * 1000,
  warmupMs: numberOption("warmup", quick ? 0.2 : 0.3) * 1000,
  concurrency: numberOption("concurrency", 32, { integer: true, min: 1 }),
  threads: numberOption("threads", 1, { integer: true, min: 1 }),
  pool: numberOption("pool", 256, { integer: true, min: 1 }),
  halfLoadMs: numberOption("half-load-duration", quick ? 1 : 1.2, { min: 0.1 }) * 1000,
  rawMs: numberOption("raw-duration", quick ? 0.25 : 0.5, { min: 0.05 }) * 1000,
  workers: numberOption("workers", availableParallelism(), { integer: true, min: 2 }),
  scaleKeys: args.scale === false ? 0 : numberOption("scale-keys", quick ? 0 : 100_000, { integer: true }),
  scaleTimeMs: numberOption("scale-time", 100, { min: 1 }) * 1000,
  moto: args.moto !== false,
  postgres: args.postgres !== false,
  /** Only the SQLite kmsd and the PostgreSQL phase: no raw loops, other servers, closed-loop table, half load or scale. */
  postgresOnly: args["postgres-only"] === true,
  motoKeys: numberOption("moto-keys", 100, { integer: true, min: 1 }),
  motoConcurrency: numberOption("moto-concurrency", 8, { integer: true, min: 1 }),
  only: args.only ? new Set(args.only.split(",").map((id) => id.trim())) : undefined,
  outDir: args.out ?? join(ROOT, "bench/results"),
  save: args.save !== false,
};
if (config.postgresOnly && !config.postgres) {
  process.stderr.write("bench: --postgres-only and --no-postgres exclude each other\n");
  process.exit(2);
}
if (config.only) {
  const unknown = [...config.only].filter((id) => !OPERATIONS.some((operation) => operation.id === id));
  if (unknown.length > 0) {
    process.stderr.write(`bench: unknown operation(s) ${unknown.join(", ")}; known: ${OPERATIONS.map((operation) => operation.id).join(", ")}\n`);
    process.exit(2);
  }
}

const say = (line: string) => process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${line}\n`);
const notes: string[] = [];
const note = (line: string) => {
  notes.push(line);
  say(line);
};

/** One server under test, with the keys and ciphertexts made on it. */
interface Subject {
  id: string;
  label: string;
  server: RunningServer;
  capability: Capability;
  /** Requests in flight in a closed-loop round. */
  concurrency: number;
  fixture?: Fixture;
  /** Only these operations (all when absent). */
  operations?: Set<string>;
  /** Keys of the mixed workload (1,000 unless the server is too slow to create them). */
  mixedKeys?: number;
}

/** Runs an unmeasured warm-up, then the measured load, reading the server's CPU time around it. */
async function measure(generator: LoadGenerator, subject: Subject, options: LoadOptions): Promise<{ result: LoadResult; figure: RoundFigure }> {
  if (options.warmupMs > 0) await generator.run(subject.server, { ...options, warmupMs: 0, durationMs: options.warmupMs, maxRequests: 0 });
  const pids = processTree(subject.server.pid);
  const serverBefore = cpuSeconds(pids);
  const busyBefore = machineBusySeconds();
  const selfBefore = process.cpuUsage();
  const wallBefore = performance.now();
  const result = await generator.run(subject.server, { ...options, warmupMs: 0 });
  const wallSeconds = (performance.now() - wallBefore) / 1000;
  const serverSeconds = cpuSeconds(pids) - serverBefore;
  const self = process.cpuUsage(selfBefore);
  const otherSeconds = machineBusySeconds() - busyBefore - serverSeconds - (self.user + self.system) / 1e6;
  return {
    result,
    figure: {
      throughput: result.throughput,
      p50Ms: result.p50Ms,
      p99Ms: result.p99Ms,
      p999Ms: result.p999Ms,
      completed: result.completed,
      errors: result.errors,
      serverCpuSeconds: serverSeconds,
      serverCores: serverSeconds / (result.elapsedMs / 1000),
      clientCpuUsPerRequest: result.clientCpuUsPerRequest,
      backgroundCores: Math.max(0, otherSeconds / wallSeconds),
    },
  };
}

interface RoundFigure {
  throughput: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  completed: number;
  errors: number;
  serverCpuSeconds: number;
  serverCores: number;
  clientCpuUsPerRequest: number;
  backgroundCores: number;
}

/** Rounds of one operation on one subject, summarised: median throughput, latency over all rounds. */
function summarise(rounds: { result: LoadResult; figure: RoundFigure }[]): Figure {
  const histogram = new Histogram();
  const errorSamples: string[] = [];
  for (const { result } of rounds) {
    histogram.merge(result.histogram);
    errorSamples.push(...result.errorSamples);
  }
  const completed = rounds.reduce((sum, { figure }) => sum + figure.completed, 0);
  const cpu = rounds.reduce((sum, { figure }) => sum + figure.serverCpuSeconds, 0);
  return {
    throughput: round(median(rounds.map(({ figure }) => figure.throughput))),
    p50Ms: round(histogram.quantile(0.5) / 1000),
    p99Ms: round(histogram.quantile(0.99) / 1000),
    p999Ms: round(histogram.quantile(0.999) / 1000),
    serverCpuUsPerRequest: round(completed > 0 ? (cpu / completed) * 1e6 : Number.NaN),
    serverCores: round(median(rounds.map(({ figure }) => figure.serverCores))),
    clientCpuUsPerRequest: round(median(rounds.map(({ figure }) => figure.clientCpuUsPerRequest))),
    backgroundCores: round(median(rounds.map(({ figure }) => figure.backgroundCores)), 2),
    completed,
    errors: rounds.reduce((sum, { figure }) => sum + figure.errors, 0),
    errorSamples: [...new Set(errorSamples)].slice(0, 3),
    rounds: rounds.map(({ figure }) => round(figure.throughput)),
  };
}

const generator = new LoadGenerator(config.threads);
const subjects: Subject[] = [];
let exitCode = 0;

async function stopAll(list: Subject[]): Promise<void> {
  await Promise.all(list.map((subject) => subject.server.stop().catch(() => undefined)));
}

process.once("SIGINT", () => {
  killAllChildren();
  process.exit(130);
});

/** The servers kmsd (1 worker) is compared with: kmsd with N workers, with the audit trail off, the minimal server, moto. */
async function startComparedServers(
  features: ReturnType<typeof detectKmsdFeatures>,
  workerArgs: (count: number) => string[],
): Promise<{ auditOffArgs: string[] | null; motoVersion: string | undefined }> {
  let auditOffArgs: string[] | null = null;
  let motoVersion: string | undefined;
  if (features.workers) {
    try {
      const server = await startKmsd({ name: `kmsd ×${config.workers}`, args: workerArgs(config.workers) });
      subjects.push({ id: "kmsd-n", label: `kmsd (${config.workers} workers)`, server, capability: "full", concurrency: config.concurrency * config.workers });
    } catch (error) {
      note(`kmsd --workers ${config.workers} did not start: ${firstLine(error)}`);
    }
  } else {
    note("kmsd has no --workers option in this build: the N-worker variant and the N/1 ratio are not available.");
  }
  if (features.auditOptions.length > 0) {
    auditOffArgs = await probeArgs(auditOffCandidates(features.auditOptions).map((candidate) => [...workerArgs(1), ...candidate]));
    if (auditOffArgs) {
      const server = await startKmsd({ name: "kmsd audit off", args: auditOffArgs });
      subjects.push({
        id: "kmsd-audit-off",
        label: `kmsd (${auditOffArgs.join(" ")})`,
        server,
        capability: "full",
        concurrency: config.concurrency,
        operations: new Set(["encrypt-32", "decrypt", "generate-data-key", "mixed"]),
      });
    } else {
      note(`kmsd has audit options (${features.auditOptions.join(", ")}) but none of the probed values turned it off: audit on/off not reported.`);
    }
  } else {
    note("kmsd has no switch to turn the audit trail off in this build: audit on/off is not reported.");
  }
  try {
    const minimal = await startMinimal();
    subjects.push({ id: "minimal", label: "minimal server", server: minimal, capability: "symmetric", concurrency: config.concurrency });
    if (subjects.some((subject) => subject.id === "kmsd-n")) {
      const minimalN = await startMinimal(config.workers);
      subjects.push({ id: "minimal-n", label: `minimal server ×${config.workers}`, server: minimalN, capability: "symmetric", concurrency: config.concurrency * config.workers });
    }
  } catch (error) {
    note(`the minimal server did not start: ${firstLine(error)}`);
  }
  if (config.moto) {
    const moto = motoAvailable();
    if (moto.available) {
      try {
        const server = await startMoto();
        motoVersion = moto.version;
        subjects.push({ id: "moto", label: `moto ${moto.version ?? ""}`.trim(), server, capability: "full", concurrency: config.motoConcurrency, mixedKeys: Math.min(1000, config.motoKeys) });
        if (config.motoKeys < 1000) note(`moto's mixed workload runs over ${config.motoKeys} keys, not 1,000 (moto creates keys slowly; --moto-keys=1000 for the same set-up).`);
      } catch (error) {
        note(`moto did not start: ${firstLine(error)}`);
      }
    } else {
      note(`moto is not installed (${moto.reason}): the moto comparison is skipped (pip install 'moto[server]' to include it).`);
    }
  } else {
    note("moto skipped (--no-moto).");
  }
  return { auditOffArgs, motoVersion };
}

async function main(): Promise<void> {
  const features = detectKmsdFeatures();
  if (!features.built) throw new Error("kmsd is not built: run `npm run build` (npm run bench does it)");
  const workerArgs = (count: number) => (features.workers ? ["--workers", String(count)] : []);
  say(`kmsd options: --workers ${features.workers ? "available" : "not available"}; audit switch ${features.auditOptions.length ? `options ${features.auditOptions.join(", ")}` : "not available"}`);

  // Baseline 2 first, while nothing else of ours runs.
  if (!config.postgresOnly) say(`raw node:crypto loops, ${config.rawMs} ms each, one thread`);
  const raw = config.postgresOnly ? {} : Object.fromEntries(Object.entries(measureRawCrypto(config.rawMs)).map(([name, rate]) => [name, round(rate)]));

  // Servers.
  const kmsd = await startKmsd({ name: "kmsd", args: workerArgs(1) });
  // With --postgres-only the SQLite kmsd is only the reference of the PostgreSQL figures: its mixed workload needs no 1,000 keys.
  subjects.push({
    id: "kmsd",
    label: features.workers ? "kmsd (1 worker)" : "kmsd",
    server: kmsd,
    capability: "full",
    concurrency: config.concurrency,
    ...(config.postgresOnly ? { mixedKeys: 1 } : {}),
  });
  say(`kmsd listening on ${kmsd.port} after ${kmsd.listeningMs.toFixed(0)} ms`);
  let auditOffArgs: string[] | null = null;
  let motoVersion: string | undefined;
  if (!config.postgresOnly) ({ auditOffArgs, motoVersion } = await startComparedServers(features, workerArgs));

  // Fixtures: keys, ciphertexts and signatures made through each server's own API (all servers at once).
  await Promise.all(
    [...subjects].map(async (subject) => {
      const client = new KmsClient(subject.server.host, subject.server.port, subject.server.credentials);
      const t0 = performance.now();
      try {
        subject.fixture = await prepareFixture(client, subject.capability, { ciphertexts: Math.min(config.pool, 256), mixedKeys: subject.mixedKeys ?? 1000 });
        say(`set-up on ${subject.label}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      } catch (error) {
        if (subject.id === "kmsd") throw error;
        note(`set-up failed on ${subject.label}, left out: ${firstLine(error)}`);
        subjects.splice(subjects.indexOf(subject), 1);
        await subject.server.stop().catch(() => undefined);
      } finally {
        client.close();
      }
    }),
  );

  // Closed-loop rounds, interleaved across servers so each ratio compares neighbouring measurements.
  const operations = config.postgresOnly ? [] : OPERATIONS.filter((operation) => !config.only || config.only.has(operation.id));
  const byOperation = new Map<string, Map<string, { result: LoadResult; figure: RoundFigure }[]>>();
  for (const operation of operations) {
    const runners = subjects.filter((subject) => supports(subject, operation));
    const rounds = new Map<string, { result: LoadResult; figure: RoundFigure }[]>(runners.map((subject) => [subject.id, []]));
    const pools = new Map(runners.map((subject) => [subject.id, operation.calls(subject.fixture as Fixture, config.pool)]));
    for (let r = 0; r < config.rounds; r++) {
      for (const subject of runners) {
        const measured = await measure(generator, subject, {
          calls: pools.get(subject.id) as CallSpec[],
          concurrency: subject.concurrency,
          // Later rounds find the server warm: a short warm-up only separates it from the previous load.
          warmupMs: r === 0 ? config.warmupMs : Math.min(config.warmupMs, 150),
          durationMs: config.durationMs,
        });
        rounds.get(subject.id)?.push(measured);
      }
    }
    byOperation.set(operation.id, rounds);
    const line = runners.map((subject) => {
      const figure = summarise(rounds.get(subject.id) ?? []);
      return `${subject.id} ${figure.throughput.toFixed(0)}/s p99 ${figure.p99Ms} ms${figure.errors ? ` (${figure.errors} errors)` : ""}`;
    });
    say(`${operation.label}: ${line.join(" | ")}`);
  }

  const figureOf = (operationId: string, subjectId: string): Figure | undefined => {
    const rounds = byOperation.get(operationId)?.get(subjectId);
    return rounds && rounds.length > 0 ? summarise(rounds) : undefined;
  };
  /** Median over rounds of a/b, each round's two figures measured back to back. */
  const ratio = (operationId: string, a: string, b: string): number | undefined => {
    const left = byOperation.get(operationId)?.get(a);
    const right = byOperation.get(operationId)?.get(b);
    if (!left?.length || !right?.length) return undefined;
    const ratios = left.map((round, index) => round.figure.throughput / (right[index]?.figure.throughput ?? Number.NaN));
    const value = median(ratios);
    return Number.isFinite(value) ? round(value) : undefined;
  };

  const rows: OperationRow[] = operations.map((operation) => {
    const rawRate = operation.raw ? raw[operation.raw] : undefined;
    const kmsdFigure = figureOf(operation.id, "kmsd");
    return {
      id: operation.id,
      label: operation.label,
      figures: Object.fromEntries(subjects.map((subject) => [subject.id, figureOf(operation.id, subject.id)]).filter(([, figure]) => figure !== undefined)),
      raw: operation.raw && rawRate !== undefined ? { name: operation.raw, perCore: rawRate } : undefined,
      ratios: {
        minimal: ratio(operation.id, "kmsd", "minimal"),
        rawPerCore: kmsdFigure && rawRate ? round(kmsdFigure.throughput / rawRate) : undefined,
        moto: ratio(operation.id, "kmsd", "moto"),
        workers: ratio(operation.id, "kmsd-n", "kmsd"),
        workersVsMinimal: ratio(operation.id, "kmsd-n", "minimal-n"),
        auditOff: ratio(operation.id, "kmsd-audit-off", "kmsd"),
      },
    };
  });

  // p99 at half the saturating load (open loop, fixed rate): rounds interleaved across servers, medians of the rounds.
  const halfLoad: HalfLoadRow[] = [];
  for (const operation of operations.filter((candidate) => candidate.halfLoad)) {
    const runners = subjects
      .filter((candidate) => ["kmsd", "kmsd-n", "kmsd-audit-off", "minimal"].includes(candidate.id))
      .map((subject) => ({ subject, saturating: figureOf(operation.id, subject.id)?.throughput ?? Number.NaN }))
      .filter(({ saturating }) => Number.isFinite(saturating) && saturating > 0)
      .map((runner) => ({ ...runner, rate: Math.max(1, Math.round(runner.saturating / 2)), rounds: [] as { result: LoadResult; figure: RoundFigure }[] }));
    for (let r = 0; r < config.rounds; r++) {
      for (const runner of runners) {
        runner.rounds.push(
          await measure(generator, runner.subject, {
            calls: operation.calls(runner.subject.fixture as Fixture, config.pool),
            mode: "open",
            rate: runner.rate,
            concurrency: 64,
            warmupMs: r === 0 ? config.warmupMs : Math.min(config.warmupMs, 150),
            durationMs: config.halfLoadMs,
          }),
        );
      }
    }
    for (const { subject, saturating, rate, rounds } of runners) {
      const of = (pick: (entry: { result: LoadResult; figure: RoundFigure }) => number, digits = 3) => round(median(rounds.map(pick)), digits);
      halfLoad.push({
        operation: operation.label,
        subject: subject.label,
        subjectId: subject.id,
        saturating: round(saturating),
        rate,
        achieved: of(({ result }) => result.throughput),
        p50Ms: of(({ result }) => result.p50Ms),
        p99Ms: of(({ result }) => result.p99Ms),
        p999Ms: of(({ result }) => result.p999Ms),
        p99RoundsMs: rounds.map(({ result }) => round(result.p99Ms)),
        serverCores: of(({ figure }) => figure.serverCores),
        backgroundCores: of(({ figure }) => figure.backgroundCores, 2),
        errors: rounds.reduce((sum, { result }) => sum + result.errors + result.skipped, 0),
      });
      say(`half load ${operation.label} on ${subject.id}: ${rate}/s → p99 per round ${rounds.map(({ result }) => round(result.p99Ms)).join(", ")} ms`);
    }
  }

  // Everything but kmsd stops: the scale phase needs the machine, and kmsd stays as the small-store reference.
  const kmsdSubject = subjects.find((subject) => subject.id === "kmsd") as Subject;
  await stopAll(subjects.filter((subject) => subject !== kmsdSubject));
  let postgres: PostgresReport | undefined;
  if (config.postgres && kmsdSubject.fixture) {
    try {
      postgres = await postgresPhase({
        sqlite: { server: kmsdSubject.server, fixture: kmsdSubject.fixture },
        workerArgs: workerArgs(1),
        workers: 1,
        rounds: Math.max(config.rounds, 3),
        durationMs: config.durationMs,
        warmupMs: config.warmupMs,
        concurrency: config.concurrency,
        pool: config.pool,
        threads: config.threads,
        say,
      });
    } catch (error) {
      note(`the PostgreSQL figures were not measured: ${firstLine(error)}`);
    }
  } else if (!config.postgres) {
    note("PostgreSQL figures skipped (--no-postgres).");
  }
  let scale: ScaleReport | undefined;
  if (config.scaleKeys > 0 && !config.postgresOnly) {
    scale = await scalePhase(kmsdSubject, workerArgs(1), figureOf);
  } else if (!config.postgresOnly) {
    note(`scale phase skipped (${config.quick ? "--quick" : "--no-scale or --scale-keys=0"}); run without --quick, or with --scale-keys=N, to include it.`);
  }
  await stopAll([kmsdSubject]);

  const report: BenchReport = {
    date: new Date().toISOString(),
    quick: config.quick,
    durationSeconds: Math.round((performance.now() - started) / 1000),
    machine: {
      cpus: availableParallelism(),
      cpuModel: cpus()[0]?.model ?? "unknown",
      memoryGiB: round(totalmem() / 2 ** 30, 2),
      node: process.version,
      openssl: process.versions.openssl,
      loadAverageAtEnd: loadavg().map((value) => round(value, 2)),
    },
    git: gitDescription(),
    config: {
      rounds: config.rounds,
      durationMs: config.durationMs,
      warmupMs: config.warmupMs,
      concurrency: config.concurrency,
      threads: config.threads,
      pool: config.pool,
      halfLoadMs: config.halfLoadMs,
      workers: features.workers ? config.workers : null,
    },
    kmsd: { workersOption: features.workers, auditOffArgs, auditOptions: features.auditOptions },
    moto: motoVersion ?? null,
    subjects: subjects.map((subject) => ({ id: subject.id, label: subject.label })),
    raw,
    operations: rows,
    halfLoad,
    scale: scale ?? null,
    postgres: postgres ?? null,
    notes,
  };
  const markdown = renderMarkdown(report);
  process.stdout.write(`${markdown}\n`);
  if (config.save) {
    mkdirSync(config.outDir, { recursive: true });
    const stamp = report.date.replace(/:/g, "-").replace(/\.\d+Z$/, "Z") + (config.postgresOnly ? "-postgres" : "") + (config.quick ? "-quick" : "");
    for (const [extension, text] of [
      ["json", `${JSON.stringify(report, null, 1)}\n`],
      ["md", `${markdown}\n`],
    ] as const) {
      const path = join(config.outDir, `${stamp}.${extension}`);
      writeFileSync(`${path}.tmp`, text);
      renameSync(`${path}.tmp`, path);
      say(`wrote ${path}`);
    }
  }
}

/**
 * 100,000 keys: created through the API with many concurrent CreateKey calls, then a
 * restart (start-up time until the first answer, RSS), then hot-path throughput over
 * keys spread across the store, interleaved with the same load on the small store.
 */
async function scalePhase(small: Subject, args: string[], figureOf: (operationId: string, subjectId: string) => Figure | undefined): Promise<ScaleReport> {
  say(`scale: creating up to ${config.scaleKeys} keys (at most ${config.scaleTimeMs / 1000} s)`);
  let big = await startKmsd({ name: "kmsd scale", args });
  const dataDir = big.dataDir as string;
  const credentials = big.credentials;
  const port = big.port;
  const creationCalls = Array.from({ length: 1024 }, (_, i): CallSpec => ({ target: "TrentService.CreateKey", body: JSON.stringify({ Description: `scale key ${i}` }) }));
  const bigSubject = (): Subject => ({ id: "kmsd-scale", label: "kmsd, 100k keys", server: big, capability: "full", concurrency: config.concurrency });
  const creation = await measure(generator, bigSubject(), {
    calls: creationCalls,
    concurrency: 128,
    warmupMs: 0,
    durationMs: config.scaleTimeMs,
    maxRequests: config.scaleKeys,
  });
  const created = creation.result.completed;
  say(`scale: ${created} keys in ${(creation.result.elapsedMs / 1000).toFixed(1)} s = ${creation.result.throughput.toFixed(0)}/s`);
  if (created < config.scaleKeys) {
    note(
      `scale: only ${created} of ${config.scaleKeys} keys were created within --scale-time=${config.scaleTimeMs / 1000} s (CreateKey ${creation.result.throughput.toFixed(0)}/s); the figures below are for ${created} keys.`,
    );
  }
  const client = new KmsClient(big.host, port, credentials);
  const keyIds: string[] = [];
  try {
    let marker: string | undefined;
    for (let page = 0; page < 1000; page++) {
      const answer: { Keys?: { KeyId: string }[]; Truncated?: boolean; NextMarker?: string } = await client.call("ListKeys", { Limit: 1000, ...(marker ? { Marker: marker } : {}) });
      for (const key of answer.Keys ?? []) keyIds.push(key.KeyId);
      if (!answer.Truncated || !answer.NextMarker) break;
      marker = answer.NextMarker;
    }
  } finally {
    client.close();
  }
  const rssBeforeRestart = rssMiB(processTree(big.pid));
  await big.stop({ keepDataDir: true });

  /** Restarts on the same port and data dir; measures the time from spawn to the first answered signed request. */
  const restart = async (extra: string[]) => {
    const poller = new KmsClient("127.0.0.1", port, credentials);
    const t0 = performance.now();
    const starting = startKmsd({ name: "kmsd scale", dataDir, port, args: [...args, ...extra] });
    let answeredMs = Number.NaN;
    const deadline = t0 + 60_000;
    while (performance.now() < deadline) {
      try {
        await poller.call("DescribeKey", { KeyId: keyIds[0] ?? "alias/none" }, 1000);
        answeredMs = performance.now() - t0;
        break;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }
    poller.close();
    const server = await starting;
    return { server, answeredMs, listeningMs: server.listeningMs, rssIdleMiB: rssMiB(processTree(server.pid)) };
  };

  const first = await restart([]);
  big = first.server;
  say(`scale: restart answered after ${first.answeredMs.toFixed(0)} ms, RSS ${first.rssIdleMiB.toFixed(0)} MiB`);
  const shuffled = shuffle(keyIds.slice());
  const spread = shuffled.slice(0, Math.min(10_000, shuffled.length));
  const spreadCalls = spread.map((keyId, i): CallSpec => ({
    target: "TrentService.Encrypt",
    body: JSON.stringify({ KeyId: keyId, Plaintext: Buffer.alloc(32, i).toString("base64"), EncryptionContext: context(i) }),
  }));
  // First touch of each key: the cache is cold after the restart.
  const cold = await measure(generator, bigSubject(), { calls: spreadCalls, concurrency: config.concurrency, warmupMs: 0, durationMs: 60_000, maxRequests: spreadCalls.length });
  // Mixed over 1,000 keys of the big store, with one ciphertext each.
  const mixedKeys = shuffled.slice(spread.length, spread.length + 1000);
  const mixedKeysUsed = mixedKeys.length === 1000 ? mixedKeys : spread.slice(0, 1000);
  const setup = new KmsClient(big.host, big.port, credentials);
  const mixedCiphertexts = await inParallel(mixedKeysUsed.length, 16, async (k) =>
    (await setup.call<{ CiphertextBlob: string }>("Encrypt", { KeyId: mixedKeysUsed[k], Plaintext: Buffer.alloc(32, k).toString("base64"), EncryptionContext: context(k) })).CiphertextBlob,
  );
  setup.close();
  const bigMixed = mixedCalls(mixedKeysUsed, mixedCiphertexts, 2000);
  const smallEncrypt = OPERATIONS.find((operation) => operation.id === "encrypt-32")?.calls(small.fixture as Fixture, config.pool) ?? [];
  const smallMixed = OPERATIONS.find((operation) => operation.id === "mixed")?.calls(small.fixture as Fixture, 2000) ?? [];
  const rounds = { bigEncrypt: [] as RoundFigure[], smallEncrypt: [] as RoundFigure[], bigMixed: [] as RoundFigure[], smallMixed: [] as RoundFigure[] };
  const load = (calls: CallSpec[]): LoadOptions => ({ calls, concurrency: config.concurrency, warmupMs: config.warmupMs, durationMs: config.durationMs });
  for (let r = 0; r < config.rounds; r++) {
    rounds.bigEncrypt.push((await measure(generator, bigSubject(), load(spreadCalls))).figure);
    rounds.smallEncrypt.push((await measure(generator, small, load(smallEncrypt))).figure);
    rounds.bigMixed.push((await measure(generator, bigSubject(), load(bigMixed))).figure);
    rounds.smallMixed.push((await measure(generator, small, load(smallMixed))).figure);
  }
  const rssAfterLoad = rssMiB(processTree(big.pid));
  await big.stop({ keepDataDir: true });

  // The same spread load with a key cache far smaller than the key count: memory stays bounded, misses cost.
  const bounded = await restart(["--key-cache-size", "1000"]);
  big = bounded.server;
  const boundedRounds: RoundFigure[] = [];
  for (let r = 0; r < config.rounds; r++) boundedRounds.push((await measure(generator, bigSubject(), load(spreadCalls))).figure);
  const boundedRss = rssMiB(processTree(big.pid));
  await big.stop();

  const perRound = (a: RoundFigure[], b: RoundFigure[]) => round(median(a.map((figure, i) => figure.throughput / (b[i]?.throughput ?? Number.NaN))));
  const tput = (list: RoundFigure[]) => round(median(list.map((figure) => figure.throughput)));
  const p99 = (list: RoundFigure[]) => round(median(list.map((figure) => figure.p99Ms)));
  return {
    keysRequested: config.scaleKeys,
    keysCreated: created,
    keysListed: keyIds.length,
    createKey: {
      perSecond: round(creation.result.throughput),
      seconds: round(creation.result.elapsedMs / 1000),
      concurrency: 128,
      p99Ms: round(creation.result.p99Ms),
      serverCpuUsPerRequest: round((creation.figure.serverCpuSeconds / Math.max(1, created)) * 1e6),
      errors: creation.result.errors,
    },
    rssBeforeRestartMiB: round(rssBeforeRestart),
    restart: { answeredMs: round(first.answeredMs), listeningMs: round(first.listeningMs), rssIdleMiB: round(first.rssIdleMiB), rssAfterLoadMiB: round(rssAfterLoad) },
    coldEncrypt: { keys: spread.length, perSecond: round(cold.result.throughput), p99Ms: round(cold.result.p99Ms) },
    spreadEncrypt: { keys: spread.length, perSecond: tput(rounds.bigEncrypt), p99Ms: p99(rounds.bigEncrypt), smallStorePerSecond: tput(rounds.smallEncrypt), ratio: perRound(rounds.bigEncrypt, rounds.smallEncrypt) },
    mixed: { perSecond: tput(rounds.bigMixed), p99Ms: p99(rounds.bigMixed), smallStorePerSecond: tput(rounds.smallMixed), ratio: perRound(rounds.bigMixed, rounds.smallMixed) },
    boundedCache: {
      keyCacheSize: 1000,
      answeredMs: round(bounded.answeredMs),
      rssIdleMiB: round(bounded.rssIdleMiB),
      rssAfterLoadMiB: round(boundedRss),
      spreadEncryptPerSecond: tput(boundedRounds),
      p99Ms: p99(boundedRounds),
    },
    smallStoreEncryptSingleKey: figureOf("encrypt-32", "kmsd")?.throughput,
  };
}

function supports(subject: Subject, operation: Operation): boolean {
  if (subject.operations && !subject.operations.has(operation.id)) return false;
  return subject.capability === "full" || operation.needs === "symmetric";
}

function shuffle<T>(list: T[]): T[] {
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [list[i], list[j]] = [list[j] as T, list[i] as T];
  }
  return list;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "";
}

function gitDescription(): string | null {
  try {
    const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "src"], { cwd: ROOT, encoding: "utf8" }).trim() !== "";
    return dirty ? `${commit} + uncommitted changes in src/` : commit;
  } catch {
    return null;
  }
}

try {
  await main();
} catch (error) {
  exitCode = 1;
  process.stderr.write(`bench: could not run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  for (const subject of subjects) {
    const tail = subject.server.stderrTail().trim();
    if (tail) process.stderr.write(`--- ${subject.label} stderr (last lines) ---\n${tail.split("\n").slice(-10).join("\n")}\n`);
  }
} finally {
  await stopAll(subjects).catch(() => undefined);
  await generator.close();
  killAllChildren();
}
process.exitCode = exitCode;
