/**
 * `kmsd/testing`: a throwaway kmsd for another project's tests. `startKmsd()` runs
 * `kmsd serve --ephemeral --dev` on a free loopback port in a child process and resolves
 * with what an AWS SDK client needs; `stop()` ends it and its temporary directory is gone.
 *
 *   import { startKmsd } from "kmsd/testing";
 *   const kmsd = await startKmsd();
 *   const kms = new KMSClient({ endpoint: kmsd.endpoint, region: kmsd.region, credentials: kmsd.credentials });
 *
 * Importing it loads nothing of the server into the test process (node: modules and two
 * small readers only).
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { parseListeningLine, type ListeningLine } from "./cli/listeningLine.ts";
import { readCredentialsFile } from "./credentialsFile.ts";

/** A running throwaway kmsd. */
export interface TestKmsd {
  /** `http://127.0.0.1:PORT`: the SDK's `endpoint`, the CLI's `--endpoint-url`, `AWS_ENDPOINT_URL`. */
  endpoint: string;
  /** The region its credentials are for (any region works: keys are scoped to the one a request is signed for). */
  region: string;
  /** The default account's root credentials. */
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** The default account's id. */
  accountId: string;
  /** Empties every account (or the one given) back to its first-start state: no keys, aliases, grants or IAM entities. */
  reset(accountId?: string): Promise<void>;
  /** Stops kmsd (SIGTERM) and waits until it has exited and removed its directory. */
  stop(): Promise<void>;
}

/** How to start it. */
export interface StartOptions {
  /** Worker processes (default 1). */
  workers?: number;
  /** More `kmsd serve` arguments (`--log-requests=false`, `--default-account 111122223333`...). */
  args?: readonly string[];
  /** How long to wait for it to listen (default 30 s). */
  timeoutMs?: number;
}

const BIN = new URL("../../bin/kmsd.mjs", import.meta.url).pathname;
const REGION = "us-east-1";

/** Starts a throwaway kmsd (`--ephemeral --dev` on 127.0.0.1, a free port). */
export async function startKmsd(options: StartOptions = {}): Promise<TestKmsd> {
  const args = ["serve", "--ephemeral", "--dev", "--host", "127.0.0.1", "--port", "0", "--log-format", "json", "--workers", String(options.workers ?? 1), ...(options.args ?? [])];
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "ignore", "pipe"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  // The last lines kmsd wrote, to explain a failed start; stderr is drained for as long as it runs.
  const recent: string[] = [];
  const listening = new Promise<ListeningLine>((resolve, reject) => {
    let partial = "";
    child.stderr.on("data", (chunk: Buffer) => {
      const lines = (partial + chunk.toString("utf8")).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) {
        recent.push(line);
        if (recent.length > 50) recent.shift();
        const parsed = parseListeningLine(line);
        if (parsed) resolve(parsed);
      }
    });
    child.once("exit", (code) => reject(new Error(`kmsd exited with ${code} before listening:\n${recent.join("\n")}`)));
    setTimeout(() => reject(new Error(`kmsd did not listen within ${options.timeoutMs ?? 30_000} ms:\n${recent.join("\n")}`)), options.timeoutMs ?? 30_000).unref();
  });
  let started: ListeningLine & { defaultAccount: string };
  try {
    const line = await listening;
    // A sealed node (a KMSD_SEAL from the environment) has no account to hand out yet.
    if (line.defaultAccount === undefined) throw new Error(`kmsd started sealed (seal mode ${line.seal}); kmsd/testing needs the file seal mode`);
    started = { ...line, defaultAccount: line.defaultAccount };
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
  };
  return {
    endpoint: started.url,
    region: REGION,
    credentials: readCredentialsFile(join(started.dataDir, "credentials")),
    accountId: started.defaultAccount,
    reset: (accountId) => reset(started.url, accountId),
    stop,
  };
}

/** `POST /kmsd/dev/reset`, optionally for one account. */
async function reset(endpoint: string, accountId: string | undefined): Promise<void> {
  const response = await fetch(`${endpoint}/kmsd/dev/reset`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(accountId === undefined ? {} : { AccountId: accountId }),
  });
  if (!response.ok) throw new Error(`kmsd reset failed: ${response.status} ${await response.text()}`);
}
