/**
 * The data directory: created on first use with mode 0700, holding the SQLite database
 * (unless the deployment's database is PostgreSQL), after the first start the default
 * account's credentials file (0600), and what the seal needs (src/seal/): the plaintext
 * root key file `root.key` (0600) in the `file` mode, or the seal file `seal.json` with the
 * root key wrapped in every other mode.
 */
import { chmodSync, mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { FileRootKey, type WrappingKey } from "./crypto/rootKey.ts";
import type { RootKeyring } from "./crypto/rootKeyring.ts";
import { refuseUnfinishedRotation, rootKeyFilePath } from "./seal/rootKeySource.ts";
import { readSealRecord } from "./seal/sealFile.ts";
import { checkRootKeyFits } from "./seal/rootKeyCheck.ts";
import { redactedUrl } from "./store/open.ts";
import { openPgStore, type PgStore } from "./store/postgres/pgStore.ts";
import { SqliteStore } from "./store/sqlite/sqliteStore.ts";
import type { Store } from "./store/store.ts";

/** An opened data directory. */
export interface DataDir {
  path: string;
  store: Store;
  /** The root key as the database knows it: its generation, and the derived keys that outlive rotations. */
  rootKey: RootKeyring;
}

/** An opened data directory whose store is a PostgreSQL database shared with other nodes. */
export interface PostgresDataDir extends DataDir {
  store: PgStore;
  databaseUrl: string;
}

/** Creates the data directory (mode 0700) unless it exists; true if it created it. */
export function ensureDataDirectory(path: string): boolean {
  // Everything kmsd writes (database, WAL, root key, credentials) is for its own user only.
  process.umask(0o077);
  try {
    statSync(path);
    return false;
  } catch {
    mkdirSync(path, { recursive: true, mode: 0o700 });
    chmodSync(path, 0o700); // mkdir's mode is filtered by the umask
    return true;
  }
}

/**
 * Opens (creating if needed) a data directory in the `file` seal mode, with its root key
 * file. A sealed data directory has no root key here: it is refused, naming its mode.
 */
export async function openDataDir(path: string): Promise<DataDir> {
  ensureDataDirectory(path);
  return openUnsealedDataDir(path, FileRootKey.loadOrCreate(fileModeRootKeyPath(path)));
}

/**
 * Opens a deployment in the `file` seal mode for an offline command (account create, audit):
 * its state in PostgreSQL when `databaseUrl` is given, else SQLite inside the data directory.
 */
export async function openDeploymentDataDir(path: string, databaseUrl: string | undefined): Promise<DataDir | PostgresDataDir> {
  ensureDataDirectory(path);
  return openUnsealedDataDir(path, FileRootKey.loadOrCreate(fileModeRootKeyPath(path)), databaseUrl);
}

/**
 * The root key file of a data directory in the `file` mode. A sealed directory has none:
 * offline commands that need the root key refuse it, naming its seal mode.
 */
export function fileModeRootKeyPath(path: string): string {
  refuseUnfinishedRotation(path);
  const seal = readSealRecord(path);
  if (seal !== undefined) throw new Error(`${path} is sealed (seal mode ${seal.mode}): its root key is not on disk, so offline commands cannot use it`);
  return rootKeyFilePath(path);
}

/**
 * Opens the state of a deployment with its root key: the SQLite database of the data
 * directory, or the PostgreSQL database at `databaseUrl` shared with other nodes. Throws,
 * saying why, if the key is not the one the database was first written with.
 */
export async function openUnsealedDataDir(path: string, rootKey: WrappingKey): Promise<DataDir>;
export async function openUnsealedDataDir(path: string, rootKey: WrappingKey, databaseUrl: string | undefined): Promise<DataDir | PostgresDataDir>;
export async function openUnsealedDataDir(path: string, rootKey: WrappingKey, databaseUrl?: string): Promise<DataDir | PostgresDataDir> {
  const { store, database } = await openDeploymentStore(path, databaseUrl);
  const keyring = await checkOrClose(store, rootKey, database);
  return databaseUrl === undefined ? { path, store, rootKey: keyring } : { path, store: store as PgStore, rootKey: keyring, databaseUrl };
}

/**
 * The store of a deployment without the root key check (rotate-root makes its own), and
 * how messages name its database: the data directory's SQLite file, or PostgreSQL at `databaseUrl`.
 */
export async function openDeploymentStore(path: string, databaseUrl: string | undefined): Promise<{ store: Store; database: string }> {
  ensureDataDirectory(path);
  if (databaseUrl === undefined) return { store: new SqliteStore(join(path, "kmsd.db")), database: join(path, "kmsd.db") };
  return { store: await openPgStore(databaseUrl), database: `the database ${redactedUrl(databaseUrl)}` };
}

/** The root key check of a store just opened, which is closed again if the key does not fit. */
async function checkOrClose(store: Store, rootKey: WrappingKey, database: string): Promise<RootKeyring> {
  try {
    return await checkRootKeyFits(store, rootKey, database);
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** Where the default account's credentials are written. */
export function credentialsPath(dataDir: string): string {
  return join(dataDir, "credentials");
}
