/**
 * The seal file (`seal.json` in the data directory): which seal mode protects the root
 * key, and the root key wrapped under that mode's key. It holds nothing from which the
 * root key can be read: the wrapped root key, and for `shamir` the SHA-256 digest of each
 * share (a share is 32 uniformly random bytes, so its digest tells nothing about it or
 * the unseal key; it lets a wrong share be refused the moment it arrives). A data
 * directory without a seal file is in the `file` mode (its `root.key` is the root key).
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";

/** How a node obtains its root key. */
export type SealMode = "file" | "shamir" | "kms" | "pkcs11";

/** The seal modes, for parsing and messages. */
export const SEAL_MODES: readonly SealMode[] = ["file", "shamir", "kms", "pkcs11"];

/** `shamir`: the root key wrapped by an unseal key that exists only as shares. */
export interface ShamirSeal {
  mode: "shamir";
  /** Names this set of shares: a share of another set (another deployment) is refused as foreign. */
  setId: string;
  shares: number;
  threshold: number;
  /** SHA-256 of each share's bytes, base64. */
  shareDigests: string[];
  /** The root key, AES-256-GCM under the unseal key (rootKey.ts's wrap format), base64. */
  wrappedRootKey: string;
}

/** `kms`: the root key encrypted by a key of another AWS-KMS-compatible service. */
export interface KmsSeal {
  mode: "kms";
  keyId: string;
  /** The encryption context naming this deployment; Decrypt must present it again. */
  encryptionContext: Record<string, string>;
  /** The CiphertextBlob KMS returned, base64. */
  wrappedRootKey: string;
}

/** `pkcs11`: the root key wrapped by an AES key that never leaves a PKCS#11 token. */
export interface Pkcs11Seal {
  mode: "pkcs11";
  tokenLabel: string;
  keyLabel: string;
  /** The root key, AES-GCM under the token's key: IV and ciphertext with tag, base64. */
  iv: string;
  wrappedRootKey: string;
}

/** A sealed mode's record. */
export type SealRecord = ShamirSeal | KmsSeal | Pkcs11Seal;

const SEAL_FILE = "seal.json";
const FORMAT_VERSION = 1;

/** Where a data directory's seal file is. */
export function sealFilePath(dataDir: string): string {
  return join(dataDir, SEAL_FILE);
}

/** The data directory's seal record; undefined when it has none (the `file` mode). */
export function readSealRecord(dataDir: string): SealRecord | undefined {
  return readSealFile(dataDir)?.seal;
}

/**
 * The whole seal file: the seal record and, while `kmsd operator rotate-root` runs, the
 * next root key sealed the same way (`next`), which becomes the record when it finishes.
 */
export function readSealFile(dataDir: string): { seal: SealRecord; next?: SealRecord } | undefined {
  let text: string;
  try {
    text = readFileSync(sealFilePath(dataDir), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  const parsed = JSON.parse(text) as { version?: unknown; seal?: SealRecord; next?: SealRecord };
  if (parsed.version !== FORMAT_VERSION || typeof parsed.seal !== "object" || parsed.seal === null) {
    throw new Error(`${sealFilePath(dataDir)} is not a seal file this kmsd reads (format ${String(parsed.version)})`);
  }
  return parsed.next === undefined ? { seal: parsed.seal } : { seal: parsed.seal, next: parsed.next };
}

/**
 * Writes the seal record so that a crash leaves either the old file or the new one, whole:
 * a temporary file, flushed, renamed over the old one, and the directory flushed.
 */
export function writeSealRecord(dataDir: string, seal: SealRecord, next?: SealRecord): void {
  const file = next === undefined ? { version: FORMAT_VERSION, seal } : { version: FORMAT_VERSION, seal, next };
  writeFileDurably(sealFilePath(dataDir), `${JSON.stringify(file, null, 2)}\n`);
}

/** Replaces `path` atomically and durably with `text` (mode 0600). */
export function writeFileDurably(path: string, text: string | Uint8Array): void {
  const temporary = `${path}.tmp`;
  const fd = openSync(temporary, "w", 0o600);
  try {
    writeSync(fd, typeof text === "string" ? Buffer.from(text, "utf8") : text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
  syncDirectory(dirname(path));
}

/** Flushes a directory, so that a rename or unlink in it survives a crash. */
export function syncDirectory(path: string): void {
  const dir = openSync(path, "r");
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}
