/**
 * Whether a root key is the one a database was written with, whatever the engine (SQLite,
 * PostgreSQL) and whatever the seal mode that produced the key. The first node to open a
 * database records a check value of its root key (atomically: of two nodes starting at
 * once, one value wins); every later open (another start, another node sharing the
 * database, a worker) compares. A node given another root key (a wrong root.key, another
 * deployment's shares, a wrong sealing key) refuses to serve instead of writing material
 * that no other node could read.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { RootKey } from "../crypto/rootKey.ts";
import type { Store } from "../store/store.ts";

/** The setting that holds the check value (the value, not the key). */
const CHECK_SETTING = "root_key_check";

/**
 * A value that tells root keys apart without revealing anything about them: an HMAC under
 * a key derived for this purpose only, so it is no oracle for anything the root key wraps.
 */
export function rootKeyCheckValue(rootKey: RootKey): string {
  return createHmac("sha256", rootKey.deriveKey("kmsd database root key check")).update("kmsd").digest("hex");
}

/**
 * Throws unless `rootKey` fits the database of `store`, recording the check value on the
 * first open. `database` names the database in the message (a path, or a URL without its password).
 */
export async function checkRootKeyFits(store: Store, rootKey: RootKey, database: string): Promise<void> {
  const check = rootKeyCheckValue(rootKey);
  const stored = (await store.getSetting(CHECK_SETTING)) ?? (await store.insertSettingIfAbsent(CHECK_SETTING, check));
  const fits = stored.length === check.length && timingSafeEqual(Buffer.from(stored), Buffer.from(check));
  if (!fits) {
    throw new Error(
      `the root key does not match this database: ${database} was initialised with another root key. Every node of a deployment ` +
        "must use the same root key (in the file seal mode, copy root.key from a node that already serves; otherwise use the deployment's seal); refusing to serve",
    );
  }
}
