/**
 * Which root key source a node uses: the data directory's seal file decides (a directory
 * without one is in the `file` mode), and `--seal` must agree with it; `--seal kms` on a
 * new data directory seals its new root key with the given KMS key. Moving a directory to
 * another mode is `kmsd operator seal-migrate`'s job, never a start's.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { FileRootKey, WrappingKey } from "../crypto/rootKey.ts";
import { log } from "../server/log.ts";
import { sealWithKms, unsealWithKms, type KmsSealOptions } from "./kmsSeal.ts";
import type { RootKeySource } from "./nodeSeal.ts";
import { readSealRecord, writeSealRecord, type SealMode } from "./sealFile.ts";
import { ShareCollector } from "./shamir.ts";

/** The seal options of `kmsd serve`. */
export interface SealOptions {
  /** --seal; undefined: whatever the data directory is sealed with (`file` for a new one). */
  seal: SealMode | undefined;
  /** --seal-key-id, --seal-endpoint, --seal-region (the `kms` mode). */
  kms: { keyId: string | undefined; endpoint: string | undefined; region: string | undefined };
}

/** The plaintext root key file of the `file` mode. */
export function rootKeyFilePath(dataDir: string): string {
  return join(dataDir, "root.key");
}

/** The root key source of `dataDir` under `options`; throws when they disagree. */
export function rootKeySourceOf(dataDir: string, options: SealOptions): RootKeySource {
  const record = readSealRecord(dataDir);
  const requested = options.seal;
  if (record === undefined) {
    if (requested === undefined || requested === "file") return { mode: "file", load: () => FileRootKey.loadOrCreate(rootKeyFilePath(dataDir)) };
    if (existsSync(rootKeyFilePath(dataDir))) {
      throw new Error(`${dataDir} keeps its root key in a plaintext file (seal mode file); move it with kmsd operator seal-migrate --to ${requested}`);
    }
    if (requested === "kms") {
      const kms = kmsOptions(options);
      return { mode: "kms", unseal: () => initialiseKmsSeal(dataDir, kms) };
    }
    if (requested === "shamir") throw new Error(`${dataDir} has no seal yet: create it with kmsd operator init --data-dir ${dataDir} --shares N --threshold T`);
    throw new Error(`seal mode ${requested} is not available in this build`);
  }
  if (requested !== undefined && requested !== record.mode) {
    throw new Error(`${dataDir} is sealed with seal mode ${record.mode}, not ${requested}; move it with kmsd operator seal-migrate`);
  }
  if (record.mode === "shamir") return { mode: "shamir", collector: new ShareCollector(record) };
  if (record.mode === "kms") {
    if (options.kms.keyId !== undefined && options.kms.keyId !== record.keyId) {
      throw new Error(`${dataDir} is sealed by KMS key ${record.keyId}, not ${options.kms.keyId}`);
    }
    return { mode: "kms", unseal: () => unsealWithKms(record, options.kms) };
  }
  throw new Error(`seal mode ${record.mode} is not available in this build`);
}

/** Logs the one warning a server in the `file` mode owes its operator (unless --dev). */
export function warnIfUnprotected(source: RootKeySource, dataDir: string, dev: boolean): void {
  if (source.mode !== "file" || dev) return;
  log.warn(
    "the root key is stored unprotected: whoever copies the data directory (or a backup of it) can decrypt every key; " +
      "seal it with kmsd operator seal-migrate --to shamir|kms|pkcs11, or start new data directories with kmsd operator init",
    { rootKeyFile: rootKeyFilePath(dataDir) },
  );
}

function kmsOptions(options: SealOptions): KmsSealOptions {
  const { keyId, endpoint, region } = options.kms;
  if (keyId === undefined) throw new Error("--seal kms needs --seal-key-id (the ARN of the key that seals the root key)");
  return { keyId, endpoint, region };
}

/** A new data directory's first auto-unseal: a fresh root key, sealed by KMS, recorded. */
async function initialiseKmsSeal(dataDir: string, options: KmsSealOptions): Promise<WrappingKey> {
  const existing = readSealRecord(dataDir);
  if (existing?.mode === "kms") return unsealWithKms(existing, options); // another worker or an earlier attempt got there first
  const rootKey = WrappingKey.generate();
  try {
    writeSealRecord(dataDir, await sealWithKms(rootKey, options));
  } catch (error) {
    rootKey.destroy();
    throw error;
  }
  return rootKey;
}
