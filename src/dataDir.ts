/**
 * The data directory: created on first use with mode 0700, holding the root key file
 * (0600), the SQLite database (unless the deployment's database is PostgreSQL) and, after
 * the first start, the default account's credentials file (0600).
 */
import { createHmac } from "node:crypto";
import { chmodSync, mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { FileRootKey, type RootKey } from "./crypto/rootKey.ts";
import { redactedUrl } from "./store/open.ts";
import { openPgStore, type PgStore } from "./store/postgres/pgStore.ts";
import { SqliteStore } from "./store/sqlite/sqliteStore.ts";
import type { Store } from "./store/store.ts";

/** An opened data directory. */
export interface DataDir {
  path: string;
  store: Store;
  rootKey: RootKey;
}

/** An opened data directory whose store is a PostgreSQL database shared with other nodes. */
export interface PostgresDataDir extends DataDir {
  store: PgStore;
  databaseUrl: string;
}

/** The setting that records which root key a database was initialised with (a check value, not the key). */
const ROOT_KEY_CHECK_SETTING = "root_key_check";

/**
 * Opens the data directory (root key, credentials) with its state in the PostgreSQL
 * database at `databaseUrl`. The first node to start records a check value of its root
 * key there; a node with another root key could not unwrap anything stored, so it refuses
 * to start, saying why.
 */
export async function openDataDirOnPostgres(path: string, databaseUrl: string): Promise<PostgresDataDir> {
  const { rootKey } = prepareDataDir(path);
  const store = await openPgStore(databaseUrl);
  try {
    const check = rootKeyCheck(rootKey);
    const stored = (await store.getSetting(ROOT_KEY_CHECK_SETTING)) ?? (await store.insertSettingIfAbsent(ROOT_KEY_CHECK_SETTING, check));
    if (stored !== check) {
      throw new Error(
        `the database ${redactedUrl(databaseUrl)} was initialised with another root key than ${join(path, "root.key")}: ` +
          "every node of a deployment must use the same root key (copy root.key from a node that already serves)",
      );
    }
  } catch (error) {
    await store.close();
    throw error;
  }
  return { path, store, rootKey, databaseUrl };
}

/** The data directory of a deployment: its state in PostgreSQL when `databaseUrl` is given, else SQLite inside it. */
export async function openDeploymentDataDir(path: string, databaseUrl: string | undefined): Promise<DataDir | PostgresDataDir> {
  return databaseUrl === undefined ? openDataDir(path) : openDataDirOnPostgres(path, databaseUrl);
}

/** A value that tells root keys apart without revealing anything about them (HMAC under a purpose-derived key). */
function rootKeyCheck(rootKey: RootKey): string {
  return createHmac("sha256", rootKey.deriveKey("kmsd database root key check")).update("kmsd").digest("hex");
}

/** Opens (creating if needed) the data directory. */
export function openDataDir(path: string): DataDir {
  const { rootKey } = prepareDataDir(path);
  const store = new SqliteStore(join(path, "kmsd.db"));
  return { path, store, rootKey };
}

/** Creates the directory if needed and loads (or creates) its root key. */
function prepareDataDir(path: string): { rootKey: RootKey } {
  // Everything kmsd writes (database, WAL, root key, credentials) is for its own user only.
  process.umask(0o077);
  let created = false;
  try {
    statSync(path);
  } catch {
    mkdirSync(path, { recursive: true, mode: 0o700 });
    created = true;
  }
  if (created) chmodSync(path, 0o700); // mkdir's mode is filtered by the umask
  return { rootKey: FileRootKey.loadOrCreate(join(path, "root.key")) };
}

/** Where the default account's credentials are written. */
export function credentialsPath(dataDir: string): string {
  return join(dataDir, "credentials");
}
