/**
 * `kmsd backup` and `kmsd restore`. A backup is a consistent copy of the key database
 * (keys, aliases, grants, accounts and identities) and of the audit database, each taken
 * as of one moment by the store itself while a server may go on writing, plus the audit
 * log and digest files already delivered (written once, never changed). The root key is
 * not in it: everything secret in the databases stays wrapped by that key, so a backup
 * alone opens nothing. A wrapped check value lets restore tell whether the root key it is
 * given is the one the backup needs.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readdir, rename, rm } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { auditDir } from "../audit/logPaths.ts";
import { FileRootKey } from "../crypto/rootKey.ts";
import { auditDbPath, openSqliteAuditStore } from "../store/sqlite/sqliteAuditStore.ts";
import { SqliteStore } from "../store/sqlite/sqliteStore.ts";
import { extractFile, readManifest, writeArchive, type Manifest } from "./archive.ts";

const KEYS_DB = "kmsd.db";
const ROOT_KEY_FILE = "root.key";
/** The additional data of the root key check value, so no other wrapped blob can pass for it. */
const ROOT_KEY_CHECK_AAD = Buffer.from("kmsd backup: root key check");

/** Hears how far a backup or restore has got, in bytes. */
export type Progress = (done: number, total: number) => void;

/** Backs up the data directory `dataDir` (a server may be running on it) into a new file `out`. */
export async function createBackup(dataDir: string, out: string, progress: Progress): Promise<Manifest> {
  if (!existsSync(join(dataDir, KEYS_DB))) throw new Error(`${dataDir} has no kmsd database (${KEYS_DB})`);
  if (existsSync(out)) throw new Error(`${out} exists already; a backup never overwrites a file`);
  const rootKey = FileRootKey.load(join(dataDir, ROOT_KEY_FILE));
  const work = await mkdtemp(join(dirname(out), ".kmsd-backup-"));
  try {
    const sources: Array<{ from: string; path: string }> = [];
    const store = new SqliteStore(join(dataDir, KEYS_DB));
    try {
      await store.snapshotTo(join(work, KEYS_DB));
    } finally {
      await store.close();
    }
    sources.push({ from: join(work, KEYS_DB), path: KEYS_DB });
    const auditDb = auditDbPath(dataDir);
    if (existsSync(auditDb)) {
      const snapshot = join(work, "audit.db");
      const audit = openSqliteAuditStore(auditDb, { readOnly: true });
      try {
        await audit.snapshotTo(snapshot);
      } finally {
        await audit.close();
      }
      sources.push({ from: snapshot, path: relative(dataDir, auditDb).split(sep).join("/") });
    }
    for (const file of await filesUnder(auditDir(dataDir))) sources.push({ from: file, path: relative(dataDir, file).split(sep).join("/") });
    const partial = join(work, "backup");
    const manifest = await writeArchive(
      partial,
      { createdAt: new Date().toISOString(), rootKeyCheck: rootKey.wrap(randomBytes(32), ROOT_KEY_CHECK_AAD).toString("base64") },
      sources,
      progress,
    );
    await rename(partial, out);
    return manifest;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Restores the backup file `from` into `dataDir`, which must not exist or be empty. With
 * `rootKeyFile`, checks that it is the root key the backup was made with and copies it in;
 * without, the directory needs that key file (root.key) before a server starts on it.
 * Nothing is left behind when the backup is damaged or the root key is not the right one.
 */
export async function restoreBackup(from: string, dataDir: string, rootKeyFile: string | undefined, progress: Progress): Promise<Manifest> {
  const { manifest, dataOffset } = await readManifest(from);
  if (rootKeyFile !== undefined) checkRootKey(manifest, rootKeyFile);
  const created = !existsSync(dataDir);
  if (!created && (await readdir(dataDir)).length > 0) throw new Error(`${dataDir} is not empty; restore only into a new or empty directory`);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  try {
    const total = manifest.files.reduce((sum, file) => sum + file.size, 0);
    let offset = dataOffset;
    let done = 0;
    for (const file of manifest.files) {
      const to = join(dataDir, ...file.path.split("/"));
      await mkdir(dirname(to), { recursive: true, mode: 0o700 });
      await extractFile(from, offset, file, to);
      offset += file.size;
      done += file.size;
      progress(done, total);
    }
    if (rootKeyFile !== undefined) await copyFile(rootKeyFile, join(dataDir, ROOT_KEY_FILE));
    return manifest;
  } catch (error) {
    if (created) await rm(dataDir, { recursive: true, force: true });
    else for (const entry of await readdir(dataDir)) await rm(join(dataDir, entry), { recursive: true, force: true });
    throw error;
  }
}

function checkRootKey(manifest: Manifest, rootKeyFile: string): void {
  try {
    FileRootKey.load(rootKeyFile).unwrap(Buffer.from(manifest.rootKeyCheck, "base64"), ROOT_KEY_CHECK_AAD);
  } catch {
    throw new Error(`${rootKeyFile} is not the root key this backup was made with`);
  }
}

/** Every file under `dir` (none if it does not exist), in a stable order. */
async function filesUnder(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}
