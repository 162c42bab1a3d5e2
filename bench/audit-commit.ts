/**
 * The audit writer alone at a fixed request rate, on one CPU: what the durable audit
 * commit costs a request at moderate load, where group commit has little to group.
 * Each simulated request spends --request-cpu µs on the event loop (kmsd's own work),
 * appends one Encrypt event and its key usage, and waits for the commit; requests start
 * on a fixed schedule (open loop, latency from the scheduled start). The process and its
 * writer thread run on CPU 0 (taskset), as in bench/pinned.ts.
 *
 *   npm run build && node bench/audit-commit.ts [--rate=1000] [--seconds=3] [--rounds=4]
 *       [--request-cpu=150] [--dir=/dev/shm] [--variant=before=/tmp/old/dist/src/audit/writer.js]
 *
 * Reported per writer build: transactions per request, process CPU per request (event
 * loop + writer thread), p50/p99/p99.9. Builds take turns round by round.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { encryptAuditBatch } from "./lib/encryptAudit.ts";
import { median, round } from "./lib/stats.ts";
import { Histogram } from "./load/histogram.ts";

const { values } = parseArgs({
  options: {
    rate: { type: "string", default: "1000" },
    seconds: { type: "string", default: "3" },
    rounds: { type: "string", default: "4" },
    "request-cpu": { type: "string", default: "150" },
    variant: { type: "string", multiple: true, default: [] },
    /** Where the audit databases go (e.g. /dev/shm: a disk whose fsync costs nothing, to see the CPU alone). */
    dir: { type: "string", default: tmpdir() },
  },
  strict: true,
});
const RATE = Number(values.rate);
const DURATION_MS = Number(values.seconds) * 1000;
const REQUEST_CPU_MS = Number(values["request-cpu"]) / 1000;

interface Writer {
  append(events: readonly unknown[], usages: readonly unknown[]): Promise<void>;
  close(): Promise<void>;
  readonly stats: { commits: number; events: number };
}
interface WriterModule {
  AuditWriter: { start(path: string): Promise<Writer> };
}

const idle = new Int32Array(new SharedArrayBuffer(4));

function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // the request's own work on the event loop
  }
}

/** One round: requests on a fixed schedule for DURATION_MS; waits for every commit. */
async function round_(writer: Writer): Promise<{ commitsPerRequest: number; cpuUsPerRequest: number; histogram: Histogram }> {
  const histogram = new Histogram();
  const commitsBefore = writer.stats.commits;
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  const total = Math.round((RATE * DURATION_MS) / 1000);
  const waiting: Promise<void>[] = [];
  let issued = 0;
  while (issued < total) {
    const due = start + (issued * 1000) / RATE;
    const now = performance.now();
    if (now < due) {
      // Until the next request is due: sleep in steps of at most 0.2 ms (the CPU is the
      // writer thread's meanwhile), letting the loop turn between them (commits settle).
      // A loop that only turned would spin, and take the writer's CPU on this one core.
      Atomics.wait(idle, 0, 0, Math.min(0.2, due - now));
      await new Promise((resolve) => setImmediate(resolve));
      continue;
    }
    spin(REQUEST_CPU_MS);
    const { events, usages } = encryptAuditBatch();
    waiting.push(writer.append(events, usages).then(() => histogram.record((performance.now() - due) * 1000)));
    issued++;
  }
  await Promise.all(waiting);
  const cpu = process.cpuUsage(cpuBefore);
  return { commitsPerRequest: (writer.stats.commits - commitsBefore) / total, cpuUsPerRequest: (cpu.user + cpu.system) / total, histogram };
}

async function main(): Promise<void> {
  // The event loop and the writer thread share one CPU, as kmsd's do in the pinned benchmark.
  execFileSync("taskset", ["-a", "-p", "-c", "0", String(process.pid)], { stdio: "ignore" });
  const builds: { name: string; module: WriterModule }[] = [{ name: "this build", module: (await import("../src/audit/writer.ts")) as unknown as WriterModule }];
  for (const variant of values.variant) {
    const [name, path] = variant.split("=", 2);
    if (!name || !path) throw new Error(`--variant takes name=path/to/writer.js, not ${variant}`);
    builds.push({ name, module: (await import(path)) as WriterModule });
  }
  const dir = mkdtempSync(join(values.dir, "kmsd-audit-commit-"));
  try {
    const writers = await Promise.all(builds.map((build, index) => build.module.AuditWriter.start(join(dir, `audit-${index}.db`))));
    const results = builds.map(() => [] as Awaited<ReturnType<typeof round_>>[]);
    for (let r = 0; r < Number(values.rounds); r++) {
      const order = builds.map((_, index) => index);
      if (r % 2 === 1) order.reverse();
      for (const index of order) results[index]?.push(await round_(writers[index] as Writer));
    }
    process.stdout.write(`${RATE} requests/s of ${REQUEST_CPU_MS * 1000} µs each, ${values.rounds} rounds of ${DURATION_MS / 1000} s, one CPU\n\n`);
    process.stdout.write("| writer | transactions/request | CPU µs/request | p50 ms | p99 ms | p99.9 ms |\n|---|---:|---:|---:|---:|---:|\n");
    builds.forEach((build, index) => {
      const rounds = results[index] ?? [];
      const histogram = new Histogram();
      for (const entry of rounds) histogram.merge(entry.histogram);
      process.stdout.write(
        `| ${build.name} | ${round(median(rounds.map((entry) => entry.commitsPerRequest)))} | ${round(median(rounds.map((entry) => entry.cpuUsPerRequest)))} | ` +
          `${round(histogram.quantile(0.5) / 1000)} | ${round(histogram.quantile(0.99) / 1000)} | ${round(histogram.quantile(0.999) / 1000)} |\n`,
      );
    });
    for (const writer of writers) await writer.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
