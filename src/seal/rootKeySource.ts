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
import { PIN_VARIABLE, sealWithPkcs11, unsealWithPkcs11, type Pkcs11Options } from "./pkcs11Seal.ts";
import type { RootKeySource } from "./nodeSeal.ts";
import { readSealFile, readSealRecord, writeSealRecord, type Pkcs11Seal, type SealMode, type SealRecord } from "./sealFile.ts";
import { ShareCollector } from "./shamir.ts";

/** The seal options of `kmsd serve` (and `operator seal-migrate`), as config.ts names them. */
export interface SealOptions {
  /** --seal; undefined: whatever the data directory is sealed with (`file` for a new one). */
  seal: SealMode | undefined;
  /** --seal-key-id, --seal-endpoint, --seal-region (the `kms` mode). */
  sealKeyId: string | undefined;
  sealEndpoint: string | undefined;
  sealRegion: string | undefined;
  /** --pkcs11-module, --pkcs11-token-label, --pkcs11-key-label (the `pkcs11` mode; the PIN is KMSD_PKCS11_PIN's). */
  pkcs11Module: string | undefined;
  pkcs11TokenLabel: string | undefined;
  pkcs11KeyLabel: string | undefined;
}

/** The plaintext root key file of the `file` mode. */
export function rootKeyFilePath(dataDir: string): string {
  return join(dataDir, "root.key");
}

/** The file of the next root key in the `file` mode, while `kmsd operator rotate-root` runs (src/seal/rootKeySlots.ts). */
export function nextRootKeyFilePath(dataDir: string): string {
  return `${rootKeyFilePath(dataDir)}.next`;
}

/** Throws if a `kmsd operator rotate-root` left its next root key in `dataDir`: the rotation must be finished first. */
export function refuseUnfinishedRotation(dataDir: string): void {
  if (existsSync(nextRootKeyFilePath(dataDir)) || readSealFile(dataDir)?.next !== undefined) {
    throw new Error(`a root key rotation of ${dataDir} did not finish (the next root key is still beside the current one): run kmsd operator rotate-root again to finish it`);
  }
}

/** The root key source of `dataDir` under `options`; throws when they disagree. */
export function rootKeySourceOf(dataDir: string, options: SealOptions): RootKeySource {
  refuseUnfinishedRotation(dataDir);
  const record = readSealRecord(dataDir);
  const requested = options.seal;
  if (record === undefined) {
    if (requested === undefined || requested === "file") return { mode: "file", load: () => FileRootKey.loadOrCreate(rootKeyFilePath(dataDir)) };
    if (existsSync(rootKeyFilePath(dataDir))) {
      throw new Error(`${dataDir} keeps its root key in a plaintext file (seal mode file); move it with kmsd operator seal-migrate --to ${requested}`);
    }
    if (requested === "kms") {
      const kms = kmsOptions(options);
      return { mode: "kms", unseal: () => initialiseSeal(dataDir, options, (rootKey) => sealWithKms(rootKey, kms)) };
    }
    if (requested === "pkcs11") {
      const pkcs11 = pkcs11Options(options, undefined);
      return { mode: "pkcs11", unseal: () => initialiseSeal(dataDir, options, (rootKey) => sealWithPkcs11(rootKey, pkcs11)) };
    }
    if (requested === "shamir") throw new Error(`${dataDir} has no seal yet: create it with kmsd operator init --data-dir ${dataDir} --shares N --threshold T`);
    throw new Error(`seal mode ${requested} is not available in this build`);
  }
  if (existsSync(rootKeyFilePath(dataDir))) {
    throw new Error(`${dataDir} has both a seal file and a plaintext root key file: a seal-migrate did not finish; run it again (kmsd operator seal-migrate)`);
  }
  if (requested !== undefined && requested !== record.mode) {
    throw new Error(`${dataDir} is sealed with seal mode ${record.mode}, not ${requested}; move it with kmsd operator seal-migrate`);
  }
  if (record.mode === "shamir") return { mode: "shamir", collector: new ShareCollector(record) };
  if (record.mode === "kms") {
    if (options.sealKeyId !== undefined && options.sealKeyId !== record.keyId) {
      throw new Error(`${dataDir} is sealed by KMS key ${record.keyId}, not ${options.sealKeyId}`);
    }
    return { mode: "kms", unseal: () => unsealWithKms(record, { endpoint: options.sealEndpoint, region: options.sealRegion }) };
  }
  const pkcs11 = pkcs11Options(options, record);
  return { mode: "pkcs11", unseal: () => unsealWithPkcs11(record, pkcs11) };
}

/** Logs the one warning a server in the `file` mode owes its operator (unless --dev). */
export function warnIfUnprotected(mode: SealMode, dataDir: string, dev: boolean): void {
  if (mode !== "file" || dev) return;
  log.warn(
    "the root key is stored unprotected: whoever copies the data directory (or a backup of it) can decrypt every key; " +
      "seal it with kmsd operator seal-migrate --to shamir|kms|pkcs11, or start new data directories with kmsd operator init",
    { rootKeyFile: rootKeyFilePath(dataDir) },
  );
}

/** The kms options from --seal-key-id, --seal-endpoint, --seal-region. */
export function kmsOptions(options: SealOptions): KmsSealOptions {
  const { sealKeyId: keyId, sealEndpoint: endpoint, sealRegion: region } = options;
  if (keyId === undefined) throw new Error("--seal kms needs --seal-key-id (the ARN of the key that seals the root key)");
  return { keyId, endpoint, region };
}

/** The pkcs11 options; a data directory's record names the token and key, and flags that disagree are refused. */
export function pkcs11Options(options: SealOptions, record: Pkcs11Seal | undefined): Pkcs11Options {
  const module = options.pkcs11Module;
  const tokenLabel = options.pkcs11TokenLabel ?? record?.tokenLabel;
  const keyLabel = options.pkcs11KeyLabel ?? record?.keyLabel;
  if (module === undefined) throw new Error("--seal pkcs11 needs --pkcs11-module (the path of the token's PKCS#11 library)");
  if (tokenLabel === undefined || keyLabel === undefined) throw new Error("--seal pkcs11 needs --pkcs11-token-label and --pkcs11-key-label");
  if (record !== undefined && (record.tokenLabel !== tokenLabel || record.keyLabel !== keyLabel)) {
    throw new Error(`the root key is sealed by key '${record.keyLabel}' of token '${record.tokenLabel}', not '${keyLabel}' of '${tokenLabel}'`);
  }
  const pin = process.env[PIN_VARIABLE];
  if (pin === undefined || pin === "") throw new Error(`--seal pkcs11 needs the token's user PIN in ${PIN_VARIABLE}`);
  return { module, tokenLabel, keyLabel, pin };
}

/**
 * A new data directory's first auto-unseal: a fresh root key, sealed by the service or
 * token, recorded. When a seal file appeared meanwhile (an earlier attempt got that far),
 * its root key is the one.
 */
async function initialiseSeal(dataDir: string, options: SealOptions, sealWith: (rootKey: WrappingKey) => Promise<SealRecord>): Promise<WrappingKey> {
  if (readSealRecord(dataDir) !== undefined) {
    const source = rootKeySourceOf(dataDir, options);
    if ("unseal" in source) return source.unseal();
  }
  const rootKey = WrappingKey.generate();
  try {
    writeSealRecord(dataDir, await sealWith(rootKey));
  } catch (error) {
    rootKey.destroy();
    throw error;
  }
  log.info("created the root key and sealed it", { mode: options.seal });
  return rootKey;
}
