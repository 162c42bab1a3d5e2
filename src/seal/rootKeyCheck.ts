/**
 * Whether a root key is the one a database was written with. The first node to open a
 * database stores a check value, a fixed text wrapped by the root key; every later open
 * (another start, another node sharing the database, a worker) unwraps it. A node given
 * another root key (another deployment's shares, a wrong sealing key) refuses to serve
 * instead of writing material that no other node could read.
 */
import type { RootKey } from "../crypto/rootKey.ts";
import type { Store } from "../store/store.ts";

const CHECK_SETTING = "root_key_check";
const CHECK_AAD = Buffer.from("kmsd root key check", "utf8");
const CHECK_TEXT = "kmsd root key check v1";

/** Throws, with a message an operator can act on, unless `rootKey` fits the database of `store`. */
export async function checkRootKeyFits(store: Store, rootKey: RootKey): Promise<void> {
  const stored = await store.getSetting(CHECK_SETTING);
  if (stored === undefined) {
    await store.setSetting(CHECK_SETTING, rootKey.wrap(Buffer.from(CHECK_TEXT, "utf8"), CHECK_AAD).toString("base64"));
    return;
  }
  let text: string | undefined;
  try {
    text = rootKey.unwrap(Buffer.from(stored, "base64"), CHECK_AAD).toString("utf8");
  } catch {
    text = undefined;
  }
  if (text !== CHECK_TEXT) {
    throw new Error("the root key does not match this database: it was written under another root key (another deployment's seal, or a wrong root key file); refusing to serve");
  }
}
