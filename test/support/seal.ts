/**
 * Helpers for the root-of-trust suites: the `kmsd operator` commands run as an operator
 * would (a share on standard input, never in argv), a node's seal status, and a search of
 * a data directory for secret bytes.
 */
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { WrappingKey } from "../../src/crypto/rootKey.ts";
import { readSealRecord } from "../../src/seal/sealFile.ts";
import { ShareCollector } from "../../src/seal/shamir.ts";
import { unsealWithPkcs11 } from "../../src/seal/pkcs11Seal.ts";
import { CreateKeyCommand, DecryptCommand } from "@aws-sdk/client-kms";
import { rawRequest, startKmsd, type Credentials, type Kmsd } from "./kmsd.ts";

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

/** `kmsd operator rotate-root --endpoint`, signed with `credentials` (in the environment), the threshold's `shares` (shamir) on standard input. */
export async function rotateRootOnline(endpoint: string, credentials: Credentials, shares: readonly string[] = []): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = { ...process.env, AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey };
  return runCli(["operator", "rotate-root", "--endpoint", endpoint, "--json"], { env, stdin: shares.map((share) => `${share}\n`).join("") });
}

/** `kmsd operator rekey`: the current `shares` on standard input; resolves to the exit status and the new shares (or the error text). */
export async function rekey(
  endpoint: string,
  credentials: Credentials,
  shares: readonly string[],
  newShares: number,
  newThreshold: number,
): Promise<{ code: number | null; output: { UnsealShares: string[]; Threshold: number } | undefined; stderr: string }> {
  const env = { ...process.env, AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey };
  const args = ["operator", "rekey", "--endpoint", endpoint, "--shares", String(newShares), "--threshold", String(newThreshold), "--json"];
  const { code, stdout, stderr } = await runCli(args, { env, stdin: shares.map((share) => `${share}\n`).join("") });
  return { code, output: code === 0 ? (JSON.parse(stdout) as { UnsealShares: string[]; Threshold: number }) : undefined, stderr };
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

/** The seal modes every root-of-trust suite runs in. */
export type ModeUnderTest = "file" | "shamir" | "kms" | "pkcs11";

/** A data directory in one seal mode: how to start a node on it (unsealed), and its secrets as the test's oracle. */
export interface SealUnderTest {
  mode: ModeUnderTest;
  dataDir: string;
  /** Starts kmsd on the data directory and unseals it (shares submitted, auto-unseal done). */
  start(options?: { dev?: boolean }): Promise<Kmsd>;
  /** The secrets of the seal: the root key and what unseals it (shares, the sealing service's credentials, the PIN). */
  secrets(): Promise<Map<string, Buffer>>;
  /** Stops what the seal needed (the sealing kmsd) and removes the data directory. */
  dispose(): Promise<void>;
}

/** Where SoftHSM2's PKCS#11 library is on Debian. */
export const SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so";

/** A data directory sealed in `mode` (not yet created: the first `start` or operator init makes it). */
export async function sealUnderTest(mode: ModeUnderTest): Promise<SealUnderTest> {
  const scratch = mkdtempSync(join(tmpdir(), `kmsd-seal-${mode}-`));
  const dataDir = join(scratch, "data");
  const remove = async () => rmSync(scratch, { recursive: true, force: true });
  if (mode === "file") {
    return {
      mode,
      dataDir,
      start: (options = {}) => startKmsd({ dataDir, dev: options.dev ?? false }),
      secrets: async () => new Map([["root key", readFileSync(join(dataDir, "root.key"))]]),
      dispose: remove,
    };
  }
  if (mode === "shamir") {
    const { code, stdout, stderr } = await runCli(["operator", "init", "--data-dir", dataDir, "--shares", "3", "--threshold", "2", "--json"]);
    if (code !== 0) throw new Error(`operator init exited with ${code}: ${stderr}`);
    const init = JSON.parse(stdout) as InitOutput;
    return {
      mode,
      dataDir,
      async start(options = {}) {
        const kmsd = await startKmsd({ dataDir, dev: options.dev ?? false });
        await unsealWith(kmsd.endpoint, init.UnsealShares.slice(0, 2));
        return kmsd;
      },
      secrets: async () =>
        new Map([
          ...init.UnsealShares.map((share, index): [string, Buffer] => [`unseal share ${index + 1}`, Buffer.from(share, "base64")]),
          ["root key", await rootKeyFromShares(dataDir, init.UnsealShares.slice(1, 3))],
        ]),
      dispose: remove,
    };
  }
  if (mode === "kms") {
    const kms = await sealingKmsd(join(scratch, "sealing"));
    return {
      mode,
      dataDir,
      start: (options = {}) => startKmsd({ dataDir, dev: options.dev ?? false, env: kms.env, args: ["--seal", "kms", ...kms.args] }),
      secrets: () => kms.secrets(dataDir),
      async dispose() {
        await kms.stop();
        await remove();
      },
    };
  }
  const token = softHsmToken(scratch);
  return {
    mode,
    dataDir,
    start: (options = {}) => startKmsd({ dataDir, dev: options.dev ?? false, env: token.env, args: ["--seal", "pkcs11", ...token.args] }),
    secrets: () => token.secrets(dataDir),
    dispose: remove,
  };
}

/** How a node is pointed at its sealing service or token: flags, environment, and the seal's secrets (root key included) for a data directory. */
export interface SealingDependency {
  args: string[];
  env: Record<string, string>;
  secrets(dataDir: string): Promise<Map<string, Buffer>>;
}

/** A second kmsd whose key seals the node's root key (the `kms` mode), with credentials for it in the environment. */
export async function sealingKmsd(dataDir: string): Promise<SealingDependency & { stop(): Promise<void> }> {
  const sealing = await startKmsd({ dataDir, dev: true });
  const keyArn = (await sealing.kms().send(new CreateKeyCommand({}))).KeyMetadata?.Arn ?? "";
  const env = { AWS_ACCESS_KEY_ID: sealing.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: sealing.credentials.secretAccessKey };
  return {
    args: ["--seal-key-id", keyArn, "--seal-endpoint", sealing.endpoint, "--seal-region", "us-east-1"],
    env,
    async secrets(sealedDir) {
      const record = readSealRecord(sealedDir);
      if (record?.mode !== "kms") throw new Error("not sealed by kms");
      const { Plaintext } = await sealing.kms().send(
        new DecryptCommand({ KeyId: keyArn, CiphertextBlob: Buffer.from(record.wrappedRootKey, "base64"), EncryptionContext: record.encryptionContext }),
      );
      return new Map([
        ["sealing service secret access key", Buffer.from(env.AWS_SECRET_ACCESS_KEY)],
        ["root key", Buffer.from(Plaintext ?? [])],
      ]);
    },
    stop: () => sealing.stop(),
  };
}

/** A SoftHSM2 token of its own under `scratch` (the `pkcs11` mode), its PIN in the environment. */
export function softHsmToken(scratch: string): SealingDependency {
  const pin = `pin-${randomBytes(6).toString("hex")}`;
  const token = "kmsd-test";
  const softhsm = { SOFTHSM2_CONF: join(scratch, "softhsm2.conf") };
  mkdirSync(join(scratch, "tokens"));
  writeFileSync(softhsm.SOFTHSM2_CONF, `directories.tokendir = ${join(scratch, "tokens")}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  execFileSync("softhsm2-util", ["--init-token", "--free", "--label", token, "--so-pin", "so-pin-0000", "--pin", pin], { env: { ...process.env, ...softhsm }, stdio: "ignore" });
  return {
    args: ["--pkcs11-module", SOFTHSM_MODULE, "--pkcs11-token-label", token, "--pkcs11-key-label", "root-wrap"],
    env: { ...softhsm, KMSD_PKCS11_PIN: pin },
    async secrets(sealedDir) {
      const record = readSealRecord(sealedDir);
      if (record?.mode !== "pkcs11") throw new Error("not sealed by pkcs11");
      const previous = process.env.SOFTHSM2_CONF;
      process.env.SOFTHSM2_CONF = softhsm.SOFTHSM2_CONF;
      try {
        const rootKey = await unsealWithPkcs11(record, { module: SOFTHSM_MODULE, tokenLabel: token, keyLabel: "root-wrap", pin });
        const bytes = rootKey.withBytes((key) => Buffer.from(key));
        rootKey.destroy();
        return new Map([
          ["PIN", Buffer.from(pin)],
          ["root key", bytes],
        ]);
      } finally {
        if (previous === undefined) delete process.env.SOFTHSM2_CONF;
        else process.env.SOFTHSM2_CONF = previous;
      }
    },
  };
}
