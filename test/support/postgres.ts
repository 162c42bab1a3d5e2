/**
 * A throwaway PostgreSQL for the tests: one cluster per test process, made from the
 * machine's PostgreSQL binaries (initdb + pg_ctl) in a temporary directory, listening on
 * a free loopback port and on a Unix socket in that directory, no system service. It
 * starts on first use and is stopped (and its directory removed) when the process exits.
 * Each test gets a fresh database of its own (`freshDatabase`, CREATE DATABASE ... TEMPLATE).
 *
 * initdb takes about 2 s, so its result is kept once per machine (a data directory in the
 * temp dir, keyed by the binaries' version) and copied for each cluster (~0.1 s).
 * PostgreSQL refuses to run as root: when the tests run as root, the cluster runs as the
 * `postgres` user (Debian's package creates it), else as `nobody`.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, chownSync, cpSync, existsSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

/** Where the Debian packages put the binaries, newest first; KMSD_PG_BIN overrides. */
const BIN_CANDIDATES = ["/usr/lib/postgresql/17/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/14/bin"];

/** The superuser initdb creates; the cluster trusts loopback connections, so it needs no password. */
const SUPERUSER = "kmsd";

/** A running throwaway cluster. */
export interface PostgresCluster {
  port: number;
  /** The data directory (pg_ctl's -D). */
  dataDir: string;
  /** A URL for `database` on this cluster. */
  url(database: string): string;
  /** Stops the server (fast shutdown) without removing anything: `start` brings it back on the same port. */
  stop(): void;
  start(): void;
}

let cluster: PostgresCluster | undefined;
let databaseCounter = 0;

/** The directory holding initdb, pg_ctl and postgres. */
export function postgresBinDir(): string {
  const fromEnv = process.env.KMSD_PG_BIN;
  if (fromEnv) return fromEnv;
  const found = BIN_CANDIDATES.find((dir) => existsSync(join(dir, "pg_ctl")));
  if (!found) throw new Error(`PostgreSQL binaries not found (looked in ${BIN_CANDIDATES.join(", ")}; set KMSD_PG_BIN)`);
  return found;
}

/** The cluster of this test process, started on first call. */
export async function postgres(): Promise<PostgresCluster> {
  cluster ??= await startCluster();
  return cluster;
}

/**
 * The URL of a new, empty database on this process's cluster. CREATE DATABASE takes about
 * 0.4 s here (it copies template0 and checkpoints), so the next one is made while the
 * caller's test runs.
 */
export async function freshDatabase(): Promise<string> {
  const url = await (spareDatabase ?? createDatabase());
  spareDatabase = createDatabase();
  spareDatabase.catch(() => undefined); // a failure surfaces at the next call, which awaits it
  return url;
}

let spareDatabase: Promise<string> | undefined;

async function createDatabase(): Promise<string> {
  const server = await postgres();
  databaseCounter += 1;
  const name = `kmsd_test_${process.pid}_${databaseCounter}`;
  const client = new pg.Client({ connectionString: server.url("postgres") });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name} TEMPLATE template0 STRATEGY FILE_COPY`);
  } finally {
    await client.end();
  }
  return server.url(name);
}

/**
 * Starts a cluster of its own (stopped and removed when the process exits). `durable`:
 * with fsync, as a deployment runs it (the benchmark's durable figures); tests need none.
 */
export async function startCluster(settings: { durable?: boolean } = {}): Promise<PostgresCluster> {
  const bin = postgresBinDir();
  const owner = clusterOwner();
  const dir = mkdtempSync(join(tmpdir(), "kmsd-pg-"));
  const dataDir = join(dir, "data");
  cpSync(initializedTemplate(bin, owner), dataDir, { recursive: true });
  chmodSync(dataDir, 0o700); // postgres refuses a data directory others may read
  if (owner) chownTree(dir, owner);
  const port = await freePort();
  const options = [
    `-p ${port}`,
    `-k ${dir}`,
    "-c listen_addresses=127.0.0.1",
    // A test cluster is thrown away: no fsync (the tests that kill kmsd never kill PostgreSQL).
    ...(settings.durable ? [] : ["-c fsync=off", "-c full_page_writes=off"]),
    "-c max_connections=300",
    "-c shared_buffers=32MB",
  ].join(" ");
  const pgCtl = (...args: string[]) => runAs(owner, join(bin, "pg_ctl"), ["-D", dataDir, ...args]);
  const start = () => pgCtl("-o", options, "-l", join(dir, "postgres.log"), "-w", "-t", "30", "start");
  process.once("exit", () => {
    spawnSync(...commandAs(owner, join(bin, "pg_ctl"), ["-D", dataDir, "-m", "immediate", "-w", "stop"]), { stdio: "ignore" });
    rmSync(dir, { recursive: true, force: true });
  });
  start();
  return {
    port,
    dataDir,
    url: (database) => `postgres://${SUPERUSER}@127.0.0.1:${port}/${database}`,
    stop: () => pgCtl("-m", "fast", "-w", "stop"),
    start,
  };
}

/**
 * A data directory initdb made with these binaries, shared by every test process of the
 * machine: made once in a directory of its own, then renamed into place (a rename is atomic,
 * so two processes racing both succeed and one copy wins).
 */
function initializedTemplate(bin: string, owner: string | undefined): string {
  const version = execFileSync(join(bin, "pg_ctl"), ["--version"], { encoding: "utf8" }).match(/\d+(\.\d+)?/)?.[0] ?? "unknown";
  const template = join(tmpdir(), `kmsd-pg-template-${version}-${owner ?? "self"}`);
  if (existsSync(join(template, "PG_VERSION"))) return template;
  const work = mkdtempSync(join(tmpdir(), "kmsd-pg-initdb-"));
  if (owner) chownTree(work, owner);
  const target = join(work, "data");
  runAs(owner, join(bin, "initdb"), ["-D", target, "-A", "trust", "-U", SUPERUSER, "-E", "UTF8", "--locale=C", "--no-sync"]);
  try {
    renameSync(target, template);
  } catch {
    // Another process got there first; its copy is as good.
  }
  rmSync(work, { recursive: true, force: true });
  return template;
}

/** The user the cluster runs as: undefined to run as ourselves (not root). */
function clusterOwner(): string | undefined {
  if (process.getuid?.() !== 0) return undefined;
  return spawnSync("id", ["-u", "postgres"]).status === 0 ? "postgres" : "nobody";
}

function commandAs(owner: string | undefined, command: string, args: string[]): [string, string[]] {
  return owner ? ["runuser", ["-u", owner, "--", command, ...args]] : [command, args];
}

function runAs(owner: string | undefined, command: string, args: string[]): void {
  const [file, argv] = commandAs(owner, command, args);
  const result = spawnSync(file, argv, { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed: ${result.stderr || result.stdout}`);
}

function chownTree(root: string, owner: string): void {
  const uid = Number(execFileSync("id", ["-u", owner], { encoding: "utf8" }));
  const gid = Number(execFileSync("id", ["-g", owner], { encoding: "utf8" }));
  const visit = (path: string): void => {
    chownSync(path, uid, gid);
    if (statSync(path).isDirectory()) for (const entry of readdirSync(path)) visit(join(path, entry));
  };
  visit(root);
}

/** A loopback port nothing listens on now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}
