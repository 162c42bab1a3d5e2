/**
 * Where a data directory keeps its root key while `kmsd operator rotate-root` replaces it:
 * the current key as the seal keeps it, and the next one beside it, sealed the same way
 * (the `file` mode: `root.key.next`; the sealed modes: `next` in seal.json, under the same
 * unseal key, KMS key or token key, so the shares, the KMS key and the token stay as they
 * are). Each step is one durable write, so a rotation killed at any point finds both keys
 * again, or, once the database has moved on, only the next one:
 *
 * - `storeNext`: the next key is written before anything is wrapped under it;
 * - `promote`: the next key becomes the current one and the old one is destroyed, only
 *   after the database says nothing refers to the old one.
 */
import { existsSync, renameSync } from "node:fs";
import { FileRootKey, type WrappingKey } from "../crypto/rootKey.ts";
import { sealWithKms, unsealWithKms } from "./kmsSeal.ts";
import { destroyFile } from "./migrate.ts";
import { sealWithPkcs11, unsealWithPkcs11 } from "./pkcs11Seal.ts";
import { nextRootKeyFilePath, pkcs11Options, rootKeyFilePath, type SealOptions } from "./rootKeySource.ts";
import { readSealFile, syncDirectory, writeFileDurably, writeSealRecord, type SealRecord } from "./sealFile.ts";
import { ShareCollector, ShareRefused, unwrapShamirRootKey, wrapShamirRootKey } from "./shamir.ts";

/** A data directory's current and next root keys, and the two writes a rotation makes to them. */
export interface RootKeySlots {
  /** The current root key; undefined once only the next one is left (a promotion was interrupted). */
  readonly current: WrappingKey | undefined;
  /** The next root key, when a rotation stored one (storeNext sets it). */
  readonly next: WrappingKey | undefined;
  /** Seals `key` as the next root key, durably. */
  storeNext(key: WrappingKey): Promise<void>;
  /** Makes the next root key the current one; the old one is destroyed. */
  promote(): void;
  /** Zeroes the keys it holds. */
  destroy(): void;
}

/**
 * Opens the root key slots of `dataDir` in its seal mode. The `shamir` mode needs
 * `shares` (the threshold's worth, as read from standard input); `kms` and `pkcs11` the
 * seal options that reach the service or token.
 */
export async function openRootKeySlots(dataDir: string, options: SealOptions, shares: () => Promise<string[]>): Promise<RootKeySlots> {
  const file = readSealFile(dataDir);
  if (file === undefined) return fileSlots(dataDir);
  const { seal, next } = file;
  if (options.seal !== undefined && options.seal !== seal.mode) throw new Error(`${dataDir} is sealed with seal mode ${seal.mode}, not ${options.seal}`);
  let unseal: (record: SealRecord) => Promise<WrappingKey>;
  let sealNext: (key: WrappingKey) => Promise<SealRecord>;
  let done = (): void => undefined;
  if (seal.mode === "shamir") {
    const unsealKey = await unsealKeyFromShares(seal, await shares());
    unseal = async (record) => unwrapShamirRootKey(seal, (record as typeof seal).wrappedRootKey, unsealKey);
    sealNext = async (key) => ({ ...seal, wrappedRootKey: wrapShamirRootKey(seal, key, unsealKey) });
    done = () => unsealKey.destroy();
  } else if (seal.mode === "kms") {
    const where = { endpoint: options.sealEndpoint, region: options.sealRegion };
    unseal = (record) => unsealWithKms(record as typeof seal, where);
    sealNext = (key) => sealWithKms(key, { keyId: seal.keyId, ...where });
  } else {
    const pkcs11 = pkcs11Options(options, seal);
    unseal = (record) => unsealWithPkcs11(record as typeof seal, pkcs11);
    sealNext = (key) => sealWithPkcs11(key, pkcs11);
  }
  try {
    const current = await unseal(seal);
    const nextKey = next === undefined ? undefined : await unseal(next);
    return sealedSlots(dataDir, seal, current, nextKey, sealNext, done);
  } catch (error) {
    done();
    throw error;
  }
}

function fileSlots(dataDir: string): RootKeySlots {
  const currentPath = rootKeyFilePath(dataDir);
  const nextPath = nextRootKeyFilePath(dataDir);
  const current = existsSync(currentPath) ? FileRootKey.load(currentPath) : undefined;
  let next = existsSync(nextPath) ? FileRootKey.load(nextPath) : undefined;
  if (current === undefined && next === undefined) throw new Error(`${dataDir} has no root key file: not a kmsd data directory`);
  return {
    current,
    get next() {
      return next;
    },
    async storeNext(key) {
      key.withBytes((bytes) => writeFileDurably(nextPath, bytes));
      next = key;
    },
    promote() {
      // The old key goes first (overwritten, then removed): renaming over it would leave its bytes on disk.
      if (existsSync(currentPath)) destroyFile(currentPath);
      renameSync(nextPath, currentPath);
      syncDirectory(dataDir);
    },
    destroy() {
      current?.destroy();
      next?.destroy();
    },
  };
}

function sealedSlots(
  dataDir: string,
  seal: SealRecord,
  current: WrappingKey,
  next: WrappingKey | undefined,
  sealNext: (key: WrappingKey) => Promise<SealRecord>,
  done: () => void,
): RootKeySlots {
  let nextRecord = readSealFile(dataDir)?.next;
  return {
    current,
    get next() {
      return next;
    },
    async storeNext(key) {
      nextRecord = await sealNext(key);
      writeSealRecord(dataDir, seal, nextRecord);
      next = key;
    },
    promote() {
      if (nextRecord === undefined) throw new Error("no next root key to promote");
      writeSealRecord(dataDir, nextRecord);
    },
    destroy() {
      current.destroy();
      next?.destroy();
      done();
    },
  };
}

/** The unseal key rebuilt from `shares`; refuses a wrong or foreign share, or too few. */
async function unsealKeyFromShares(seal: Extract<SealRecord, { mode: "shamir" }>, shares: string[]): Promise<WrappingKey> {
  const collector = new ShareCollector(seal);
  for (const share of shares) {
    const unsealKey = await collector.addForUnsealKey(share);
    if (unsealKey !== undefined) return unsealKey;
  }
  collector.reset();
  throw new ShareRefused(`rotate-root needs ${seal.threshold} unseal shares on standard input, one a line; it got ${shares.length}`);
}
