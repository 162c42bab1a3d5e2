/**
 * Test harness: starts a real kmsd process (the built `bin/kmsd.mjs`) on a free
 * loopback port with a temporary data directory, and hands out SDK clients for it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { request as httpRequest, type Agent, type IncomingHttpHeaders } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KMSClient } from "@aws-sdk/client-kms";
import { Hash } from "@smithy/hash-node";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { parseListeningLine, type ListeningLine } from "../../src/cli/listeningLine.ts";
import { readCredentialsFile } from "../../src/credentialsFile.ts";

export { parseListeningLine, type ListeningLine } from "../../src/cli/listeningLine.ts";
export { readCredentialsFile as readCredentials } from "../../src/credentialsFile.ts";

/** The kmsd command of this checkout. */
export const BIN = new URL("../../bin/kmsd.mjs", import.meta.url).pathname;

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
  /** `viaService` (a `--dev` server only) makes the client's calls claim an integrated service (kms:ViaService). */
  kms(options?: { region?: string; credentials?: Credentials; viaService?: string }): KMSClient;
  /** Moves the server clock forward (a `--dev` server only); resolves to the new time. */
  advanceClock(seconds: number): Promise<{ now: string; epochSeconds: number }>;
  /** Stops the process gracefully (SIGTERM). */
  stop(): Promise<void>;
  /** Kills the process at once (SIGKILL), as a crash would. */
  kill(): Promise<void>;
  /** Stops the process and removes its data directory. */
  dispose(): Promise<void>;
}

/**
 * Starts `kmsd serve --dev --workers N`; returns once the node's "listening" line is out
 * and every worker's own (debug) "listening" line too.
 */
export async function startKmsdWorkers(workers: number, args: string[] = []): Promise<Kmsd> {
  const kmsd = await startKmsd({ dev: true, args: ["--workers", String(workers), "--log-level", "debug", ...args] });
  const deadline = Date.now() + 10_000;
  while ((kmsd.stderr().match(/"message":"listening"/g) ?? []).length < workers && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return kmsd;
}


/** Starts kmsd; pass `dataDir` to restart on an existing directory, `env` for variables beyond the test's own. */
export async function startKmsd(options: { dataDir?: string; dev?: boolean; args?: string[]; env?: Record<string, string> } = {}): Promise<Kmsd> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "kmsd-test-"));
  // One worker unless a test asks for more: tests reason about one process's timing and crashes.
  const workers = options.args?.includes("--workers") ? [] : ["--workers", "1"];
  // JSON logs whatever KMSD_LOG_FORMAT the developer's shell sets: the harness reads them.
  // AWS's request quotas (CreateKey: 5 a second) would throttle suites that create keys
  // by the dozen; a test of the quotas themselves passes its own --throttling.
  const throttling = options.args?.includes("--throttling") ? [] : ["--throttling", "off"];
  const args = ["serve", "--port", "0", "--data-dir", dataDir, "--log-format", "json", ...workers, ...throttling, ...(options.dev ? ["--dev"] : []), ...(options.args ?? [])];
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...options.env } });
  let stderr = "";
  child.stdout.resume();
  const listening = new Promise<ListeningLine>((resolve, reject) => {
    // Lines already looked at: the request log makes stderr long, and it is scanned only until listening.
    let scanned = 0;
    let listened = false;
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
      if (listened) return;
      // Whole lines only: the last piece may be a line still being written.
      const end = stderr.lastIndexOf("\n");
      if (end < scanned) return;
      for (const line of stderr.slice(scanned, end).split("\n")) {
        const parsed = parseListeningLine(line);
        if (parsed) {
          listened = true;
          resolve(parsed);
        }
      }
      scanned = end + 1;
    });
    child.once("exit", (code) => reject(new Error(`kmsd exited with ${code} before listening:\n${stderr}`)));
  });
  const { port, defaultAccount, url } = await listening;
  const credentials = readCredentialsFile(join(dataDir, "credentials"));
  // https when the server was given a certificate (--tls-cert).
  const endpoint = `${new URL(url).protocol}//127.0.0.1:${port}`;
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
    // Empty while the node listens sealed: its account is in the database the root key unlocks.
    accountId: defaultAccount ?? "",
    stderr: () => stderr,
    kms(clientOptions = {}) {
      const client = new KMSClient({
        endpoint,
        region: clientOptions.region ?? "us-east-1",
        credentials: clientOptions.credentials ?? credentials,
        maxAttempts: 1,
      });
      const viaService = clientOptions.viaService;
      if (viaService !== undefined) {
        client.middlewareStack.add(
          (next) => async (args) => {
            const request = args.request as { headers: Record<string, string> };
            request.headers["x-kmsd-via-service"] = viaService;
            return next(args);
          },
          { step: "build", name: "kmsdViaService" },
        );
      }
      clients.push(client);

      return client;
    },
    async advanceClock(seconds) {
      const response = await rawRequest(endpoint, { path: "/kmsd/dev/clock", body: JSON.stringify({ advanceSeconds: seconds }) });
      if (response.status !== 200) throw new Error(`dev clock answered ${response.status}: ${response.body}`);
      return JSON.parse(response.body) as { now: string; epochSeconds: number };
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


/** Runs the kmsd command line to completion (with `env` added to the environment) and returns its output. */
export async function runKmsdCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
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

/** Root credentials of an account made by `kmsd account create --json`. */
export interface CreatedAccount {
  AccountId: string;
  AccessKeyId: string;
  SecretAccessKey: string;
}

/** Creates an account with the CLI on `dataDir` (a server may be running on it). */
export async function createAccount(dataDir: string): Promise<CreatedAccount> {
  const { code, stdout, stderr } = await runKmsdCli(["account", "create", "--data-dir", dataDir, "--json"]);
  if (code !== 0) throw new Error(`kmsd account create exited with ${code}: ${stderr}`);
  return JSON.parse(stdout) as CreatedAccount;
}

/** The credentials of a created account, as the SDK takes them. */
export function credentialsOf(account: CreatedAccount): Credentials {
  return { accessKeyId: account.AccessKeyId, secretAccessKey: account.SecretAccessKey };
}

/** An HTTP answer, body as text. */
export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body parsed as a JSON object (an AWS error has `__type` and `message`). */
  json(): Record<string, unknown>;
}

/** How to sign a raw request with SigV4 (as the SDK would, but with every input chosen by the test). */
export interface SigningOptions {
  credentials: Credentials;
  region?: string;
  service?: string;
  signingDate?: Date;
}

/** The headers of a request once SigV4-signed as the SDK would sign it (every input chosen by the caller). */
export async function signedHeaders(
  endpoint: string,
  request: { method: string; path: string; headers: Record<string, string>; body: string | Buffer },
  sign: SigningOptions,
): Promise<Record<string, string>> {
  const url = new URL(endpoint);
  const signer = new SignatureV4({
    credentials: sign.credentials,
    region: sign.region ?? "us-east-1",
    service: sign.service ?? "kms",
    sha256: Hash.bind(null, "sha256"),
  });
  const unsigned = new HttpRequest({ ...request, protocol: url.protocol, hostname: url.hostname, port: Number(url.port) });
  const signed = await signer.sign(unsigned, sign.signingDate ? { signingDate: sign.signingDate } : {});
  return signed.headers;
}

/**
 * Sends one HTTP request to kmsd without the SDK, for requests the SDK would never
 * send (bad JSON, wrong member types, odd signatures). POST / by default; with
 * `target` it is a KMS JSON 1.1 request, signed if `sign` is given.
 */
export async function rawRequest(
  endpoint: string,
  options: {
    method?: string;
    path?: string;
    target?: string;
    body?: string | Buffer;
    headers?: Record<string, string>;
    sign?: SigningOptions;
    timeoutMs?: number;
    /** A keep-alive agent for suites that send thousands of requests; a fresh connection per request by default. */
    agent?: Agent;
  } = {},
): Promise<RawResponse> {
  const url = new URL(endpoint);
  const body = options.body ?? "";
  let headers: Record<string, string> = {
    host: url.host,
    "content-length": String(Buffer.byteLength(body)),
    ...(options.target === undefined
      ? {}
      : { "content-type": "application/x-amz-json-1.1", "x-amz-target": options.target }),
    ...options.headers,
  };
  if (options.sign) {
    headers = await signedHeaders(endpoint, { method: options.method ?? "POST", path: options.path ?? "/", headers, body }, options.sign);
  }
  return new Promise<RawResponse>((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, method: options.method ?? "POST", path: options.path ?? "/", headers, agent: options.agent ?? false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json: () => JSON.parse(text) as Record<string, unknown> });
        });
        res.on("error", reject);
      },
    );
    req.setTimeout(options.timeoutMs ?? 10_000, () => req.destroy(new Error("request timed out")));
    req.on("error", reject);
    req.end(body);
  });
}
