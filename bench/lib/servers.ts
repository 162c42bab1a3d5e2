/**
 * The servers the benchmark drives, each a child process on a loopback port: kmsd (built
 * tree, temporary data directory, --dev), the minimal baseline server, and moto. Every
 * child is stopped at the end, on an error and on Ctrl-C.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Credentials } from "../load/signing.ts";
import { KmsClient } from "./kmsClient.ts";
import { parseListeningLine } from "../../src/cli/listeningLine.ts";
import { readCredentialsFile } from "../../src/credentialsFile.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const KMSD_BIN = join(ROOT, "bin/kmsd.mjs");
const MINIMAL = join(ROOT, "bench/baseline/minimalServer.ts");
export const HOST = "127.0.0.1";

export interface RunningServer {
  name: string;
  host: string;
  port: number;
  pid: number;
  credentials: Credentials;
  /** The data directory (kmsd only). */
  dataDir?: string;
  /** Milliseconds from spawn to the "listening" log line (or to the first answer, for moto). */
  listeningMs: number;
  /** Stops the process (SIGTERM, then SIGKILL after 10 s); removes its data directory unless kept. */
  stop(options?: { keepDataDir?: boolean }): Promise<void>;
  /** The last lines the process wrote to stderr. */
  stderrTail(): string;
}

const children = new Set<ChildProcess>();
/** Temporary data directories not yet removed. */
const temporaryDirs = new Set<string>();

/** Kills every child still running and removes the temporary data directories (on exit, on an error, on Ctrl-C). */
export function killAllChildren(): void {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  for (const dir of temporaryDirs) rmSync(dir, { recursive: true, force: true });
  temporaryDirs.clear();
}
process.once("exit", killAllChildren);

function track(child: ChildProcess): { exited: Promise<void>; tail: () => string } {
  children.add(child);
  let tail = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    tail = (tail + chunk.toString("utf8")).slice(-8192);
  });
  child.stdout?.resume();
  const exited = new Promise<void>((resolve) =>
    child.once("exit", () => {
      children.delete(child);
      resolve();
    }),
  );
  return { exited, tail: () => tail };
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Waits for the JSON listening line on stderr; resolves with its port. */
function listeningPort(child: ChildProcess, name: string, timeoutMs: number, tail: () => string): Promise<number> {
  return new Promise((resolve, reject) => {
    let buffer = "";
    const timer = setTimeout(() => reject(new Error(`${name} did not start listening within ${timeoutMs} ms:\n${tail()}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString("utf8");
      let newline: number;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        // Today's "kmsd 0.1.0 listening on ..." line, or the per-worker "listening" of older builds.
        if (!line.includes('"listening"') && parseListeningLine(line) === undefined) continue;
        try {
          const port = (JSON.parse(line) as { port?: number }).port;
          if (typeof port === "number" && port > 0) {
            clearTimeout(timer);
            child.stderr?.off("data", onData);
            resolve(port);
          }
        } catch {
          // not JSON: keep reading
        }
      }
    };
    child.stderr?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before listening:\n${tail()}`));
    });
  });
}

/** What this build of kmsd offers that the benchmark can use. */
export interface KmsdFeatures {
  /** `serve --workers N` exists. */
  workers: boolean;
  /** Arguments that turn the audit trail off, if there is such a switch (found by probing). */
  auditOffArgs: string[] | null;
  /** Audit-related option names seen in src/config.ts or the help text. */
  auditOptions: string[];
  /** Whether the built tree is there. */
  built: boolean;
}

/** Reads src/config.ts and `kmsd help serve` to see which options this build has. */
export function detectKmsdFeatures(): KmsdFeatures {
  const built = existsSync(join(ROOT, "dist/src/cli/main.js"));
  let config = "";
  try {
    config = readFileSync(join(ROOT, "src/config.ts"), "utf8");
  } catch {
    // no source: rely on the help text
  }
  const help = built ? spawnSync(process.execPath, [KMSD_BIN, "help", "serve"], { encoding: "utf8", timeout: 30_000 }) : undefined;
  const helpText = `${help?.stdout ?? ""}\n${help?.stderr ?? ""}`;
  const optionNames = new Set<string>();
  for (const match of config.matchAll(/["']?([a-z][a-z0-9-]*)["']?\s*:\s*\{\s*type:\s*["'](?:string|boolean)["']/g)) optionNames.add(match[1] as string);
  for (const match of helpText.matchAll(/--([a-z][a-z0-9-]*)/g)) optionNames.add(match[1] as string);
  const auditOptions = [...optionNames].filter((name) => name.includes("audit"));
  return { workers: optionNames.has("workers"), auditOffArgs: null, auditOptions, built };
}

/** Candidate argument lists that might turn the audit trail off, most likely first. */
export function auditOffCandidates(auditOptions: string[]): string[][] {
  const candidates: string[][] = [];
  let config = "";
  try {
    config = readFileSync(join(ROOT, "src/config.ts"), "utf8");
  } catch {
    // none
  }
  for (const name of auditOptions) {
    if (/^(no-|disable-)/.test(name)) candidates.push([`--${name}`]);
  }
  for (const name of auditOptions) {
    if (/^(no-|disable-)/.test(name) || /dir|path|file|size|bytes|interval|ms|retention/.test(name)) continue;
    const values = ["off", "none", "disabled", "false", "0"];
    // Values the source spells out for this option go first.
    values.sort((a, b) => Number(config.includes(`"${b}"`)) - Number(config.includes(`"${a}"`)));
    for (const value of values) candidates.push([`--${name}`, value]);
  }
  return candidates;
}

export interface KmsdOptions {
  name?: string;
  /** An existing data directory (a restart); a fresh temporary one otherwise. */
  dataDir?: string;
  port?: number;
  args?: string[];
  /** Options for node itself (e.g. --cpu-prof), before the script. */
  nodeArgs?: string[];
  timeoutMs?: number;
  /** Another build's bin/kmsd.mjs (a before/after comparison in one run). */
  bin?: string;
  /** A command the server runs under, e.g. `taskset -c 0` (its threads and children inherit the affinity). */
  launcher?: string[];
}

/** The command line of a node script under an optional launcher. */
function commandLine(launcher: string[], nodeArgs: string[]): [string, string[]] {
  const [command, ...prefix] = launcher;
  return command === undefined ? [process.execPath, nodeArgs] : [command, [...prefix, process.execPath, ...nodeArgs]];
}

/**
 * AWS's request quotas (CreateKey 50/s, cryptographic operations 20,000/s...) and the key
 * count quota would measure the quotas, not kmsd: the benchmark lifts them, as the tests do.
 */
const UNLIMITED = ["--throttling", "off", "--resource-quotas", "keys=100000000"];

/** Starts kmsd from the built tree. */
export async function startKmsd(options: KmsdOptions = {}): Promise<RunningServer> {
  const name = options.name ?? "kmsd";
  const fresh = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "kmsd-bench-"));
  temporaryDirs.add(dataDir);
  const started = performance.now();
  const child = spawn(
    ...commandLine(options.launcher ?? [], [...(options.nodeArgs ?? []), options.bin ?? KMSD_BIN, "serve", "--host", HOST, "--port", String(options.port ?? 0), "--data-dir", dataDir, "--dev", ...UNLIMITED, ...(options.args ?? [])]),
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const { exited, tail } = track(child);
  let port: number;
  try {
    port = await listeningPort(child, name, options.timeoutMs ?? 60_000, tail);
  } catch (error) {
    await stopChild(child, exited);
    if (fresh) {
      rmSync(dataDir, { recursive: true, force: true });
      temporaryDirs.delete(dataDir);
    }
    throw error;
  }
  const listeningMs = performance.now() - started;
  const credentials: Credentials = readCredentialsFile(join(dataDir, "credentials"));
  // With several worker processes, "listening" may come before every one of them is: wait for an answer.
  const probe = new KmsClient(HOST, port, credentials);
  try {
    const deadline = performance.now() + 15_000;
    for (;;) {
      try {
        await probe.call("ListKeys", { Limit: 1 }, 2000);
        break;
      } catch (error) {
        if (performance.now() > deadline || child.exitCode !== null) {
          await stopChild(child, exited);
          throw new Error(`${name} listens but does not answer: ${String(error)}\n${tail()}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  } finally {
    probe.close();
  }
  return {
    name,
    host: HOST,
    port,
    pid: child.pid as number,
    credentials,
    dataDir,
    listeningMs,
    async stop(stopOptions = {}) {
      await stopChild(child, exited);
      if (!stopOptions.keepDataDir) {
        rmSync(dataDir, { recursive: true, force: true });
        temporaryDirs.delete(dataDir);
      }
    },
    stderrTail: tail,
  };
}

/** Tries each candidate; returns the first arguments kmsd starts with (and answers with), or null. */
export async function probeArgs(candidates: string[][]): Promise<string[] | null> {
  for (const args of candidates) {
    try {
      const server = await startKmsd({ name: `kmsd ${args.join(" ")}`, args, timeoutMs: 20_000 });
      const client = new KmsClient(server.host, server.port, server.credentials);
      try {
        await client.call("ListKeys", { Limit: 1 });
        return args;
      } finally {
        client.close();
        await server.stop();
      }
    } catch {
      // not this one
    }
  }
  return null;
}

/** The minimal-server baseline (bench/baseline/minimalServer.ts). */
export async function startMinimal(workers = 1, nodeArgs: string[] = [], launcher: string[] = []): Promise<RunningServer> {
  const credentials = { accessKeyId: "AKIABENCHMINIMAL0001", secretAccessKey: "bench-minimal-secret-key" };
  const child = spawn(...commandLine(launcher, [...nodeArgs, MINIMAL, "--port", "0", "--workers", String(workers)]), {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, BENCH_ACCESS_KEY_ID: credentials.accessKeyId, BENCH_SECRET_ACCESS_KEY: credentials.secretAccessKey },
  });
  const { exited, tail } = track(child);
  const started = performance.now();
  const port = await listeningPort(child, "minimal server", 30_000, tail).catch(async (error: unknown) => {
    await stopChild(child, exited);
    throw error;
  });
  return {
    name: workers > 1 ? `minimal ×${workers}` : "minimal",
    host: HOST,
    port,
    pid: child.pid as number,
    credentials,
    listeningMs: performance.now() - started,
    stop: () => stopChild(child, exited),
    stderrTail: tail,
  };
}

/** A free loopback port (for servers that cannot report the one they chose). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** Whether `python3 -m moto.server` can run here. */
export function motoAvailable(): { available: boolean; version?: string; reason?: string } {
  const probe = spawnSync("python3", ["-c", "import moto, importlib.metadata as m; print(m.version('moto'))"], { encoding: "utf8", timeout: 30_000 });
  if (probe.error) return { available: false, reason: `python3: ${probe.error.message}` };
  if (probe.status !== 0) return { available: false, reason: (probe.stderr || "import moto failed").trim().split("\n").pop() ?? "import moto failed" };
  return { available: true, version: probe.stdout.trim() };
}

/** moto's server on a free loopback port; ready once it answers ListKeys. */
export async function startMoto(): Promise<RunningServer> {
  const port = await freePort();
  const credentials = { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" };
  const started = performance.now();
  const child = spawn("python3", ["-m", "moto.server", "-H", HOST, "-p", String(port)], { stdio: ["ignore", "pipe", "pipe"] });
  const { exited, tail } = track(child);
  const client = new KmsClient(HOST, port, credentials);
  try {
    const deadline = performance.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`moto exited with ${child.exitCode}:\n${tail()}`);
      try {
        await client.call("ListKeys", { Limit: 1 }, 2000);
        break;
      } catch (error) {
        if (performance.now() > deadline) throw new Error(`moto did not answer within 60 s: ${String(error)}\n${tail()}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } catch (error) {
    await stopChild(child, exited);
    throw error;
  } finally {
    client.close();
  }
  return {
    name: "moto",
    host: HOST,
    port,
    pid: child.pid as number,
    credentials,
    listeningMs: performance.now() - started,
    stop: () => stopChild(child, exited),
    stderrTail: tail,
  };
}
