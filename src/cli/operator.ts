/**
 * `kmsd operator`: the root of trust's commands (docs/root-of-trust.md; options and help
 * in cli/commands.ts). `init` creates a data directory sealed by Shamir shares and prints
 * them once; `unseal` reads one share from standard input (never argv, which `ps` shows);
 * `seal` seals a running node, signed with the default account root's credentials;
 * `status` shows a node's seal; `seal-migrate` moves a `file` data directory (server
 * stopped) to a sealed mode and then destroys its root.key; `rotate-root` replaces the
 * root key and re-wraps everything under the new one, offline (server stopped) or through a
 * running node's endpoint; `rekey` gives a running shamir node a new set of shares.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { WrappingKey } from "../crypto/rootKey.ts";
import { credentialsPath, ensureDataDirectory, openUnsealedDataDir } from "../dataDir.ts";
import { writeCredentialsFile } from "../credentialsFile.ts";
import { ensureDefaultAccount, type CreatedAccount } from "../identity/accounts.ts";
import { OPERATOR_PATHS } from "../seal/sealedFront.ts";
import { sealWithKms } from "../seal/kmsSeal.ts";
import { migrateFromFile, type SealTarget } from "../seal/migrate.ts";
import { openRootKeySlots } from "../seal/rootKeySlots.ts";
import { rotateRoot } from "../seal/rotateRoot.ts";
import { sealWithPkcs11 } from "../seal/pkcs11Seal.ts";
import { kmsOptions, pkcs11Options, type SealOptions } from "../seal/rootKeySource.ts";
import { writeSealRecord, type SealMode } from "../seal/sealFile.ts";
import { checkShamirParameters, sealWithShares } from "../seal/shamir.ts";
import { DEFAULT_REGION } from "../server/regions.ts";
import { PreparedSha256 } from "../server/sigv4Hash.ts";
import { UsageError } from "./parseOptions.ts";

/** What `operator init` prints (once): the shares and the default account's root credentials. */
export interface InitOutput extends CreatedAccount {
  UnsealShares: string[];
  Threshold: number;
}

/**
 * Creates a data directory whose root key is sealed by `shares` Shamir shares (any
 * `threshold` of them unseal it), with the default account and its credentials file, as a
 * first start does; the deployment's state goes to PostgreSQL at `databaseUrl` if given. The seal file is written before the database, so a directory with a
 * database always has its seal. Refuses a directory that already holds kmsd's files.
 */
export async function initShamir(options: { dataDir: string; databaseUrl?: string | undefined; shares: number; threshold: number; defaultAccount: string | undefined }): Promise<InitOutput> {
  checkShamirParameters(options.shares, options.threshold);
  if (existsSync(options.dataDir) && readdirSync(options.dataDir).length > 0) {
    throw new Error(`${options.dataDir} is not empty: operator init creates a new data directory (move an existing one with operator seal-migrate)`);
  }
  ensureDataDirectory(options.dataDir);
  const rootKey = WrappingKey.generate();
  try {
    const { record, shares } = await sealWithShares(rootKey, options.shares, options.threshold);
    writeSealRecord(options.dataDir, record);
    const dataDir = await openUnsealedDataDir(options.dataDir, rootKey, options.databaseUrl);
    try {
      const { created } = await ensureDefaultAccount(dataDir.store, rootKey, options.defaultAccount, Date.now());
      if (created === undefined) throw new Error(`${options.dataDir} already had a default account`);
      writeCredentialsFile(credentialsPath(options.dataDir), { accessKeyId: created.AccessKeyId, secretAccessKey: created.SecretAccessKey }, DEFAULT_REGION);
      return { UnsealShares: shares, Threshold: options.threshold, ...created };
    } finally {
      await dataDir.store.close();
    }
  } finally {
    rootKey.destroy();
  }
}

/** What `operator seal-migrate` prints: the new mode, and for `shamir` the shares (once). */
export interface MigrateOutput {
  Mode: SealMode;
  UnsealShares?: string[];
  Threshold?: number;
}

/** Moves a `file` data directory to the sealed mode `options.to` (see src/seal/migrate.ts); `show` prints the result before root.key is destroyed. */
export async function sealMigrate(
  options: { dataDir: string; to: string; shares: number; threshold: number; seal: SealOptions },
  show: (output: MigrateOutput) => void,
): Promise<void> {
  const to = options.to;
  let target: SealTarget;
  if (to === "shamir") {
    checkShamirParameters(options.shares, options.threshold);
    target = (rootKey) => sealWithShares(rootKey, options.shares, options.threshold);
  } else if (to === "kms") {
    const kms = kmsOptions(options.seal);
    target = async (rootKey) => ({ record: await sealWithKms(rootKey, kms) });
  } else if (to === "pkcs11") {
    const pkcs11 = pkcs11Options(options.seal, undefined);
    target = async (rootKey) => ({ record: await sealWithPkcs11(rootKey, pkcs11) });
  } else {
    throw new Error(`--to must be shamir, kms or pkcs11, not '${to}'`);
  }
  await migrateFromFile(options.dataDir, target, (shares) =>
    show(shares === undefined ? { Mode: to } : { Mode: to, UnsealShares: shares, Threshold: options.threshold }),
  );
}

/** The seal status a node answers (`{"Sealed", "Mode", "Progress", "Threshold"[, "Reason"]}`). */
export type StatusOutput = Record<string, unknown>;

/** Submits one share, read from `input` (standard input), to the node at `endpoint`. */
export async function unseal(endpoint: string, input: NodeJS.ReadableStream & { isTTY?: boolean }): Promise<StatusOutput> {
  if (input.isTTY) process.stderr.write("Unseal share: ");
  const share = (await readLine(input)).trim();
  if (share === "") throw new Error("no share on standard input: pipe or type one share (never pass it as an argument)");
  return call(endpoint, OPERATOR_PATHS.unseal, JSON.stringify({ Share: share }));
}

/** Seals the node at `endpoint`, signed with `credentials` (the default account's root). */
export async function seal(endpoint: string, credentials: RootCredentials, region: string): Promise<StatusOutput> {
  return signedCall(endpoint, OPERATOR_PATHS.seal, "{}", credentials, region);
}

/** The default account root's long-term credentials, which sign the operator requests that change a serving node. */
type RootCredentials = { accessKeyId: string; secretAccessKey: string };

/** POSTs `body` to the operator endpoint `path`, SigV4-signed (service kms) with `credentials`. */
async function signedCall(endpoint: string, path: string, body: string, credentials: RootCredentials, region: string): Promise<StatusOutput> {
  const url = new URL(path, endpoint);
  const request = new HttpRequest({
    method: "POST",
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port === "" ? undefined : Number(url.port),
    path: url.pathname,
    headers: { host: url.host, "content-type": "application/json" },
    body,
  });
  const signer = new SignatureV4({ service: "kms", region, credentials, sha256: PreparedSha256 });
  const signed = await signer.sign(request);
  return call(endpoint, path, body, signed.headers);
}

/** The seal status of the node at `endpoint`. */
export async function status(endpoint: string): Promise<StatusOutput> {
  return call(endpoint, OPERATOR_PATHS.status, undefined);
}

async function call(endpoint: string, path: string, body: string | undefined, headers: Record<string, string> = {}): Promise<StatusOutput> {
  const url = new URL(path, endpoint);
  const { host: _host, ...sendable } = headers; // fetch sets Host itself, to the same value
  const response = await fetch(url, {
    method: body === undefined ? "GET" : "POST",
    headers: body === undefined ? sendable : { "content-type": "application/json", ...sendable },
    ...(body === undefined ? {} : { body }),
  });
  const answer = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`${String(answer.__type ?? response.status)}: ${String(answer.message ?? "")}`);
  return answer;
}

/** The first line of `input` (all of it if it has no newline); the bytes read are zeroed. */
async function readLine(input: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    chunks.push(bytes);
    if (bytes.includes(0x0a)) break;
  }
  const text = Buffer.concat(chunks).toString("utf8").split("\n")[0] ?? "";
  for (const chunk of chunks) chunk.fill(0);
  return text;
}

/** The signed commands' credentials: the environment's, else a shared-credentials file's default profile. */
function sealCredentials(credentialsFile: string | undefined): RootCredentials {
  if (credentialsFile !== undefined) return readCredentialsFile(credentialsFile);
  const accessKeyId = process.env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    throw new Error("this operator command needs the default account root's credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or --credentials-file");
  }
  return { accessKeyId, secretAccessKey };
}

function readCredentialsFile(path: string): { accessKeyId: string; secretAccessKey: string } {
  const text = readFileSync(path, "utf8");
  const value = (name: string) => new RegExp(`^\\s*${name}\\s*=\\s*(\\S+)\\s*$`, "m").exec(text)?.[1];
  const accessKeyId = value("aws_access_key_id");
  const secretAccessKey = value("aws_secret_access_key");
  if (accessKeyId === undefined || secretAccessKey === undefined) throw new Error(`${path} holds no aws_access_key_id and aws_secret_access_key`);
  return { accessKeyId, secretAccessKey };
}

/** `kmsd operator init`. */
export async function initCommand(options: { dataDir: string; databaseUrl: string | undefined; shares: number; threshold: number; defaultAccount: string | undefined; json: boolean }): Promise<void> {
  const output = await initShamir(options);
  if (options.json) return print(output);
  process.stdout.write(
    [
      `kmsd: created ${options.dataDir} sealed by ${output.UnsealShares.length} shares, any ${output.Threshold} of which unseal it.`,
      "Give each share to a different person; they are shown now only and stored nowhere:",
      ...output.UnsealShares.map((share, index) => `  share ${index + 1}: ${share}`),
      `Account ${output.AccountId} (root credentials also in ${credentialsPath(options.dataDir)}):`,
      `  aws_access_key_id     = ${output.AccessKeyId}`,
      `  aws_secret_access_key = ${output.SecretAccessKey}`,
      "",
    ].join("\n"),
  );
}

/** The node the operator commands talk to when --endpoint (KMSD_ENDPOINT) is not given; rotate-root then runs offline instead. */
export const DEFAULT_ENDPOINT = "http://127.0.0.1:8080";

/** `kmsd operator unseal`: one share from standard input. */
export async function unsealCommand(options: { endpoint: string | undefined }): Promise<void> {
  print(await unseal(options.endpoint ?? DEFAULT_ENDPOINT, process.stdin));
}

/** `kmsd operator seal`. */
export async function sealCommand(options: { endpoint: string | undefined; credentialsFile: string | undefined }): Promise<void> {
  print(await seal(options.endpoint ?? DEFAULT_ENDPOINT, sealCredentials(options.credentialsFile), DEFAULT_REGION));
}

/** `kmsd operator status`. */
export async function statusCommand(options: { endpoint: string | undefined }): Promise<void> {
  print(await status(options.endpoint ?? DEFAULT_ENDPOINT));
}

/** `kmsd operator seal-migrate`. */
export async function sealMigrateCommand(options: SealOptions & { dataDir: string; to: string | undefined; shares: number; threshold: number; json: boolean }): Promise<void> {
  const to = options.to;
  if (to === undefined) throw new UsageError("--to is required (shamir, kms or pkcs11)");
  await sealMigrate({ ...options, to, seal: options }, (output) => {
    if (options.json) return print(output);
    const lines = [`kmsd: ${options.dataDir} is now sealed (seal mode ${output.Mode}); its plaintext root key file is being destroyed.`];
    if (output.UnsealShares !== undefined) {
      lines.push(`Give each share to a different person; any ${output.Threshold} unseal the node. They are shown now only and stored nowhere:`);
      lines.push(...output.UnsealShares.map((share, index) => `  share ${index + 1}: ${share}`));
    }
    process.stdout.write(`${lines.join("\n")}\n`);
  });
}

/**
 * Rotates the root key of the running node at `endpoint`; a shamir node needs its
 * threshold's shares, read from `input` (standard input) only when its status says so.
 */
export async function rotateRootOnline(endpoint: string, credentials: RootCredentials, input: NodeJS.ReadableStream & { isTTY?: boolean }): Promise<StatusOutput> {
  const shares = (await status(endpoint)).Mode === "shamir" ? await readShares(input) : [];
  return signedCall(endpoint, OPERATOR_PATHS.rotateRoot, JSON.stringify({ Shares: shares }), credentials, DEFAULT_REGION);
}

/** `kmsd operator rotate-root`: online through `--endpoint`, else offline on the data directory (and its PostgreSQL database, if any). */
export async function rotateRootCommand(options: {
  endpoint: string | undefined;
  credentialsFile: string | undefined;
  dataDir: string;
  databaseUrl: string | undefined;
  sealEndpoint: string | undefined;
  sealRegion: string | undefined;
  pkcs11Module: string | undefined;
  json: boolean;
}): Promise<void> {
  if (options.endpoint !== undefined) {
    const result = await rotateRootOnline(options.endpoint, sealCredentials(options.credentialsFile), process.stdin);
    if (options.json) return print(result);
    process.stdout.write(
      `kmsd: the root key of ${options.endpoint} is now generation ${String(result.RootKeyGeneration)}; ${String(result.RewrappedSecrets)} secret(s) re-wrapped, the old root key destroyed.\n`,
    );
    return;
  }
  const seal: SealOptions = {
    seal: undefined,
    sealKeyId: undefined,
    sealEndpoint: options.sealEndpoint,
    sealRegion: options.sealRegion,
    pkcs11Module: options.pkcs11Module,
    pkcs11TokenLabel: undefined,
    pkcs11KeyLabel: undefined,
  };
  const slots = await openRootKeySlots(options.dataDir, seal, () => readShares(process.stdin));
  try {
    const result = await rotateRoot({ dataDir: options.dataDir, databaseUrl: options.databaseUrl, slots, progress: progressBar(process.stderr) });
    if (options.json) return print(result);
    process.stdout.write(
      `kmsd: the root key of ${options.dataDir} is now generation ${result.RootKeyGeneration}; ${result.RewrappedSecrets} secret(s) re-wrapped, the old root key destroyed.\n`,
    );
  } finally {
    slots.destroy();
  }
}

/** What `operator rekey` prints: the new shares, once. */
export interface RekeyOutput {
  UnsealShares: string[];
  Threshold: number;
}

/** Gives the running node at `endpoint` a new set of `shares` shares (any `threshold` unseal), given its current threshold's shares on `input`. */
export async function rekey(endpoint: string, credentials: RootCredentials, shares: number, threshold: number, input: NodeJS.ReadableStream & { isTTY?: boolean }): Promise<RekeyOutput> {
  checkShamirParameters(shares, threshold);
  const current = await readShares(input);
  const body = JSON.stringify({ Shares: current, NewShares: shares, NewThreshold: threshold });
  return (await signedCall(endpoint, OPERATOR_PATHS.rekey, body, credentials, DEFAULT_REGION)) as unknown as RekeyOutput;
}

/** `kmsd operator rekey`. */
export async function rekeyCommand(options: { endpoint: string | undefined; credentialsFile: string | undefined; shares: number; threshold: number; json: boolean }): Promise<void> {
  const endpoint = options.endpoint ?? DEFAULT_ENDPOINT;
  const output = await rekey(endpoint, sealCredentials(options.credentialsFile), options.shares, options.threshold, process.stdin);
  if (options.json) return print(output);
  process.stdout.write(
    [
      `kmsd: ${endpoint} has a new set of ${output.UnsealShares.length} unseal shares, any ${output.Threshold} of which unseal it; the previous shares no longer do.`,
      "Give each share to a different person; they are shown now only and stored nowhere:",
      ...output.UnsealShares.map((share, index) => `  share ${index + 1}: ${share}`),
      "",
    ].join("\n"),
  );
}

/** Unseal shares from `input`, one a line (never argv); the bytes read are zeroed. */
async function readShares(input: NodeJS.ReadableStream & { isTTY?: boolean }): Promise<string[]> {
  if (input.isTTY) process.stderr.write("Unseal shares, one a line, then Ctrl-D:\n");
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  const all = Buffer.concat(chunks);
  const shares = all
    .toString("utf8")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "");
  all.fill(0);
  for (const chunk of chunks) chunk.fill(0);
  return shares;
}

/** A progress bar on `out` when it is a terminal, else a line at every tenth. */
function progressBar(out: NodeJS.WriteStream): (done: number, total: number) => void {
  let lastTenth = -1;
  return (done, total) => {
    const fraction = total === 0 ? 1 : done / total;
    if (out.isTTY) {
      const width = 30;
      const filled = Math.round(fraction * width);
      out.write(`\rre-wrapping [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${total}${done === total ? "\n" : ""}`);
      return;
    }
    const tenth = Math.floor(fraction * 10);
    if (tenth !== lastTenth) {
      lastTenth = tenth;
      out.write(`re-wrapped ${done} of ${total} secret(s)\n`);
    }
  };
}

function print(answer: object): void {
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}
