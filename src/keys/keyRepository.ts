/**
 * Keys as the operations see them: records and material read through the bounded
 * cache; mutations start from the stored record, are written with a revision check
 * (compare-and-set, retried from a fresh read when another process wrote first) and
 * reach the cache only after commit. Within one process, one mutation at a time per key.
 * Keys are named by handle (records.ts keyHandle): the key id, Region-qualified for
 * multi-Region keys, whose related keys share one id.
 */
import { observeKeyCacheLookup } from "../metrics/metrics.ts";
import { createHmac, createSecretKey, randomUUID, type KeyObject } from "node:crypto";
import { KMSInternalException, NotFoundException } from "../errors.ts";
import { prepareAsymmetricKey, type PreparedAsymmetricKey } from "../crypto/asymmetric/index.ts";
import type { RootKey } from "../crypto/rootKey.ts";
import { STABLE_DERIVED_PURPOSES } from "../crypto/rootKeyring.ts";
import type { Store } from "../store/store.ts";
import { LocalChangeBus, type ChangeBus } from "../cluster/changes.ts";
import type { GrantRecord } from "./grants.ts";
import { KeyCache, type CachedKey } from "./keyCache.ts";

import { isMultiRegionKeyId, keyArn, keyHandle, type KeyRecord, type NewKeyRecord, type StoredMaterial } from "./records.ts";

/** Reads and changes keys through the cache. */
export class KeyRepository {
  readonly store: Store;
  readonly #rootKey: RootKey;
  /** Keys the HMAC that names material versions (derived from the root key, so ids reveal nothing of the material). */
  readonly #materialIdKey: KeyObject;
  readonly #cache: KeyCache;
  readonly #locks = new Map<string, Promise<unknown>>();

  readonly #bus: ChangeBus;
  /** What alias names resolve to ("account\0region\0alias/name" → key id), so naming a key by alias reads no database. */
  readonly #aliasTargets = new Map<string, string>();
  /** The cached alias names of each target key (by handle), to forget them when its aliases change. */
  readonly #aliasesByTarget = new Map<string, Set<string>>();
  readonly #maxAliasTargets: number;
  /** Counts alias forgets: a read that raced one is not cached (it may have read the alias before the change). */
  #aliasGeneration = 0;
  /** Counts the changes other workers published: a store read that raced one is not cached. */
  #forgets = 0;

  constructor(store: Store, rootKey: RootKey, cacheSize: number, bus: ChangeBus = new LocalChangeBus()) {
    this.store = store;
    this.#rootKey = rootKey;
    this.#materialIdKey = createSecretKey(rootKey.deriveKey(STABLE_DERIVED_PURPOSES.keyMaterialIds));
    this.#cache = new KeyCache(cacheSize);
    this.#maxAliasTargets = cacheSize;
    this.#bus = bus;
    // Another worker changed a key (or its aliases): forget what this one cached, re-read on next use.
    bus.subscribe((change) => {
      if (change.kind === "everything") this.#forgetAll();
      if (change.kind !== "key") return;
      this.#forgets++;
      this.#cache.forget(change.keyId);
      this.#forgetAliasTargets(change.keyId);
    });
  }

  /**
   * After a change to many keys at once (a --dev reset): this process forgets every cached
   * key and alias, and every other process forgets everything it cached (keys, access keys,
   * identity policies) before this resolves.
   */
  async forgetEverywhere(): Promise<void> {
    this.#forgetAll();
    await this.#bus.publish({ kind: "everything" });
  }

  #forgetAll(): void {
    this.#forgets++;
    this.#cache.forgetAll();
    this.#aliasGeneration++;
    this.#aliasTargets.clear();
    this.#aliasesByTarget.clear();
  }

  /** The key with this handle, from the cache or the store; undefined if it does not exist. */
  async find(handle: string): Promise<KeyRecord | undefined> {
    return (await this.#cached(handle))?.record;
  }

  /** The key and its related multi-Region keys as cached (reads for answers, never for writes); the key alone for a single-Region key. */
  async findRelated(record: KeyRecord): Promise<KeyRecord[]> {
    const config = record.multiRegionConfig;
    if (!config) return [record];
    const related = await Promise.all(
      [config.primaryRegion, ...config.replicaRegions].map((region) => (region === record.region ? record : this.find(keyHandle({ keyId: record.keyId, region })))),
    );
    return related.filter((candidate) => candidate !== undefined);
  }

  /** The unwrapped material of one version of a key; undefined if that version does not exist. */
  async material(record: KeyRecord, keyMaterialId: string): Promise<Buffer | undefined> {
    const entry = (await this.#cached(keyHandle(record))) ?? uncachedEntry(record);
    const cached = entry.materials.get(keyMaterialId);
    if (cached) return cached;
    const stored = await this.store.getMaterial(keyHandle(record), keyMaterialId);
    if (!stored) return undefined;
    const material = this.#rootKey.unwrap(stored.wrapped, materialAad(record, keyMaterialId));
    entry.materials.set(keyMaterialId, material);
    return material;
  }

  /** The parsed key pair of an asymmetric key (its current material), parsed once and cached. */
  async keyPair(record: KeyRecord): Promise<PreparedAsymmetricKey> {
    const entry = (await this.#cached(keyHandle(record))) ?? uncachedEntry(record);
    if (entry.prepared) return entry.prepared;
    const material = record.currentKeyMaterialId ? await this.material(record, record.currentKeyMaterialId) : undefined;
    if (!material) throw new KMSInternalException("The key has no key material.");
    entry.prepared = prepareAsymmetricKey(record.keySpec, material);
    return entry.prepared;
  }

  /**
   * The id of a key's piece of material (its KeyMaterialId): 64 hex digits, the same each
   * time the same material comes to the same key, so a re-import is recognised, as AWS's.
   * Keyed by a secret derived from the root key and bound to the key id, an id tells no one
   * anything about the material, not even that two keys share it. Related multi-Region
   * keys share their id, so a version has the same material id in every Region.
   */
  materialIdFor(keyId: string, material: Buffer): string {
    return createHmac("sha256", this.#materialIdKey).update(`${keyId}\n`, "utf8").update(material).digest("hex");
  }

  /**
   * Creates a key, with fresh material if given, durably; returns its record. The material's
   * id is `materialIdFor` unless given (a seed file's material has an id that is the same in
   * every deployment, so a ciphertext made in one decrypts in another).
   */
  async create(newRecord: NewKeyRecord, material: Buffer | undefined, materialId?: string): Promise<KeyRecord> {
    let record: KeyRecord = { ...newRecord, revision: 0 };
    let stored: StoredMaterial | undefined;
    if (material) {
      const keyMaterialId = materialId ?? this.materialIdFor(record.keyId, material);
      record = { ...record, currentKeyMaterialId: keyMaterialId };
      stored = {
        keyId: keyHandle(record),
        keyMaterialId,
        wrapped: this.#rootKey.wrap(material, materialAad(record, keyMaterialId)),
        createdAtMs: record.createdAtMs,
      };
    }
    const { revision: _revision, ...toInsert } = record;
    await this.store.insertKey(toInsert, stored);
    const entry = this.#cache.putRecord(record);
    if (material && record.currentKeyMaterialId) entry.materials.set(record.currentKeyMaterialId, material);
    return record;
  }

  /**
   * Applies `change` to the stored record of `keyId` (never the cached one: another worker
   * may have written since), persists the result if the record is still at the revision
   * it read, and only then updates the cache; when another writer committed in between it
   * starts again from a fresh read, so no acknowledged change is ever written over.
   * `change` may be called more than once and may throw to refuse (nothing is written);
   * returning `current` itself means "nothing to change".
   */
  async update(handle: string, change: (current: KeyRecord) => KeyRecord): Promise<KeyRecord> {
    const outcome = await this.#readModifyWrite(handle, async (current) => {
      const changed = change(current);
      if (changed === current) return UNCHANGED;
      const next = { ...changed, revision: current.revision + 1 };
      return (await this.store.updateKey(next)) ? { written: next } : LOST;
    });
    return outcome.record;
  }

  /**
   * Changes a key and its material versions in one transaction, as `update` does: `change`
   * sees the stored record and returns the new one plus the material to add (new or
   * re-imported) and the versions to delete. The cache follows after commit.
   */
  async changeMaterial(handle: string, change: (current: KeyRecord) => MaterialChange): Promise<KeyRecord> {
    const outcome = await this.#readModifyWrite(handle, async (current) => {
      const { record, add, remove = [] } = change(current);
      if (!add && record === current && remove.length === 0) return UNCHANGED;
      const next = { ...record, revision: current.revision + 1 };
      if (!add) return (await this.store.deleteMaterials(next, remove)) ? { written: next, removedMaterials: remove } : LOST;
      const keyMaterialId = this.materialIdFor(current.keyId, add);
      const stored = { keyId: handle, keyMaterialId, wrapped: this.#rootKey.wrap(add, materialAad(next, keyMaterialId)), createdAtMs: Date.now() };
      return (await this.store.putMaterial(next, stored)) ? { written: next, addedMaterial: [keyMaterialId, add] } : LOST;
    });
    return outcome.record;
  }

  /**
   * Deletes a key, its material, aliases and grants for good if `due` holds for its stored
   * record (always, without one); false if the key is gone or `due` no longer holds, e.g.
   * a deletion that CancelKeyDeletion on another worker called off.
   */
  async delete(handle: string, due: (current: KeyRecord) => boolean = () => true): Promise<boolean> {
    try {
      const outcome = await this.#readModifyWrite(handle, async (current) => {
        if (!due(current)) return UNCHANGED;
        return (await this.store.deleteKey(handle, current.revision)) ? DELETED : LOST;
      });
      return outcome.deleted;
    } catch (error) {
      if (error instanceof NotFoundException) return false;
      throw error;
    }
  }

  /**
   * Changes a set of related multi-Region keys together (a replica's creation or deletion,
   * rotation of a primary, a change of primary Region...). `change` gets every key of the
   * set as stored now (the set the stored record of `key` names; a single-Region key is a
   * set of one) and says what to write; it may be called more than once and may throw to
   * refuse. Everything is written in one transaction, compare-and-set on each record it
   * updates or deletes; when another writer committed first it starts again from fresh
   * reads. A change must update every key whose state it depends on, so that a concurrent
   * change to any of them makes it start again. The cache follows after commit.
   */
  async changeRelated(key: Pick<KeyRecord, "keyId" | "region">, change: (related: readonly KeyRecord[]) => RelatedChange): Promise<RelatedOutcome> {
    // A single-Region key queues behind its own writes; a multi-Region set behind its own changes.
    const lock = isMultiRegionKeyId(key.keyId) ? `related\u0000${key.keyId}` : keyHandle(key);
    return this.#withLock(lock, async () => {
      for (let tries = 1; ; tries++) {
        const related = await this.#readRelated(keyHandle(key));
        const wanted = change(related);
        const update = (wanted.update ?? []).map((record) => ({ ...record, revision: record.revision + 1 }));
        const create = wanted.create ?? [];
        const remove = wanted.delete ?? [];
        const added = (wanted.materials ?? []).map(({ material, to }) => ({ keyMaterialId: this.materialIdFor(key.keyId, material), material, to }));
        if (update.length + create.length + remove.length === 0) return { related, created: [] };
        const materials = added.flatMap(({ keyMaterialId, material, to }) =>
          to.map((target) => ({ keyId: keyHandle(target), keyMaterialId, wrapped: this.#rootKey.wrap(material, materialAad(target, keyMaterialId)), createdAtMs: Date.now() })),
        );
        if (!(await this.store.writeKeys({ update, insert: create, delete: remove, materials }))) {
          for (const record of related) this.#cache.forget(keyHandle(record));
          if (tries >= MAX_WRITE_ATTEMPTS) throw new KMSInternalException("The key is being changed too often to apply this change; try again.");
          continue;
        }
        const created = create.map((record) => ({ ...record, revision: 0 }));
        // Every written record is cached before the first await: while a publish waits for the
        // other workers, one of them may commit a newer revision of another record of the set
        // and have it forgotten here, which a put after that wait would undo with a stale record.
        for (const record of [...update, ...created]) {
          const entry = this.#cache.putRecord(record);
          for (const { keyMaterialId, material, to } of added) {
            // Each entry gets its own copy: evicting one entry zeroes its buffers.
            if (to.some((target) => keyHandle(target) === keyHandle(record))) entry.materials.set(keyMaterialId, Buffer.from(material));
          }
        }
        for (const record of [...update, ...created]) await this.#bus.publish({ kind: "key", keyId: keyHandle(record) });
        for (const record of remove) await this.#deleted(keyHandle(record));
        const removed = new Set(remove.map(keyHandle));
        const written = new Map(update.map((record) => [keyHandle(record), record]));
        return {
          related: [...related.filter((record) => !removed.has(keyHandle(record))).map((record) => written.get(keyHandle(record)) ?? record), ...created],
          created,
        };
      }
    });
  }

  /** Every key of the multi-Region set the stored record of `handle` names (just that key for a single-Region key). */
  async #readRelated(handle: string): Promise<KeyRecord[]> {
    const start = await this.store.getKey(handle);
    if (!start) {
      this.#cache.forget(handle);
      throw new NotFoundException(`Key '${handle}' does not exist`);
    }
    const config = start.multiRegionConfig;
    if (!config) return [start];
    const related: KeyRecord[] = [];
    for (const region of [config.primaryRegion, ...config.replicaRegions]) {
      const record = region === start.region ? start : await this.store.getKey(keyHandle({ keyId: start.keyId, region }));
      if (record) related.push(record);
    }
    return related;
  }

  /** The key's grants, cached after the first read. */
  async grants(record: KeyRecord): Promise<readonly GrantRecord[]> {
    const entry = (await this.#cached(keyHandle(record))) ?? uncachedEntry(record);
    entry.grants ??= await this.store.listGrants(keyHandle(record));
    return entry.grants;
  }

  /** The names of the aliases that point to the key, cached after the first read. */
  async aliasNames(record: KeyRecord): Promise<readonly string[]> {
    const entry = (await this.#cached(keyHandle(record))) ?? uncachedEntry(record);
    if (!entry.aliases) {
      const page = await this.store.listAliases(record.accountId, record.region, record.keyId, MAX_ALIASES_PER_KEY, undefined);
      entry.aliases = page.items.map((alias) => alias.aliasName);
    }
    return entry.aliases;
  }

  /**
   * The id of the key an alias names, from the cache or the store; undefined if there is no
   * such alias. A missing alias is not remembered: an AWS managed alias appears on first use.
   */
  async aliasTarget(accountId: string, region: string, aliasName: string): Promise<string | undefined> {
    const cacheKey = `${accountId}\u0000${region}\u0000${aliasName}`;
    const cached = this.#aliasTargets.get(cacheKey);
    if (cached !== undefined) return cached;
    const generation = this.#aliasGeneration;
    const alias = await this.store.getAlias(accountId, region, aliasName);
    if (!alias || generation !== this.#aliasGeneration) return alias?.targetKeyId;
    if (this.#aliasTargets.size >= this.#maxAliasTargets) this.#forgetAliasTarget(this.#aliasTargets.keys().next().value as string);
    this.#aliasTargets.set(cacheKey, alias.targetKeyId);
    const target = keyHandle({ keyId: alias.targetKeyId, region });
    let names = this.#aliasesByTarget.get(target);
    if (!names) this.#aliasesByTarget.set(target, (names = new Set()));
    names.add(cacheKey);
    return alias.targetKeyId;
  }

  /** Forgets the cached alias names of keys whose aliases changed (here and in every other worker). */
  async aliasesChanged(...keys: Pick<KeyRecord, "keyId" | "region">[]): Promise<void> {
    for (const key of keys) {
      const handle = keyHandle(key);
      const entry = this.#cache.get(handle);
      if (entry) delete entry.aliases;
      this.#forgetAliasTargets(handle);
      await this.#bus.publish({ kind: "key", keyId: handle });
    }
  }

  /** Stores a new grant, then adds it to the cached list. */
  async addGrant(grant: GrantRecord): Promise<void> {
    const handle = keyHandle(grant);
    await this.#withLock(handle, async () => {
      await this.store.insertGrant(grant);
      const entry = this.#cache.get(handle);
      if (entry?.grants) entry.grants = [...entry.grants, grant];
      await this.#bus.publish({ kind: "key", keyId: handle });
    });
  }

  /** Deletes a grant (retired or revoked), then drops it from the cached list. */
  async removeGrant(grant: GrantRecord): Promise<void> {
    const handle = keyHandle(grant);
    await this.#withLock(handle, async () => {
      await this.store.deleteGrant(grant.grantId);
      const entry = this.#cache.get(handle);
      if (entry?.grants) entry.grants = entry.grants.filter((g) => g.grantId !== grant.grantId);
      await this.#bus.publish({ kind: "key", keyId: handle });
    });
  }

  /** Forgets which alias names resolve to the key `handle` names. */
  #forgetAliasTargets(handle: string): void {
    this.#aliasGeneration++;
    for (const cacheKey of this.#aliasesByTarget.get(handle) ?? []) this.#aliasTargets.delete(cacheKey);
    this.#aliasesByTarget.delete(handle);
  }

  /** Forgets one cached alias name (the oldest, when the cache is full). */
  #forgetAliasTarget(cacheKey: string): void {
    const keyId = this.#aliasTargets.get(cacheKey);
    this.#aliasTargets.delete(cacheKey);
    if (keyId === undefined) return;
    const target = keyHandle({ keyId, region: cacheKey.split("\u0000")[1] ?? "" });
    const names = this.#aliasesByTarget.get(target);
    names?.delete(cacheKey);
    if (names?.size === 0) this.#aliasesByTarget.delete(target);
  }

  /**
   * One read-modify-write of a key under this process's lock for it (other processes are
   * kept honest by the revision check): `attempt` gets the stored record and says what it
   * did; when the revision moved under it, it runs again on a fresh read. The cache follows
   * what was committed, and every other worker is told before this resolves.
   */
  async #readModifyWrite(handle: string, attempt: (current: KeyRecord) => Promise<WriteAttempt>): Promise<{ record: KeyRecord; deleted: boolean }> {
    return this.#withLock(handle, async () => {
      for (let tries = 1; ; tries++) {
        const current = await this.store.getKey(handle);
        if (!current) {
          this.#cache.forget(handle);
          throw new NotFoundException(`Key '${handle}' does not exist`);
        }
        const result = await attempt(current);
        if (result === UNCHANGED) {
          this.#cache.putRecord(current); // the freshest record there is
          return { record: current, deleted: false };
        }
        if (result === DELETED) {
          await this.#deleted(handle);
          return { record: current, deleted: true };
        }
        if (result !== LOST) {
          const entry = this.#cache.putRecord(result.written);
          for (const id of result.removedMaterials ?? []) entry.materials.delete(id);
          if (result.addedMaterial) entry.materials.set(...result.addedMaterial);
          await this.#bus.publish({ kind: "key", keyId: handle });
          return { record: result.written, deleted: false };
        }
        // Another writer committed between the read and the write: forget what this worker
        // cached (it may be older still) and start again from what is stored now.
        this.#cache.forget(handle);
        if (tries >= MAX_WRITE_ATTEMPTS) throw new KMSInternalException("The key is being changed too often to apply this change; try again.");
      }
    });
  }

  /** After a key's deletion committed: forget it here and in every other worker. */
  async #deleted(handle: string): Promise<void> {
    this.#cache.delete(handle);
    this.#forgetAliasTargets(handle);
    await this.#bus.publish({ kind: "key", keyId: handle });
  }

  /** The cache entry of a key, read from the store on a miss. */
  async #cached(handle: string): Promise<CachedKey | undefined> {
    const hit = this.#cache.get(handle);
    observeKeyCacheLookup(hit !== undefined);
    if (hit) return hit;
    const forgets = this.#forgets;
    const record = await this.store.getKey(handle);
    if (!record) return undefined;
    // A change published while the read was in flight may postdate what it read: use the
    // record for this request, but do not cache it.
    return forgets === this.#forgets ? this.#cache.putRecord(record) : uncachedEntry(record);
  }

  async #withLock<T>(keyId: string, body: () => Promise<T>): Promise<T> {
    const previous = this.#locks.get(keyId) ?? Promise.resolve();
    const run = previous.then(body, body);
    const tail = run.catch(() => undefined);
    this.#locks.set(keyId, tail);
    try {
      return await run;
    } finally {
      if (this.#locks.get(keyId) === tail) this.#locks.delete(keyId);
    }
  }
}

/** What a material change does: the key's new record, and material to add or versions to remove. */
export type MaterialChange = { record: KeyRecord; add?: Buffer; remove?: undefined } | { record: KeyRecord; add?: undefined; remove: readonly string[] };

/**
 * What a change to related multi-Region keys writes: successors of records it was given
 * (at the revision it read them), new keys, keys to delete, and material versions each
 * copied to the listed keys (wrapped for each).
 */
export interface RelatedChange {
  update?: readonly KeyRecord[];
  create?: readonly NewKeyRecord[];
  delete?: readonly KeyRecord[];
  materials?: readonly { material: Buffer; to: readonly Pick<KeyRecord, "keyId" | "region" | "accountId">[] }[];
}

/** The related keys after a change was committed (deleted ones left out), and the keys it created. */
export interface RelatedOutcome {
  related: KeyRecord[];
  created: KeyRecord[];
}

/**
 * How many times one write starts again after losing a race. Each loss means another write
 * to the same key committed, so this is reached only under a storm of writes to one key.
 */
const MAX_WRITE_ATTEMPTS = 50;

/** What one attempt of a read-modify-write did. */
type WriteAttempt =
  | typeof UNCHANGED
  | typeof DELETED
  | typeof LOST
  | { written: KeyRecord; addedMaterial?: [keyMaterialId: string, material: Buffer]; removedMaterials?: readonly string[] };
/** Nothing needed writing. */
const UNCHANGED = Symbol("unchanged");
/** The key was deleted. */
const DELETED = Symbol("deleted");
/** Another writer committed first: nothing was written. */
const LOST = Symbol("lost");

/** A cache entry for one request, kept out of the cache (a key that is gone, or a read that raced a change). */
function uncachedEntry(record: KeyRecord): CachedKey {
  return { record, materials: new Map() };
}

/** More aliases than a key can usefully carry in a condition (AWS's quota is per account). */
const MAX_ALIASES_PER_KEY = 1000;

/** A new key id (a v4 UUID, as AWS uses). */
export function newKeyId(): string {
  return randomUUID();
}

/** A new multi-Region key id: `mrk-` and 32 hex digits, as AWS's. */
export function newMultiRegionKeyId(): string {
  return `mrk-${randomUUID().replaceAll("-", "")}`;
}


/** Additional data that binds wrapped material to its key (by ARN: a replica's copies are wrapped for it) and version. */
export function materialAad(record: Pick<KeyRecord, "keyId" | "region" | "accountId">, keyMaterialId: string): Buffer {
  return Buffer.from(`${keyArn(record)}\n${keyMaterialId}`, "utf8");
}
