/**
 * Whether a root key is the one a database was written with, whatever the engine (SQLite,
 * PostgreSQL) and whatever the seal mode that produced the key. The first node to open a
 * database records a check value of its root key (atomically: of two nodes starting at
 * once, one value wins); every later open (another start, another node sharing the
 * database, a worker) compares. A node given another root key (a wrong root.key, another
 * deployment's shares, a wrong sealing key) refuses to serve instead of writing material
 * that no other node could read.
 *
 * The same setting records the root key's generation once `kmsd operator rotate-root` has
 * run (generation 1, the key the deployment was created with, keeps the plain check value
 * it always had), and a rotation in progress: the generation it moves to, that key's check
 * value and the key itself wrapped under the current one. A node with the current key joins
 * such a rotation (it holds both generations); one with only the next key, or a rotation
 * recorded without it, refuses to serve until the rotation is finished: part of the material
 * is wrapped under a key it does not hold. After a rotation the keys derived
 * from the first root key that must not change (rootKeyring.ts) are kept in the database,
 * wrapped under the current root key.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { FIRST_GENERATION, WrappingKey } from "../crypto/rootKey.ts";
import { derivedKeyMap, RootKeyring, STABLE_DERIVED_PURPOSES } from "../crypto/rootKeyring.ts";
import type { RootKey } from "../crypto/rootKey.ts";
import type { Store } from "../store/store.ts";

/** The setting that holds the check value (the value, not the key) and, after a rotation, the generation. */
const CHECK_SETTING = "root_key_check";
/** The setting that holds the stable derived keys after a rotation: purpose → wrapped key (base64). */
export const DERIVED_KEYS_SETTING = "root_derived_keys";

/** What the database says of its root key. */
export interface RootKeyState {
  generation: number;
  check: string;
  /** A rotation that started and has not finished. */
  rotation?: RootKeyRotation;
}

/** A rotation in progress: the generation it moves to, that key's check value, and the key itself wrapped under the current one (base64). */
export interface RootKeyRotation {
  generation: number;
  check: string;
  /**
   * The next root key wrapped under the current generation, so that every node holding the
   * current key (serving, or starting meanwhile) takes the next one up and wraps under it
   * while the rotation re-wraps the rest. Rotations recorded before it existed have none.
   */
  wrappedKey?: string;
}

/**
 * A value that tells root keys apart without revealing anything about them: an HMAC under
 * a key derived for this purpose only, so it is no oracle for anything the root key wraps.
 */
export function rootKeyCheckValue(rootKey: RootKey): string {
  return createHmac("sha256", rootKey.deriveKey("kmsd database root key check")).update("kmsd").digest("hex");
}

/** The database's root key state; undefined before the first open recorded it. */
export async function readRootKeyState(store: Store): Promise<RootKeyState | undefined> {
  const stored = await store.getSetting(CHECK_SETTING);
  return stored === undefined ? undefined : parseState(stored);
}

/** Records a new root key state (rotate-root's steps; each is one durable write). */
export async function writeRootKeyState(store: Store, state: RootKeyState): Promise<void> {
  const plain = state.generation === FIRST_GENERATION && state.rotation === undefined;
  await store.setSetting(CHECK_SETTING, plain ? state.check : JSON.stringify(state));
}

function parseState(stored: string): RootKeyState {
  if (!stored.startsWith("{")) return { generation: FIRST_GENERATION, check: stored };
  const parsed = JSON.parse(stored) as RootKeyState;
  if (!Number.isInteger(parsed.generation) || typeof parsed.check !== "string") throw new Error("the database's root key record is not one this kmsd reads");
  return parsed;
}

/** Whether `rootKey` has the check value `check`. */
export function hasCheckValue(rootKey: RootKey, check: string): boolean {
  const actual = Buffer.from(rootKeyCheckValue(rootKey));
  const expected = Buffer.from(check);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/**
 * Throws unless `rootKey` fits the database of `store`, recording the check value on the
 * first open; returns the keyring the services use (its generation, the derived keys that
 * outlive rotations). `database` names the database in the message (a path, or a URL
 * without its password).
 */
export async function checkRootKeyFits(store: Store, rootKey: WrappingKey, database: string): Promise<RootKeyring> {
  const state = (await readRootKeyState(store)) ?? parseState(await store.insertSettingIfAbsent(CHECK_SETTING, rootKeyCheckValue(rootKey)));
  const fits = hasCheckValue(rootKey, state.check);
  // A node with the current key joins a rotation that says what the next key is; one with the next key must wait for it to finish.
  const joinable = fits && state.rotation?.wrappedKey !== undefined;
  if (state.rotation !== undefined && !joinable && (fits || hasCheckValue(rootKey, state.rotation.check))) {
    throw new Error(
      `a root key rotation of ${database} (generation ${state.generation} to ${state.rotation.generation}) did not finish: ` +
        "part of the key material is wrapped under the new root key and part under the old one; run kmsd operator rotate-root again to finish it; refusing to serve",
    );
  }
  if (!fits) {
    throw new Error(
      `the root key does not match this database: ${database} was initialised with another root key. Every node of a deployment ` +
        "must use the same root key (in the file seal mode, copy root.key from a node that already serves; otherwise use the deployment's seal); refusing to serve",
    );
  }
  return keyringOf(store, state, rootKey);
}

/** The keyring of a node whose root key is `state`'s current one: with the next generation too while a rotation runs. */
async function keyringOf(store: Store, state: RootKeyState, rootKey: WrappingKey): Promise<RootKeyring> {
  const current = { generation: state.generation, key: rootKey };
  const rotation = state.rotation;
  const next = rotation?.wrappedKey === undefined ? undefined : { generation: rotation.generation, key: unwrapNextRootKey(rootKey, rotation) };
  try {
    if (state.generation === FIRST_GENERATION) {
      const keyring = new RootKeyring(current);
      if (next !== undefined) keyring.advance(next);
      return keyring;
    }
    // The stored derived keys are under the current generation, or already under the next one.
    const reader = next === undefined ? new RootKeyring(current, { derived: new Map() }) : new RootKeyring(next, { previous: current, derived: new Map() });
    const keyring = new RootKeyring(current, { derived: await readDerivedKeys(store, reader) });
    if (next !== undefined) keyring.advance(next);
    return keyring;
  } catch (error) {
    next?.key.destroy();
    throw error;
  }
}

/** The additional data that binds the next root key, wrapped under the current one, to its purpose and generation. */
function nextRootKeyAad(generation: number): Buffer {
  return Buffer.from(`kmsd next root key\n${generation}`, "utf8");
}

/** The next root key wrapped under `current` (generation `currentGeneration`), for the rotation record. */
export function wrapNextRootKey(current: WrappingKey, currentGeneration: number, next: WrappingKey, nextGeneration: number): string {
  return next.withBytes((bytes) => current.wrap(bytes, nextRootKeyAad(nextGeneration), currentGeneration)).toString("base64");
}

/** The next root key of `rotation`, unwrapped by the current one (a WrappingKey, or the keyring that holds it). */
export function unwrapNextRootKey(current: RootKey, rotation: RootKeyRotation): WrappingKey {
  if (rotation.wrappedKey === undefined) throw new Error("the rotation record holds no next root key");
  return WrappingKey.adopt(current.unwrap(Buffer.from(rotation.wrappedKey, "base64"), nextRootKeyAad(rotation.generation)));
}

/** The additional data that binds a stored derived key to its purpose. */
export function derivedKeyAad(purpose: string): Buffer {
  return Buffer.from(`kmsd derived key\n${purpose}`, "utf8");
}

/** The stable derived keys the database keeps, unwrapped by `keyring`. */
export async function readDerivedKeys(store: Store, keyring: RootKey): Promise<ReturnType<typeof derivedKeyMap>> {
  const stored = await store.getSetting(DERIVED_KEYS_SETTING);
  if (stored === undefined) throw new Error("the database has a rotated root key but not the keys derived from the first one");
  const wrapped = JSON.parse(stored) as Record<string, string>;
  const entries: Array<[string, Buffer]> = [];
  for (const purpose of Object.values(STABLE_DERIVED_PURPOSES)) {
    const value = wrapped[purpose];
    if (value === undefined) throw new Error(`the database keeps no derived key for '${purpose}'`);
    entries.push([purpose, keyring.unwrap(Buffer.from(value, "base64"), derivedKeyAad(purpose))]);
  }
  try {
    return derivedKeyMap(entries);
  } finally {
    for (const [, bytes] of entries) bytes.fill(0);
  }
}
