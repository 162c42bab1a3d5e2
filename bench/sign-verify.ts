/**
 * Sign and Verify throughput per key spec: through kmsd over HTTP with @aws-sdk/client-kms
 * (a few concurrent clients), next to the same operation done directly with node:crypto in
 * a loop, in the same run, with the ratio kmsd/raw.
 *
 *   npm run build && node_modules/.bin/node bench/sign-verify.ts [--duration=3] [--clients=4]
 *
 * Starts its own kmsd (`--dev`, temporary data directory) on a free loopback port and stops it
 * at the end. The client and the server share the machine's CPUs, as they would on one host.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createPublicKey, generateKeyPairSync, randomBytes, sign, verify, constants, type KeyObject } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { CreateKeyCommand, GetPublicKeyCommand, KMSClient, SignCommand, VerifyCommand, type KeySpec, type SigningAlgorithmSpec } from "@aws-sdk/client-kms";

const BIN = new URL("../bin/kmsd.mjs", import.meta.url).pathname;

/** `--name=value` from the command line, or the default. */
function option(name: string, fallback: number): number {
  const prefix = `--${name}=`;
  const found = process.argv.find((argument) => argument.startsWith(prefix));
  const value = found === undefined ? fallback : Number(found.slice(prefix.length));
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`);
  return value;
}
const DURATION_MS = option("duration", 3) * 1000;
const CLIENTS = Math.floor(option("clients", 4));

/** One benchmarked key spec, its algorithm, and how node:crypto does the same operation. */
type Case = {
  spec: KeySpec;
  algorithm: SigningAlgorithmSpec;
  /** A local key pair of the same kind, for the raw Sign loop. */
  generate: () => { privateKey: KeyObject; publicKey: KeyObject };
  /** node:crypto's digest name and key options for this algorithm. */
  digest: string | null;
  options: { padding?: number; saltLength?: number; dsaEncoding?: "der" };
};

const CASES: Case[] = [
  {
    spec: "RSA_2048",
    algorithm: "RSASSA_PSS_SHA_256",
    generate: () => generateKeyPairSync("rsa", { modulusLength: 2048 }),
    digest: "sha256",
    options: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
  },
  {
    spec: "ECC_NIST_P256",
    algorithm: "ECDSA_SHA_256",
    generate: () => generateKeyPairSync("ec", { namedCurve: "prime256v1" }),
    digest: "sha256",
    options: { dsaEncoding: "der" },
  },
  {
    spec: "ECC_NIST_EDWARDS25519",
    algorithm: "ED25519_SHA_512",
    generate: () => generateKeyPairSync("ed25519"),
    digest: null,
    options: {},
  },
  {
    spec: "ML_DSA_65",
    algorithm: "ML_DSA_SHAKE_256",
    generate: () => generateKeyPairSync("ml-dsa-65"),
    digest: null,
    options: {},
  },
];

/** A running kmsd of our own. */
type Server = { endpoint: string; stop: () => Promise<void> };

async function startServer(): Promise<Server> {
  const dataDir = mkdtempSync(join(tmpdir(), "kmsd-bench-"));
  const child: ChildProcess = spawn(process.execPath, [BIN, "serve", "--port", "0", "--data-dir", dataDir, "--dev"], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  const port = await new Promise<number>((resolve, reject) => {
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
      for (const line of stderr.split("\n")) {
        if (line.includes('"listening"')) resolve((JSON.parse(line) as { port: number }).port);
      }
    });
    child.once("exit", (code) => reject(new Error(`kmsd exited with ${code} before listening (is it built? npm run build):\n${stderr}`)));
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    endpoint: `http://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Runs `operation` back to back in `concurrency` loops for the duration; returns operations per second. */
async function throughput(concurrency: number, operation: (loop: number) => Promise<unknown>): Promise<number> {
  const deadline = performance.now() + DURATION_MS;
  const started = performance.now();
  let completed = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, loop) => {
      while (performance.now() < deadline) {
        await operation(loop);
        completed++;
      }
    }),
  );
  return completed / ((performance.now() - started) / 1000);
}

/** Runs a synchronous operation in a loop for the duration (one thread, as node:crypto's sign/verify are); returns operations per second. */
function rawThroughput(operation: () => unknown): number {
  const started = performance.now();
  const deadline = started + DURATION_MS;
  let completed = 0;
  while (performance.now() < deadline) {
    for (let i = 0; i < 10; i++) operation();
    completed += 10;
  }
  return completed / ((performance.now() - started) / 1000);
}

type Row = { spec: string; operation: string; kmsd: number; raw: number };

async function main(): Promise<void> {
  const server = await startServer();
  // --dev: any access key acts as the default account's root.
  const clients = Array.from(
    { length: CLIENTS },
    () => new KMSClient({ endpoint: server.endpoint, region: "us-east-1", credentials: { accessKeyId: "bench", secretAccessKey: "bench" }, maxAttempts: 1 }),
  );
  const first = clients[0] as KMSClient;
  const message = randomBytes(256);
  const rows: Row[] = [];
  try {
    for (const benchCase of CASES) {
      const { KeyMetadata } = await first.send(new CreateKeyCommand({ KeySpec: benchCase.spec, KeyUsage: "SIGN_VERIFY" }));
      const keyId = KeyMetadata?.KeyId;
      const kmsPublicKey = createPublicKey({
        key: Buffer.from((await first.send(new GetPublicKeyCommand({ KeyId: keyId }))).PublicKey ?? new Uint8Array()),
        format: "der",
        type: "spki",
      });
      const signRequest = { KeyId: keyId, SigningAlgorithm: benchCase.algorithm, Message: message };
      const signature = (await first.send(new SignCommand(signRequest))).Signature;
      const clientFor = (loop: number) => clients[loop % clients.length] as KMSClient;
      // Warm-up: connections open, key material cached.
      await Promise.all(clients.map((client) => client.send(new SignCommand(signRequest))));

      const kmsdSign = await throughput(CLIENTS, (loop) => clientFor(loop).send(new SignCommand(signRequest)));
      const kmsdVerify = await throughput(CLIENTS, async (loop) => {
        const answer = await clientFor(loop).send(new VerifyCommand({ ...signRequest, Signature: signature }));
        if (answer.SignatureValid !== true) throw new Error("kmsd did not verify its own signature");
      });

      const privateKey = benchCase.generate().privateKey;
      const rawSign = rawThroughput(() => sign(benchCase.digest, message, { key: privateKey, ...benchCase.options }));
      // Raw Verify checks the very signature kmsd made, with the public key GetPublicKey returned.
      if (!verify(benchCase.digest, message, { key: kmsPublicKey, ...benchCase.options }, signature ?? new Uint8Array())) {
        throw new Error(`node:crypto does not verify kmsd's ${benchCase.algorithm} signature`);
      }
      const rawVerify = rawThroughput(() => verify(benchCase.digest, message, { key: kmsPublicKey, ...benchCase.options }, signature ?? new Uint8Array()));

      rows.push({ spec: benchCase.spec, operation: `Sign ${benchCase.algorithm}`, kmsd: kmsdSign, raw: rawSign });
      rows.push({ spec: benchCase.spec, operation: `Verify ${benchCase.algorithm}`, kmsd: kmsdVerify, raw: rawVerify });
      process.stderr.write(`${benchCase.spec} done\n`);
    }
  } finally {
    clients.forEach((client) => client.destroy());
    await server.stop();
  }
  printTable(rows);
}

function printTable(rows: Row[]): void {
  const header = ["Key spec", "Operation", "kmsd ops/s", "node:crypto ops/s", "kmsd/raw"];
  const lines = rows.map((row) => [row.spec, row.operation, row.kmsd.toFixed(0), row.raw.toFixed(0), `${((row.kmsd / row.raw) * 100).toFixed(1)}%`]);
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => (line[column] ?? "").length)));
  const format = (cells: string[]) =>
    `| ${cells.map((cell, column) => (column < 2 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join(" | ")} |`;
  const output = [
    `Sign/Verify, RAW 256-byte message; ${CLIENTS} concurrent SDK clients over HTTP for kmsd, one synchronous loop for node:crypto; ${DURATION_MS / 1000} s each.`,
    `Node ${process.version}, OpenSSL ${process.versions.openssl}, ${availableParallelism()} CPUs (${cpus()[0]?.model ?? "unknown"}).`,
    "",
    format(header),
    `|${widths.map((width, column) => (column < 2 ? "-".repeat(width + 2) : `${"-".repeat(width + 1)}:`)).join("|")}|`,
    ...lines.map(format),
  ];
  process.stdout.write(`${output.join("\n")}\n`);
}

await main();
