/**
 * The PostgreSQL figures (issue 12), measured in the same run as the SQLite kmsd they are
 * compared with: Encrypt on PostgreSQL ÷ on SQLite at the same worker count (the hot path
 * reads no database, so it should not move), durable CreateKey per second on PostgreSQL,
 * and two nodes on one PostgreSQL ÷ one node, for Encrypt (CPU-bound) and CreateKey
 * (database-bound), with where the cores went.
 *
 * PostgreSQL is a throwaway cluster of the machine's binaries (test/support/postgres.ts),
 * here with fsync on, so CreateKey is durable as a deployment runs it. Every round runs
 * each side back to back, alternating which goes first; figures are medians of the rounds
 * and ratios medians of the per-round ratios.
 */
import { LoadGenerator, type LoadResult } from "../load/generator.ts";
import type { CallSpec } from "../load/signing.ts";
import { startCluster } from "../../test/support/postgres.ts";
import { KmsClient } from "./kmsClient.ts";
import { cpuSeconds, machineBusySeconds, processTree } from "./proc.ts";
import { startKmsd, type RunningServer } from "./servers.ts";
import { median, round } from "./stats.ts";
import { OPERATIONS, prepareFixture, type Fixture } from "./workloads.ts";

/** One side of a comparison: the median rate and what it cost the machine. */
export interface PostgresSide {
  /** Requests per second, median of the rounds. */
  throughput: number;
  rounds: number[];
  errors: number;
  /** Cores the kmsd processes used (CPU seconds per second), median of the rounds. */
  kmsdCores: number;
  /** Cores the whole machine used meanwhile (PostgreSQL, the load generator and anything else included). */
  machineCores: number;
}

/** One comparison: a ÷ b per round, and its median. */
export interface PostgresComparison {
  a: PostgresSide;
  b: PostgresSide;
  ratio: number;
  ratioRounds: number[];
}

export interface PostgresReport {
  /** Worker processes per kmsd node (the SQLite kmsd has as many). */
  workers: number;
  rounds: number;
  /** Encrypt 32 B: a = PostgreSQL node, b = SQLite kmsd. */
  encrypt: PostgresComparison;
  /** CreateKey: a = PostgreSQL node, b = SQLite kmsd (both durable). */
  createKey: PostgresComparison;
  /** Two nodes (each `concurrency` in flight) ÷ one node (twice that in flight), same database. */
  twoNodesEncrypt: PostgresComparison;
  twoNodesCreateKey: PostgresComparison;
}

export interface PostgresPhaseOptions {
  /** The SQLite kmsd of the main run (same worker count), with its fixture. */
  sqlite: { server: RunningServer; fixture: Fixture };
  /** Arguments giving a node its worker count (as the SQLite kmsd was started with). */
  workerArgs: string[];
  workers: number;
  rounds: number;
  durationMs: number;
  warmupMs: number;
  concurrency: number;
  pool: number;
  threads: number;
  say: (line: string) => void;
}

interface Load {
  server: RunningServer;
  calls: CallSpec[];
  concurrency: number;
}

interface Measured {
  throughput: number;
  errors: number;
  kmsdCores: number;
  machineCores: number;
}

/** Runs the PostgreSQL comparisons; throws if PostgreSQL or a node cannot start (the caller notes it). */
export async function postgresPhase(options: PostgresPhaseOptions): Promise<PostgresReport> {
  const { say } = options;
  const cluster = await startCluster({ durable: true });
  const database = cluster.url("postgres");
  const nodeArgs = [...options.workerArgs, "--database", database];
  const generators = [new LoadGenerator(options.threads), new LoadGenerator(options.threads)] as const;
  const nodes: RunningServer[] = [];
  try {
    const first = await startKmsd({ name: "kmsd on PostgreSQL (node 1)", args: nodeArgs });
    nodes.push(first);
    // The second node shares the first's data directory: its root key and the default account's credentials.
    nodes.push(await startKmsd({ name: "kmsd on PostgreSQL (node 2)", dataDir: first.dataDir, args: nodeArgs }));
    const [node1, node2] = nodes as [RunningServer, RunningServer];
    const client = new KmsClient(node1.host, node1.port, node1.credentials);
    let fixture: Fixture;
    try {
      fixture = await prepareFixture(client, "symmetric", { ciphertexts: Math.min(options.pool, 256), mixedKeys: 1 });
    } finally {
      client.close();
    }
    say(`PostgreSQL: two nodes on ${database.replace(/\/\/[^@]*@/, "//")}, ${options.workers} worker(s) each`);

    const calls = (id: string, on: Fixture) => {
      const operation = OPERATIONS.find((candidate) => candidate.id === id);
      if (!operation) throw new Error(`no operation ${id}`);
      return operation.calls(on, options.pool);
    };
    const c = options.concurrency;
    const run = async (loads: readonly Load[], warm: boolean): Promise<Measured> => {
      const pids = loads.flatMap((load) => processTree(load.server.pid));
      if (warm && options.warmupMs > 0) {
        await Promise.all(loads.map((load, index) => generators[index]?.run(load.server, { calls: load.calls, concurrency: load.concurrency, warmupMs: 0, durationMs: options.warmupMs, maxRequests: 0 })));
      }
      const kmsdBefore = cpuSeconds(pids);
      const busyBefore = machineBusySeconds();
      const wallBefore = performance.now();
      const results = (await Promise.all(
        loads.map((load, index) => generators[index]?.run(load.server, { calls: load.calls, concurrency: load.concurrency, warmupMs: 0, durationMs: options.durationMs })),
      )) as LoadResult[];
      const wall = (performance.now() - wallBefore) / 1000;
      return {
        throughput: results.reduce((sum, result) => sum + result.throughput, 0),
        errors: results.reduce((sum, result) => sum + result.errors, 0),
        kmsdCores: (cpuSeconds(pids) - kmsdBefore) / wall,
        machineCores: (machineBusySeconds() - busyBefore) / wall,
      };
    };
    /** Rounds of a against b, alternating which goes first. */
    const compare = async (label: string, a: readonly Load[], b: readonly Load[]): Promise<PostgresComparison> => {
      const sides: [Measured[], Measured[]] = [[], []];
      for (let r = 0; r < options.rounds; r++) {
        const order = r % 2 === 0 ? ([0, 1] as const) : ([1, 0] as const);
        for (const side of order) sides[side].push(await run(side === 0 ? a : b, r < 2));
      }
      const summary = (measured: Measured[]): PostgresSide => ({
        throughput: round(median(measured.map((m) => m.throughput))),
        rounds: measured.map((m) => round(m.throughput)),
        errors: measured.reduce((sum, m) => sum + m.errors, 0),
        kmsdCores: round(median(measured.map((m) => m.kmsdCores))),
        machineCores: round(median(measured.map((m) => m.machineCores))),
      });
      const ratioRounds = sides[0].map((m, index) => round(m.throughput / (sides[1][index]?.throughput ?? Number.NaN)));
      const comparison = { a: summary(sides[0]), b: summary(sides[1]), ratio: round(median(ratioRounds)), ratioRounds };
      say(`PostgreSQL ${label}: ${comparison.a.throughput}/s ÷ ${comparison.b.throughput}/s = ${comparison.ratio} (rounds ${ratioRounds.join(", ")})`);
      return comparison;
    };

    const sqlite = options.sqlite;
    const encrypt = await compare(
      "Encrypt, PostgreSQL ÷ SQLite",
      [{ server: node1, calls: calls("encrypt-32", fixture), concurrency: c }],
      [{ server: sqlite.server, calls: calls("encrypt-32", sqlite.fixture), concurrency: c }],
    );
    const twoNodesEncrypt = await compare(
      "Encrypt, two nodes ÷ one",
      [
        { server: node1, calls: calls("encrypt-32", fixture), concurrency: c },
        { server: node2, calls: calls("encrypt-32", fixture), concurrency: c },
      ],
      [{ server: node1, calls: calls("encrypt-32", fixture), concurrency: 2 * c }],
    );
    // CreateKey last: it grows the stores.
    const createKey = await compare(
      "CreateKey, PostgreSQL ÷ SQLite",
      [{ server: node1, calls: calls("create-key", fixture), concurrency: c }],
      [{ server: sqlite.server, calls: calls("create-key", sqlite.fixture), concurrency: c }],
    );
    const twoNodesCreateKey = await compare(
      "CreateKey, two nodes ÷ one",
      [
        { server: node1, calls: calls("create-key", fixture), concurrency: c },
        { server: node2, calls: calls("create-key", fixture), concurrency: c },
      ],
      [{ server: node1, calls: calls("create-key", fixture), concurrency: 2 * c }],
    );
    return { workers: options.workers, rounds: options.rounds, encrypt, createKey, twoNodesEncrypt, twoNodesCreateKey };
  } finally {
    // Node 2 shares node 1's data directory: it goes first and leaves it.
    await nodes[1]?.stop({ keepDataDir: true }).catch(() => undefined);
    await nodes[0]?.stop().catch(() => undefined);
    await Promise.all(generators.map((generator) => generator.close()));
    cluster.stop();
  }
}
