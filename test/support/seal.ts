/**
 * Helpers for the root-of-trust suites: the `kmsd operator` commands run as an operator
 * would (a share on standard input, never in argv), a node's seal status, and a search of
 * a data directory for secret bytes.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { WrappingKey } from "../../src/crypto/rootKey.ts";
import { readSealRecord } from "../../src/seal/sealFile.ts";
import { ShareCollector } from "../../src/seal/shamir.ts";
import { rawRequest, type Credentials } from "./kmsd.ts";

const BIN = new URL("../../bin/kmsd.mjs", import.meta.url).pathname;

/** What `kmsd operator init --json` prints. */
export interface InitOutput {
  UnsealShares: string[];
  Threshold: number;
  AccountId: string;
  AccessKeyId: string;
  SecretAccessKey: string;
}

/** Runs the kmsd command line with `stdin` as its standard input. */
export async function runCli(args: string[], options: { stdin?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ["pipe", "pipe", "pipe"], env: options.env ?? process.env });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  child.stdin.end(options.stdin ?? "");
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  return { code, stdout, stderr };
}

/** `kmsd operator init` on a new temporary data directory. */
export async function initShamir(shares = 3, threshold = 2): Promise<{ dataDir: string; init: InitOutput }> {
  const dataDir = join(mkdtempSync(join(tmpdir(), "kmsd-seal-")), "data");
  const { code, stdout, stderr } = await runCli(["operator", "init", "--data-dir", dataDir, "--shares", String(shares), "--threshold", String(threshold), "--json"]);
  if (code !== 0) throw new Error(`operator init exited with ${code}: ${stderr}`);
  return { dataDir, init: JSON.parse(stdout) as InitOutput };
}

/** `kmsd operator unseal` with one share on standard input; resolves to the exit status and the parsed answer (or the error text). */
export async function unseal(endpoint: string, share: string): Promise<{ code: number | null; status: Record<string, unknown> | undefined; stderr: string }> {
  const { code, stdout, stderr } = await runCli(["operator", "unseal", "--endpoint", endpoint], { stdin: `${share}\n` });
  return { code, status: code === 0 ? (JSON.parse(stdout) as Record<string, unknown>) : undefined, stderr };
}

/** Submits shares until the node answers Sealed: false. */
export async function unsealWith(endpoint: string, shares: readonly string[]): Promise<void> {
  for (const share of shares) {
    const { code, status, stderr } = await unseal(endpoint, share);
    if (code !== 0) throw new Error(`operator unseal exited with ${code}: ${stderr}`);
    if (status?.Sealed === false) return;
  }
  throw new Error("the shares did not unseal the node");
}

/** `kmsd operator seal`, signed with `credentials` (passed in the environment, never argv). */
export async function seal(endpoint: string, credentials: Credentials): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = { ...process.env, AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey };
  return runCli(["operator", "seal", "--endpoint", endpoint], { env });
}

/** GET /health: its status code and body. */
export async function health(endpoint: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await rawRequest(endpoint, { method: "GET", path: "/health" });
  return { status: response.status, body: response.json() };
}

/** Polls /health until `done` holds (or throws after `timeoutMs`). */
export async function waitForHealth(endpoint: string, done: (answer: { status: number; body: Record<string, unknown> }) => boolean, timeoutMs = 20_000): Promise<{ status: number; body: Record<string, unknown> }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await health(endpoint).catch(() => undefined);
    if (answer !== undefined && done(answer)) return answer;
    if (Date.now() > deadline) throw new Error(`health never reached the expected state; last: ${JSON.stringify(answer)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Every file under `dir`, with its bytes. */
export function filesUnder(dir: string): Array<{ path: string; bytes: Buffer }> {
  const found: Array<{ path: string; bytes: Buffer }> = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...filesUnder(path));
    else found.push({ path, bytes: readFileSync(path) });
  }
  return found;
}

/** The forms a secret may take in a file or a log: raw, base64, base64url, hex. */
export function secretForms(secret: Buffer): Buffer[] {
  return [secret, Buffer.from(secret.toString("base64")), Buffer.from(secret.toString("base64url")), Buffer.from(secret.toString("hex"))];
}

/**
 * The root key, rebuilt from `shares` and the data directory's seal file with kmsd's own
 * code: the test's oracle for what must never be found anywhere.
 */
export async function rootKeyFromShares(dataDir: string, shares: readonly string[]): Promise<Buffer> {
  const record = readSealRecord(dataDir);
  if (record?.mode !== "shamir") throw new Error(`${dataDir} is not sealed by shares`);
  const collector = new ShareCollector(record);
  let rootKey: WrappingKey | undefined;
  for (const share of shares) rootKey = await collector.add(share);
  if (rootKey === undefined) throw new Error("not enough shares");
  const bytes = rootKey.withBytes((key) => Buffer.from(key));
  rootKey.destroy();
  return bytes;
}
