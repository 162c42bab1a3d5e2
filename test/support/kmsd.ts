/**
 * Test harness: starts a real kmsd process (the built `bin/kmsd.mjs`) on a free
 * loopback port with a temporary data directory, and hands out SDK clients for it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KMSClient } from "@aws-sdk/client-kms";

const BIN = new URL("../../bin/kmsd.mjs", import.meta.url).pathname;

/** Credentials of one account's root. */
export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** A running kmsd. */
export interface Kmsd {
  endpoint: string;
  port: number;
  dataDir: string;
  process: ChildProcess;
  /** The default account's root credentials, read from `<data-dir>/credentials`. */
  credentials: Credentials;
  accountId: string;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  /** A KMS client for the default account (or the given credentials) in `region`. */
  kms(options?: { region?: string; credentials?: Credentials }): KMSClient;
  /** Stops the process gracefully (SIGTERM). */
  stop(): Promise<void>;
  /** Kills the process at once (SIGKILL), as a crash would. */
  kill(): Promise<void>;
  /** Stops the process and removes its data directory. */
  dispose(): Promise<void>;
}

/** Starts kmsd; pass `dataDir` to restart on an existing directory. */
export async function startKmsd(options: { dataDir?: string; dev?: boolean; args?: string[] } = {}): Promise<Kmsd> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "kmsd-test-"));
  const args = ["serve", "--port", "0", "--data-dir", dataDir, ...(options.dev ? ["--dev"] : []), ...(options.args ?? [])];
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stdout.resume();
  const listening = new Promise<{ port: number; defaultAccount: string }>((resolve, reject) => {
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
      for (const line of stderr.split("\n")) {
        if (!line.includes('"listening"')) continue;
        const parsed = JSON.parse(line) as { port: number; defaultAccount: string };
        resolve(parsed);
      }
    });
    child.once("exit", (code) => reject(new Error(`kmsd exited with ${code} before listening:\n${stderr}`)));
  });
  const { port, defaultAccount } = await listening;
  const credentials = readCredentials(join(dataDir, "credentials"));
  const endpoint = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const clients: KMSClient[] = [];
  const destroyClients = () => clients.splice(0).forEach((client) => client.destroy());
  const stop = async () => {
    destroyClients();
    if (child.exitCode === null) child.kill("SIGTERM");
    await exited;
  };
  return {
    endpoint,
    port,
    dataDir,
    process: child,
    credentials,
    accountId: defaultAccount,
    stderr: () => stderr,
    kms(clientOptions = {}) {
      const client = new KMSClient({
        endpoint,
        region: clientOptions.region ?? "us-east-1",
        credentials: clientOptions.credentials ?? credentials,
        maxAttempts: 1,
      });
      clients.push(client);
      return client;
    },
    stop,
    async kill() {
      destroyClients();
      if (child.exitCode === null) child.kill("SIGKILL");
      await exited;
    },
    async dispose() {
      await stop();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Reads the `[default]` profile of an AWS shared-credentials file. */
export function readCredentials(path: string): Credentials {
  const text = readFileSync(path, "utf8");
  const value = (name: string) => new RegExp(`^${name}\\s*=\\s*(.+)$`, "m").exec(text)?.[1]?.trim() ?? "";
  return { accessKeyId: value("aws_access_key_id"), secretAccessKey: value("aws_secret_access_key") };
}

/** Runs the kmsd command line to completion and returns its output. */
export async function runKmsdCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  return { code, stdout, stderr };
}

/** Asserts that `promise` rejects with an AWS error of type `name` (and, if given, exactly `message`). */
export async function expectAwsError(promise: Promise<unknown>, name: string, message?: string | RegExp): Promise<void> {
  let error: unknown;
  try {
    await promise;
  } catch (caught) {
    error = caught;
  }
  if (error === undefined) throw new Error(`expected ${name}, but the call succeeded`);
  const actual = error as { name?: string; message?: string };
  if (actual.name !== name) throw new Error(`expected ${name}, got ${actual.name}: ${actual.message}`);
  if (message instanceof RegExp ? !message.test(actual.message ?? "") : message !== undefined && actual.message !== message) {
    throw new Error(`expected ${name} message ${String(message)}, got: ${actual.message}`);
  }
}
