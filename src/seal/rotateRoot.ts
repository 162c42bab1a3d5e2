/**
 * `kmsd operator rotate-root`: a new root key generation, and every secret the root key
 * wraps re-wrapped under it (key material versions of every account and Region, access
 * keys' and STS sessions' secrets, custom key stores' proxy secrets and kmsuser passwords,
 * the audit trail's digest signing key, the derived keys that outlive rotations).
 * Ciphertexts are not touched: they are encrypted under key material, which stays the same.
 * The same code runs offline (on a data directory, no server running) and online (in the
 * node that holds the seal, asked through its operator endpoint while it serves).
 *
 * Crash-safe and resumable, by order; every step is one durable write:
 * 1. the next root key is stored in the data directory beside the current one
 *    (rootKeySlots.ts), before anything is wrapped under it;
 * 2. the database records the rotation: the next generation, its check value, and the next
 *    key wrapped under the current one. Every node serving on the database (and every one
 *    that starts meanwhile) takes the next key from there and wraps under it from then on,
 *    still unwrapping the current generation (rootKeyFollower.ts); online, the rotation
 *    announces it and waits ROTATION_GRACE_MS for every node to follow before it goes on;
 * 3. each secret not yet under the next generation is re-wrapped, compare-and-set on the
 *    blob read: every blob is, at every moment, wrapped under one of the two keys, and the
 *    wrap format names which (rootKey.ts);
 * 4. a last pass checks that nothing is left under the old generation, the rotation is
 *    audited, and the database records the next generation as the current one (the nodes
 *    then let the old key go);
 * 5. the data directory's next key becomes its current one and the old one is destroyed.
 * Run again after a crash (offline), it picks up where the data directory and the database
 * say it stopped.
 */
import { existsSync } from "node:fs";
import { FIRST_GENERATION, WrappingKey } from "../crypto/rootKey.ts";
import { RootKeyring, STABLE_DERIVED_PURPOSES } from "../crypto/rootKeyring.ts";
import { SIGNING_KEY_AAD } from "../audit/signingKey.ts";
import { openDeploymentStore } from "../dataDir.ts";
import { customKeyStoreSecretAad } from "../keys/customKeyStores.ts";
import { secretAad } from "../identity/accessKeys.ts";
import { sessionSecretAad } from "../identity/sessions.ts";
import { materialAad } from "../keys/keyRepository.ts";
import { auditLocation, openAuditStoreAt } from "../store/open.ts";
import { auditDbPath } from "../store/sqlite/sqliteAuditStore.ts";
import type { Store } from "../store/store.ts";
import { WRAPPED_SECRET_KINDS, type WrappedSecret } from "../store/wrappedSecrets.ts";
import {
  DERIVED_KEYS_SETTING,
  derivedKeyAad,
  hasCheckValue,
  readRootKeyState,
  rootKeyCheckValue,
  wrapNextRootKey,
  writeRootKeyState,
  type RootKeyRotation,
  type RootKeyState,
} from "./rootKeyCheck.ts";
import type { RootKeySlots } from "./rootKeySlots.ts";
import { originDetails, recordRootOfTrustEvent, type OperatorOrigin } from "./rootOfTrustEvents.ts";

/** What rotate-root prints. */
export interface RotationResult {
  /** The root key generation now current. */
  RootKeyGeneration: number;
  PreviousRootKeyGeneration: number;
  /** Secrets this run re-wrapped (a rerun after a crash counts only its own). */
  RewrappedSecrets: number;
}

/** Told how far the re-wrapping is: `done` of `total` secrets. */
export type RotationProgress = (done: number, total: number) => void;

/** Secrets read, and re-wrapped in one transaction, at a time. */
const PAGE_SIZE = 50;

/**
 * How long an online rotation waits, once the rotation is recorded and announced, before it
 * re-wraps: longer than a node's fallback poll of the root key state (rootKeyFollower.ts),
 * so that a node that missed the announcement wraps under the next key before the last
 * pass looks for secrets under the old one.
 */
export const ROTATION_GRACE_MS = 3_000;

/** What an online rotation does besides the offline one's steps. */
export interface OnlineRotation {
  /** Tells the serving processes and nodes that the root key state changed (a rotation recorded, then finished). */
  announce(): Promise<void>;
  /** Who asked, for the audit event. */
  origin: OperatorOrigin;
  /** Overrides ROTATION_GRACE_MS (tests). */
  graceMs?: number;
}

/** Rotates the root key of the deployment at `dataDir` (its database: SQLite there, or PostgreSQL at `databaseUrl`). */
export async function rotateRoot(options: {
  dataDir: string;
  databaseUrl: string | undefined;
  slots: RootKeySlots;
  progress: RotationProgress;
  /** False under `--audit off`: the rotation is not recorded. */
  audited?: boolean;
  online?: OnlineRotation;
}): Promise<RotationResult> {
  const { dataDir, databaseUrl, slots, online } = options;
  const { store, database } = await openDeploymentStore(dataDir, databaseUrl);
  try {
    const state = await readRootKeyState(store);
    if (state === undefined) throw new Error(`${database} has no root key record yet: start kmsd on it once before rotating its root key`);
    const { current, next } = slots;
    // A rotation whose database step finished, but not the data directory's: only the promotion is left.
    if (state.rotation === undefined && next !== undefined && hasCheckValue(next, state.check)) {
      slots.promote();
      return { RootKeyGeneration: state.generation, PreviousRootKeyGeneration: state.generation - 1, RewrappedSecrets: 0 };
    }
    if (current === undefined || !hasCheckValue(current, state.check)) {
      throw new Error(`the root key of ${dataDir} does not match ${database}: it was initialised with another root key`);
    }
    const rotation = await startRotation(store, state, slots, current);
    const nextKey = slots.next;
    if (nextKey === undefined || !hasCheckValue(nextKey, rotation.check)) {
      throw new Error(`${database} records a rotation to a root key that ${dataDir} does not hold (was the data directory restored from a backup?); refusing to go on`);
    }
    if (online !== undefined) {
      await online.announce();
      await new Promise((resolve) => setTimeout(resolve, online.graceMs ?? ROTATION_GRACE_MS));
    }
    const keyring = new RootKeyring(
      { generation: rotation.generation, key: nextKey },
      // Nothing derives keys during a rotation: an empty map makes any attempt fail loudly.
      { previous: { generation: state.generation, key: current }, derived: new Map() },
    );
    const rewrapper = new Rewrapper(store, keyring, dataDir, databaseUrl, options.progress);
    await rewrapper.rewrapDerivedKeys(current, state.generation);
    const rewrapped = await rewrapper.rewrapAll(online !== undefined);
    await recordRootOfTrustEvent({ dataDir, databaseUrl, audited: options.audited ?? true }, "RotateRootKey", {
      previousRootKeyGeneration: String(state.generation),
      rootKeyGeneration: String(rotation.generation),
      rewrappedSecrets: String(rewrapped),
      ...(online === undefined ? {} : { online: "true", ...originDetails(online.origin) }),
    });
    await writeRootKeyState(store, { generation: rotation.generation, check: rotation.check });
    slots.promote();
    await online?.announce();
    return { RootKeyGeneration: rotation.generation, PreviousRootKeyGeneration: state.generation, RewrappedSecrets: rewrapped };
  } finally {
    await store.close();
  }
}

/** Steps 1 and 2: the next key stored in the data directory (unless a crashed run stored it), then the rotation recorded in the database. */
async function startRotation(store: Store, state: RootKeyState, slots: RootKeySlots, current: WrappingKey): Promise<RootKeyRotation> {
  if (state.rotation !== undefined) return state.rotation;
  let next = slots.next;
  if (next === undefined) {
    next = WrappingKey.generate();
    await slots.storeNext(next);
  }
  if (next === current || hasCheckValue(next, state.check)) throw new Error("the next root key is the current one");
  const generation = state.generation + 1;
  const rotation = { generation, check: rootKeyCheckValue(next), wrappedKey: wrapNextRootKey(current, state.generation, next, generation) };
  await writeRootKeyState(store, { ...state, rotation });
  return rotation;
}

/** Step 3: re-wraps what is not under the next generation yet; step 4's check. */
class Rewrapper {
  readonly #store: Store;
  readonly #keyring: RootKeyring;
  readonly #auditLocation: string | undefined;
  readonly #progress: RotationProgress;
  #done = 0;
  #total = 0;

  constructor(store: Store, keyring: RootKeyring, dataDir: string, databaseUrl: string | undefined, progress: RotationProgress) {
    this.#store = store;
    this.#keyring = keyring;
    // A deployment that never ran its audit trail has no audit database (and no signing key) to visit.
    this.#auditLocation = databaseUrl !== undefined || existsSync(auditDbPath(dataDir)) ? auditLocation(dataDir, databaseUrl) : undefined;
    this.#progress = progress;
  }

  /**
   * The keys derived from the first root key that must outlive it (grant token MACs,
   * material ids): the first rotation stores them, wrapped; later ones re-wrap them.
   */
  async rewrapDerivedKeys(current: WrappingKey, currentGeneration: number): Promise<void> {
    const stored = await this.#store.getSetting(DERIVED_KEYS_SETTING);
    if (stored === undefined && currentGeneration !== FIRST_GENERATION) throw new Error("the database has a rotated root key but not the keys derived from the first one");
    const wrapped = stored === undefined ? {} : (JSON.parse(stored) as Record<string, string>);
    let changed = false;
    for (const purpose of Object.values(STABLE_DERIVED_PURPOSES)) {
      const old = wrapped[purpose];
      if (old !== undefined && this.#keyring.isCurrent(Buffer.from(old, "base64"))) continue;
      const key = old === undefined ? current.deriveKey(purpose) : this.#keyring.unwrap(Buffer.from(old, "base64"), derivedKeyAad(purpose));
      try {
        wrapped[purpose] = this.#keyring.wrap(key, derivedKeyAad(purpose)).toString("base64");
      } finally {
        key.fill(0);
      }
      changed = true;
    }
    if (changed) await this.#store.setSetting(DERIVED_KEYS_SETTING, JSON.stringify(wrapped));
  }

  /**
   * Re-wraps every stored secret until a pass finds none left under the old generation;
   * returns how many it re-wrapped. Offline, secrets that keep changing mean a server is
   * running on the deployment; `online`, that is expected, and writers wrap under the next
   * generation already, so the passes still end.
   */
  async rewrapAll(online: boolean): Promise<number> {
    this.#total = await this.#countOld();
    this.#progress(0, this.#total);
    for (let pass = 0; ; pass++) {
      let stale = 0;
      for (const kind of WRAPPED_SECRET_KINDS) {
        await this.#forEachOldPage(kind, async (secrets) => {
          const replacements = [];
          for (const secret of secrets) replacements.push({ secret, replacement: await this.#rewrapped(secret) });
          const replaced = await this.#store.replaceWrappedSecrets(replacements);
          this.#advance(replaced);
          stale += secrets.length - replaced; // written meanwhile: the next pass reads them again
        });
      }
      stale += (await this.#rewrapSigningKey()) ? 0 : 1;
      if (stale === 0 && (await this.#countOld()) === 0) return this.#done;
      if (pass >= 10) {
        throw new Error(
          online
            ? "secrets kept changing under the old root key after 10 passes: a node of this deployment did not follow the rotation; run rotate-root again"
            : "secrets keep changing under the rotation: is a server running on this deployment? Stop it and run rotate-root again",
        );
      }
    }
  }

  async #rewrapped(secret: WrappedSecret): Promise<Buffer> {
    const aad = await this.#aadOf(secret);
    const plaintext = this.#keyring.unwrap(secret.wrapped, aad);
    try {
      return this.#keyring.wrap(plaintext, aad);
    } finally {
      plaintext.fill(0);
    }
  }

  #aadOf(secret: WrappedSecret): Promise<Buffer> {
    return wrappedSecretAad(this.#store, secret);
  }

  /** The signing key, re-wrapped if it is not yet; false if it changed while being re-wrapped. */
  async #rewrapSigningKey(): Promise<boolean> {
    if (this.#auditLocation === undefined) return true;
    const audit = await openAuditStoreAt(this.#auditLocation);
    try {
      const stored = await audit.signingKey();
      if (stored === undefined || this.#keyring.isCurrent(Buffer.from(stored.wrappedPrivateKey, "base64"))) return true;
      const der = this.#keyring.unwrap(Buffer.from(stored.wrappedPrivateKey, "base64"), SIGNING_KEY_AAD);
      let replacement: string;
      try {
        replacement = this.#keyring.wrap(der, SIGNING_KEY_AAD).toString("base64");
      } finally {
        der.fill(0);
      }
      const replaced = await audit.replaceWrappedSigningKey(stored.wrappedPrivateKey, replacement);
      if (replaced) this.#advance(1);
      return replaced;
    } finally {
      await audit.close();
    }
  }

  async #countOld(): Promise<number> {
    let count = 0;
    for (const kind of WRAPPED_SECRET_KINDS) await this.#forEachOldPage(kind, async (secrets) => void (count += secrets.length));
    if (this.#auditLocation !== undefined) {
      const audit = await openAuditStoreAt(this.#auditLocation);
      try {
        const stored = await audit.signingKey();
        if (stored !== undefined && !this.#keyring.isCurrent(Buffer.from(stored.wrappedPrivateKey, "base64"))) count++;
      } finally {
        await audit.close();
      }
    }
    return count;
  }

  /** Visits the secrets of `kind` still under the old generation, a page (one transaction's worth) at a time. */
  async #forEachOldPage(kind: (typeof WRAPPED_SECRET_KINDS)[number], visit: (secrets: WrappedSecret[]) => Promise<void>): Promise<void> {
    let after: readonly string[] | undefined;
    for (;;) {
      const page = await this.#store.listWrappedSecrets(kind, after, PAGE_SIZE);
      const old = page.filter((secret) => !this.#keyring.isCurrent(secret.wrapped));
      if (old.length > 0) await visit(old);
      if (page.length < PAGE_SIZE) return;
      after = page[page.length - 1]?.id;
    }
  }

  #advance(count: number): void {
    this.#done += count;
    this.#progress(this.#done, Math.max(this.#total, this.#done));
  }
}

/** The additional data a stored secret was wrapped with (the code that wraps each kind defines it). */
export async function wrappedSecretAad(store: Store, secret: WrappedSecret): Promise<Buffer> {
  const [first = "", second = "", third = ""] = secret.id;
  if (secret.kind === "access key") return secretAad(first);
  if (secret.kind === "xks proxy secret") return customKeyStoreSecretAad({ id: first, accountId: second, region: third }, "xks-proxy-secret");
  if (secret.kind === "kmsuser password") return customKeyStoreSecretAad({ id: first, accountId: second, region: third }, "kmsuser-password");
  if (secret.kind === "sts session" || secret.kind === "sts token session") return sessionSecretAad(first);
  const record = await store.getKey(first);
  if (record === undefined) throw new Error(`material ${second} belongs to key ${first}, which does not exist; refusing to leave it under the old root key`);
  return materialAad(record, second);
}
