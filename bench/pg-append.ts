/**
 * The audit append on PostgreSQL alone: CPU per event of PostgreSQL's processes and of this
 * process (the writer's side), by events per append, for this build and for other builds
 * given as variants, taking turns round by round (medians). Each build appends to a chain of
 * its own, as one node's writer does when no other writer shares its chain.
 *
 *   node bench/pg-append.ts [--sizes=1,4,16] [--rounds=5] [--variant=before=/tmp/old/src/store/postgres/pgAuditStore.ts]
 *
 * CPU time, not throughput: it holds up on a machine that other work keeps busy.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import type { AuditStore } from "../src/store/auditStore.ts";
import { openPgAuditStore } from "../src/store/postgres/pgAuditStore.ts";
import { startCluster } from "../test/support/postgres.ts";
import { encryptAuditBatch } from "./lib/encryptAudit.ts";
import { cpuSeconds, processTree } from "./lib/proc.ts";
import { median, round } from "./lib/stats.ts";

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "1,4,16" },
    rounds: { type: "string", default: "5" },
    variant: { type: "string", multiple: true, default: [] },
  },
  strict: true,
});
const ROUND_MS = 1_000;

/** CPU milliseconds the cluster's processes (the postmaster and its children) used so far. */
function clusterCpuMs(postmaster: number): number {
  return cpuSeconds(processTree(postmaster)) * 1000;
}

interface Build {
  name: string;
  open(url: string): Promise<AuditStore>;
}

async function main(): Promise<void> {
  const builds: Build[] = [{ name: "this build", open: openPgAuditStore }];
  for (const variant of values.variant) {
    const [name, path] = variant.split("=", 2);
    if (!name || !path) throw new Error(`--variant takes name=path/to/pgAuditStore.ts, not ${variant}`);
    const module = (await import(path)) as { openPgAuditStore: Build["open"] };
    builds.push({ name, open: module.openPgAuditStore });
  }
  const cluster = await startCluster({ durable: true });
  const postmaster = Number(readFileSync(`${cluster.dataDir}/postmaster.pid`, "utf8").split("\n")[0]);
  const stores = await Promise.all(builds.map((build) => build.open(cluster.url("postgres"))));
  const sizes = values.sizes.split(",").map(Number);
  const figures = new Map<string, { postgres: number[]; client: number[] }>();
  for (let r = 0; r < Number(values.rounds); r++) {
    for (const size of sizes) {
      const order = builds.map((_, index) => index);
      if (r % 2 === 1) order.reverse();
      for (const index of order) {
        const store = stores[index] as AuditStore;
        const accountId = String(100_000_000_000 + index);
        const postgresBefore = clusterCpuMs(postmaster);
        const clientBefore = process.cpuUsage();
        const start = performance.now();
        let events = 0;
        while (performance.now() - start < ROUND_MS) {
          await store.append(Array.from({ length: size }, () => encryptAuditBatch(accountId)));
          events += size;
        }
        const client = process.cpuUsage(clientBefore);
        const key = `${index}/${size}`;
        const entry = figures.get(key) ?? { postgres: [], client: [] };
        entry.postgres.push(((clusterCpuMs(postmaster) - postgresBefore) * 1000) / events);
        entry.client.push((client.user + client.system) / events);
        figures.set(key, entry);
      }
    }
  }
  process.stdout.write(`PostgreSQL audit append, CPU µs per event (medians of ${values.rounds} rounds of ${ROUND_MS / 1000} s)\n\n`);
  process.stdout.write("| build | events per append | PostgreSQL | this process | sum |\n|---|---:|---:|---:|---:|\n");
  for (const size of sizes) {
    builds.forEach((build, index) => {
      const entry = figures.get(`${index}/${size}`);
      if (!entry) return;
      const postgres = median(entry.postgres);
      const client = median(entry.client);
      process.stdout.write(`| ${build.name} | ${size} | ${round(postgres)} | ${round(client)} | ${round(postgres + client)} |\n`);
    });
  }
  for (const store of stores) await store.close();
}

await main();
process.exit(0);
