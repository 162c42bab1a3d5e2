/**
 * Bounded in-memory cache of key records and their unwrapped material, so the hot path
 * (Encrypt, Decrypt, GenerateDataKey) reads no database. Least recently used entries
 * are evicted past the bound. Entries change only after the store has committed.
 */
import type { PreparedAsymmetricKey } from "../crypto/asymmetric/index.ts";
import type { GrantRecord } from "./grants.ts";
import { keyHandle, type KeyRecord } from "./records.ts";

/** A cached key: its record and whichever material versions were unwrapped so far. */
export interface CachedKey {
  record: KeyRecord;
  materials: Map<string, Buffer>;
  /** The parsed key pair of an asymmetric key's current material, once first used. */
  prepared?: PreparedAsymmetricKey;
  /** The key's grants, once first needed (authorization reads them on every use). */
  grants?: GrantRecord[];
  /** The names of the aliases pointing to the key (`kms:ResourceAliases`), once first needed. */
  aliases?: string[];
}

/** LRU map from key handle (keyHandle: the id, Region-qualified for multi-Region keys) to CachedKey. */
export class KeyCache {
  readonly #entries = new Map<string, CachedKey>();
  readonly #maxEntries: number;

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  get(handle: string): CachedKey | undefined {
    const entry = this.#entries.get(handle);
    if (entry) {
      // Re-insert to mark as most recently used (Map keeps insertion order).
      this.#entries.delete(handle);
      this.#entries.set(handle, entry);
    }
    return entry;
  }

  /**
   * Stores a record, keeping already unwrapped material of the same key. A record older
   * than the cached one (a lower revision: a read that raced a newer write) is ignored.
   */
  putRecord(record: KeyRecord): CachedKey {
    const handle = keyHandle(record);
    const existing = this.#entries.get(handle);
    if (existing && existing.record.revision > record.revision) return existing;
    const entry: CachedKey = { record, materials: existing?.materials ?? new Map() };
    if (existing?.prepared && existing.record.currentKeyMaterialId === record.currentKeyMaterialId) {
      entry.prepared = existing.prepared;
    }
    if (existing?.grants) entry.grants = existing.grants;
    if (existing?.aliases) entry.aliases = existing.aliases;

    this.#entries.delete(handle);
    this.#entries.set(handle, entry);
    this.#evict();
    return entry;
  }

  /** Drops an entry without zeroing its material (another worker changed the key; this copy is merely stale). */
  forget(handle: string): void {
    this.#entries.delete(handle);
  }

  /** Drops every entry without zeroing material (the cache may be stale as a whole: missed notifications). */
  forgetAll(): void {
    this.#entries.clear();
  }

  /** Drops an entry and zeroes its material (the key is gone or evicted). */
  delete(handle: string): void {
    const entry = this.#entries.get(handle);
    if (entry) for (const material of entry.materials.values()) material.fill(0);
    this.#entries.delete(handle);
  }

  get size(): number {
    return this.#entries.size;
  }

  #evict(): void {
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) return;
      this.delete(oldest.value);
    }
  }
}
