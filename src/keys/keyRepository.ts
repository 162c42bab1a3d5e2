/**
 * Keys as the operations see them: records and material read through the bounded
 * cache, mutations written to the store first and to the cache only after commit,
 * and one mutation at a time per key (a read-modify-write never interleaves with
 * another on the same key).
 */
import { createHmac, createSecretKey, randomUUID, type KeyObject } from "node:crypto";
import { KMSInternalException, NotFoundException } from "../errors.ts";
import { prepareAsymmetricKey, type PreparedAsymmetricKey } from "../crypto/asymmetric/index.ts";
import type { RootKey } from "../crypto/rootKey.ts";
import type { Store } from "../store/store.ts";
import { LocalChangeBus, type ChangeBus } from "../cluster/changes.ts";
import type { GrantRecord } from "./grants.ts";
import { KeyCache, type CachedKey } from "./keyCache.ts";

import { keyArn, type KeyRecord, type StoredMaterial } from "./records.ts";

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
  /** The cached alias names of each target key, to forget them when its aliases change. */
  readonly #aliasesByTarget = new Map<string, Set<string>>();
  readonly #maxAliasTargets: number;
  /** Counts alias forgets: a read that raced one is not cached (it may have read the alias before the change). */
  #aliasGeneration = 0;

  constructor(store: Store, rootKey: RootKey, cacheSize: number, bus: ChangeBus = new LocalChangeBus()) {
    this.store = store;
    this.#rootKey = rootKey;
    this.#materialIdKey = createSecretKey(rootKey.deriveKey("key material ids"));
    this.#cache = new KeyCache(cacheSize);
    this.#maxAliasTargets = cacheSize;
    this.#bus = bus;
    // Another worker changed a key (or its aliases): forget what this one cached, re-read on next use.
    bus.subscribe((change) => {
      if (change.kind !== "key") return;
      this.#cache.forget(change.keyId);
      this.#forgetAliasTargets(change.keyId);
    });
  }

  /** The key with this id, from the cache or the store; undefined if it does not exist. */
  async find(keyId: string): Promise<KeyRecord | undefined> {
    return (await this.#cached(keyId))?.record;
  }

  /** The unwrapped material of one version of a key; undefined if that version does not exist. */
  async material(record: KeyRecord, keyMaterialId: string): Promise<Buffer | undefined> {
    const entry = (await this.#cached(record.keyId)) ?? this.#cache.putRecord(record);
    const cached = entry.materials.get(keyMaterialId);
    if (cached) return cached;
    const stored = await this.store.getMaterial(record.keyId, keyMaterialId);
    if (!stored) return undefined;
    const material = this.#rootKey.unwrap(stored.wrapped, materialAad(record, keyMaterialId));
    entry.materials.set(keyMaterialId, material);
    return material;
  }

  /** The parsed key pair of an asymmetric key (its current material), parsed once and cached. */
  async keyPair(record: KeyRecord): Promise<PreparedAsymmetricKey> {
    const entry = (await this.#cached(record.keyId)) ?? this.#cache.putRecord(record);
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
   * anything about the material, not even that two keys share it.
   */
  materialIdFor(keyId: string, material: Buffer): string {
    return createHmac("sha256", this.#materialIdKey).update(`${keyId}\n`, "utf8").update(material).digest("hex");
  }

  /** Creates a key, with fresh material if given, durably; returns its record. */
  async create(record: KeyRecord, material: Buffer | undefined): Promise<KeyRecord> {
    let stored: StoredMaterial | undefined;
    if (material) {
      const keyMaterialId = this.materialIdFor(record.keyId, material);
      record = { ...record, currentKeyMaterialId: keyMaterialId };
      stored = {
        keyId: record.keyId,
        keyMaterialId,
        wrapped: this.#rootKey.wrap(material, materialAad(record, keyMaterialId)),
        createdAtMs: record.createdAtMs,
      };
    }
    await this.store.insertKey(record, stored);
    const entry = this.#cache.putRecord(record);
    if (material && record.currentKeyMaterialId) entry.materials.set(record.currentKeyMaterialId, material);
    return record;
  }

  /**
   * Applies `change` to the current record of `keyId` under the key's lock, persists the
   * result and only then updates the cache. `change` may throw to refuse (nothing is written).
   */
  async update(keyId: string, change: (current: KeyRecord) => KeyRecord): Promise<KeyRecord> {
    return this.#withLock(keyId, async () => {
      const current = await this.find(keyId);
      if (!current) throw new NotFoundException(`Key '${keyId}' does not exist`);
      const next = change(current);
      if (next === current) return current;
      await this.store.updateKey(next);
      this.#cache.putRecord(next);
      await this.#bus.publish({ kind: "key", keyId });
      return next;
    });
  }

  /**
   * Changes a key and its material versions in one transaction, under the key's lock:
   * `change` sees the current record and returns the new one plus the material to add
   * (new or re-imported) and the versions to delete. The cache follows after commit.
   */
  async changeMaterial(keyId: string, change: (current: KeyRecord) => MaterialChange): Promise<KeyRecord> {
    return this.#withLock(keyId, async () => {
      const current = await this.find(keyId);
      if (!current) throw new NotFoundException(`Key '${keyId}' does not exist`);
      const { record, add, remove } = change(current);
      if (!add && record === current && (remove ?? []).length === 0) return current; // nothing to do
      if (add) {

        const keyMaterialId = this.materialIdFor(keyId, add);
        await this.store.putMaterial(record, {
          keyId,
          keyMaterialId,
          wrapped: this.#rootKey.wrap(add, materialAad(record, keyMaterialId)),
          createdAtMs: Date.now(),
        });
        this.#cache.putRecord(record).materials.set(keyMaterialId, add);
      } else {
        await this.store.deleteMaterials(record, remove ?? []);
        const entry = this.#cache.putRecord(record);
        for (const id of remove ?? []) entry.materials.delete(id);
      }
      await this.#bus.publish({ kind: "key", keyId });
      return record;
    });
  }

  /** The key's grants, cached after the first read. */
  async grants(record: KeyRecord): Promise<readonly GrantRecord[]> {
    const entry = (await this.#cached(record.keyId)) ?? this.#cache.putRecord(record);
    entry.grants ??= await this.store.listGrants(record.keyId);
    return entry.grants;
  }

  /** The names of the aliases that point to the key, cached after the first read. */
  async aliasNames(record: KeyRecord): Promise<readonly string[]> {
    const entry = (await this.#cached(record.keyId)) ?? this.#cache.putRecord(record);
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
    let names = this.#aliasesByTarget.get(alias.targetKeyId);
    if (!names) this.#aliasesByTarget.set(alias.targetKeyId, (names = new Set()));
    names.add(cacheKey);
    return alias.targetKeyId;
  }

  /** Forgets the cached alias names of keys whose aliases changed (here and in every other worker). */
  async aliasesChanged(...keyIds: string[]): Promise<void> {
    for (const keyId of keyIds) {
      const entry = this.#cache.get(keyId);
      if (entry) delete entry.aliases;
      this.#forgetAliasTargets(keyId);
      await this.#bus.publish({ kind: "key", keyId });
    }
  }

  /** Stores a new grant, then adds it to the cached list. */
  async addGrant(grant: GrantRecord): Promise<void> {
    await this.#withLock(grant.keyId, async () => {
      await this.store.insertGrant(grant);
      const entry = this.#cache.get(grant.keyId);
      if (entry?.grants) entry.grants = [...entry.grants, grant];
      await this.#bus.publish({ kind: "key", keyId: grant.keyId });
    });
  }

  /** Deletes a grant (retired or revoked), then drops it from the cached list. */
  async removeGrant(grant: GrantRecord): Promise<void> {
    await this.#withLock(grant.keyId, async () => {
      await this.store.deleteGrant(grant.grantId);
      const entry = this.#cache.get(grant.keyId);
      if (entry?.grants) entry.grants = entry.grants.filter((g) => g.grantId !== grant.grantId);
      await this.#bus.publish({ kind: "key", keyId: grant.keyId });
    });
  }

  /** Deletes a key, its material and its aliases for good. */
  async delete(keyId: string): Promise<void> {
    await this.#withLock(keyId, async () => {
      await this.store.deleteKey(keyId);
      this.#cache.delete(keyId);
      this.#forgetAliasTargets(keyId);
      await this.#bus.publish({ kind: "key", keyId });
    });
  }

  /** Forgets which alias names resolve to `keyId`. */
  #forgetAliasTargets(keyId: string): void {
    this.#aliasGeneration++;
    for (const cacheKey of this.#aliasesByTarget.get(keyId) ?? []) this.#aliasTargets.delete(cacheKey);
    this.#aliasesByTarget.delete(keyId);
  }

  /** Forgets one cached alias name (the oldest, when the cache is full). */
  #forgetAliasTarget(cacheKey: string): void {
    const keyId = this.#aliasTargets.get(cacheKey);
    this.#aliasTargets.delete(cacheKey);
    if (keyId === undefined) return;
    const names = this.#aliasesByTarget.get(keyId);
    names?.delete(cacheKey);
    if (names?.size === 0) this.#aliasesByTarget.delete(keyId);
  }

  async #cached(keyId: string): Promise<CachedKey | undefined> {
    const hit = this.#cache.get(keyId);
    if (hit) return hit;
    const record = await this.store.getKey(keyId);
    return record ? this.#cache.putRecord(record) : undefined;
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

/** More aliases than a key can usefully carry in a condition (AWS's quota is per account). */
const MAX_ALIASES_PER_KEY = 1000;

/** A new key id (a v4 UUID, as AWS uses). */

export function newKeyId(): string {
  return randomUUID();
}


/** Additional data that binds wrapped material to its key and version. */
function materialAad(record: KeyRecord, keyMaterialId: string): Buffer {
  return Buffer.from(`${keyArn(record)}\n${keyMaterialId}`, "utf8");
}
