/**
 * The data directory: created on first use with mode 0700, holding the root key file
 * (0600), the SQLite database and, after the first start, the default account's
 * credentials file (0600).
 */
import { chmodSync, mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { FileRootKey, type RootKey } from "./crypto/rootKey.ts";
import { SqliteStore } from "./store/sqlite/sqliteStore.ts";
import type { Store } from "./store/store.ts";

/** An opened data directory. */
export interface DataDir {
  path: string;
  store: Store;
  rootKey: RootKey;
}

/** Opens (creating if needed) the data directory. */
export function openDataDir(path: string): DataDir {
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
  const rootKey = FileRootKey.loadOrCreate(join(path, "root.key"));
  const store = new SqliteStore(join(path, "kmsd.db"));
  return { path, store, rootKey };
}

/** Where the default account's credentials are written. */
export function credentialsPath(dataDir: string): string {
  return join(dataDir, "credentials");
}
