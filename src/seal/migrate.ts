/**
 * `kmsd operator seal-migrate`: moves a data directory from the `file` mode (the root key
 * in plaintext in `root.key`) to a sealed mode, offline (no server running on it). The root
 * key does not change, so every stored key and every ciphertext stays as it is.
 *
 * Crash-safe by order: the plaintext file stays the source of truth until the very end.
 * 1. the root key is checked against the database; 2. it is sealed and the seal file
 * written durably (a rerun writes it afresh, so a run that died before the shares were
 * shown leaves nothing lost); 3. the shares are handed to the caller to print; 4. only
 * then is `root.key` overwritten (random bytes, then zeros, each flushed) and removed.
 * A directory with both files is one whose migration did not finish: a server refuses to
 * start on it and a rerun finishes it.
 */
import { closeSync, existsSync, fsyncSync, openSync, statSync, unlinkSync, writeSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { dirname } from "node:path";
import { FileRootKey, type WrappingKey } from "../crypto/rootKey.ts";
import { openUnsealedDataDir } from "../dataDir.ts";
import { rootKeyFilePath } from "./rootKeySource.ts";
import { readSealRecord, syncDirectory, writeSealRecord, type SealRecord } from "./sealFile.ts";

/** Seals the root key in the target mode; `shares` only for `shamir`. */
export type SealTarget = (rootKey: WrappingKey) => Promise<{ record: SealRecord; shares?: string[] }>;

/**
 * Migrates `dataDir` to the mode `target` seals with. `show` receives the new shares (if
 * any) once the seal is durable and before the plaintext file is destroyed.
 */
export async function migrateFromFile(dataDir: string, target: SealTarget, show: (shares: string[] | undefined) => void): Promise<SealRecord> {
  const rootKeyFile = rootKeyFilePath(dataDir);
  if (!existsSync(rootKeyFile)) {
    const record = readSealRecord(dataDir);
    throw new Error(record === undefined ? `${dataDir} has no root key file: not a kmsd data directory in the file mode` : `${dataDir} is already sealed (seal mode ${record.mode})`);
  }
  const rootKey = FileRootKey.load(rootKeyFile);
  try {
    const dataDirOpened = await openUnsealedDataDir(dataDir, rootKey);
    await dataDirOpened.store.close();
    const { record, shares } = await target(rootKey);
    writeSealRecord(dataDir, record);
    show(shares);
    destroyFile(rootKeyFile);
    return record;
  } finally {
    rootKey.destroy();
  }
}

/**
 * Overwrites a file in place (random bytes, then zeros, each flushed to disk) and removes
 * it. On a copy-on-write or journaling-data filesystem, or an SSD that remaps blocks, old
 * copies of the bytes may survive below the filesystem: docs/root-of-trust.md says so.
 */
export function destroyFile(path: string): void {
  const size = statSync(path).size;
  const fd = openSync(path, "r+");
  try {
    for (const fill of [randomBytes(size), Buffer.alloc(size)]) {
      writeSync(fd, fill, 0, size, 0);
      fsyncSync(fd);
    }
  } finally {
    closeSync(fd);
  }
  unlinkSync(path);
  syncDirectory(dirname(path));
}
