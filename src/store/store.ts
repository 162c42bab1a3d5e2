/**
 * The one storage contract. Every method is asynchronous and each mutating method is
 * one transaction that is durable when its promise resolves, so a caller acknowledges
 * a request only after awaiting it. SQLite (embedded default) implements it now;
 * PostgreSQL will implement the same interface, so nothing SQLite-specific leaks out.
 */
import type { AccountRecord, AliasRecord, KeyRecord, NewKeyRecord, StoredAccessKey, StoredMaterial } from "../keys/records.ts";
import type { GrantRecord } from "../keys/grants.ts";

import type { IdentityStore } from "./identityStore.ts";
import type { WrappedSecret, WrappedSecretKind, WrappedSecretReplacement } from "./wrappedSecrets.ts";
import type { CustomKeyStoreTable } from "./customKeyStoreTable.ts";

/** One page of a listing: the rows and, when more follow, the cursor of the next page. */
export interface Page<T> {
  items: T[];
  next?: string;
}

/** A number of keys in one state with one key manager (CUSTOMER or AWS). */
export interface KeyStateCount {
  state: string;
  keyManager: string;
  count: number;
}

/** Several key writes that stand or fall together (see Store.writeKeys). */
export interface KeyBatch {
  /** Successors of stored records, as updateKey takes them. */
  update: readonly KeyRecord[];
  /** New keys, at revision 0. */
  insert: readonly NewKeyRecord[];
  /** Keys to delete with everything naming them, each at the revision it was read. */
  delete: readonly KeyRecord[];
  /** Material versions to add (or replace), named by key handle. */
  materials: readonly StoredMaterial[];
}

export interface Store {
  /** IAM users, groups, roles, policies, user access keys and STS sessions (same database, same transactions rules). */
  readonly identities: IdentityStore;
  /** Custom key stores (same database, written on the same runner as the identities). */
  readonly customKeyStores: CustomKeyStoreTable;

  /** A value of the small key/value table that holds installation facts (default account...). */
  getSetting(name: string): Promise<string | undefined>;
  setSetting(name: string, value: string): Promise<void>;
  /** Sets a setting unless it is set already (by another node or worker that got there first); returns the stored value. */
  insertSettingIfAbsent(name: string, value: string): Promise<string>;

  /**
   * Creates an account with its root access key and, if given, sets `setting` (the default
   * account...) in the same transaction; false (and nothing written) if the account already exists.
   */
  createAccount(account: AccountRecord, rootAccessKey: StoredAccessKey, setting?: { name: string; value: string }): Promise<boolean>;
  getAccount(accountId: string): Promise<AccountRecord | undefined>;
  /** Every account's id, in order. */
  listAccountIds(): Promise<string[]>;
  /** `--dev` reset: the account back to its first-start state (resetAccount.ts); false if there is no such account. */
  resetAccount(accountId: string): Promise<boolean>;

  /*
   * Keys, their material and grants are named by handle (records.ts keyHandle): the key id,
   * qualified by the Region for multi-Region keys, whose related keys share one id.
   */
  getKey(handle: string): Promise<KeyRecord | undefined>;
  /**
   * Inserts a new key (at revision 0) and, if it has material, its first material version.
   * A key of an external key store whose external key another key of the store uses is not
   * inserted: XksKeyInUseError (customKeyStoreTable.ts), decided inside the transaction.
   */
  insertKey(record: NewKeyRecord, material: StoredMaterial | undefined): Promise<void>;
  /**
   * Replaces a key's record with `record`, the successor of revision `record.revision - 1`:
   * false (and nothing written) if the stored revision is no longer that one, because
   * another writer committed first. The caller then starts again from a fresh read.
   */
  updateKey(record: KeyRecord): Promise<boolean>;
  /** Deletes a key, all its material and every alias and grant naming it; false (nothing deleted) if its revision is no longer `revision`. */
  deleteKey(handle: string, revision: number): Promise<boolean>;
  getMaterial(handle: string, keyMaterialId: string): Promise<StoredMaterial | undefined>;
  /** Keys of one account and region in creation order, `limit` at a time after `cursor`. */
  listKeys(accountId: string, region: string, limit: number, cursor: string | undefined): Promise<Page<KeyRecord>>;
  /** How many customer managed keys (any state) one account has in one region: the KMS keys resource quota. */
  countCustomerKeys(accountId: string, region: string): Promise<number>;
  /** How many keys of every account and region are in each state, by key manager (the keys-by-state metric). */
  countKeysByState(): Promise<KeyStateCount[]>;
  /** Adds (or replaces, on re-import) one material version and updates the key as updateKey does, in one transaction; false if the revision moved. */
  putMaterial(record: KeyRecord, material: StoredMaterial): Promise<boolean>;
  /** Deletes material versions and updates the key as updateKey does, in one transaction; false if the revision moved. */
  deleteMaterials(record: KeyRecord, keyMaterialIds: readonly string[]): Promise<boolean>;
  /**
   * Writes a change to several keys (related multi-Region keys) in one transaction: each
   * updated or deleted record is compared-and-set as updateKey and deleteKey do; false (and
   * nothing written) if any revision moved or a key to insert already exists.
   */
  writeKeys(batch: KeyBatch): Promise<boolean>;
  /** Handles of keys with something scheduled (deletion, expiry, rotation) at or before `nowMs`. */
  keysDue(nowMs: number): Promise<string[]>;


  /** Every grant of a key, oldest first. */
  listGrants(handle: string): Promise<GrantRecord[]>;
  /** Grants in an account and region whose retiring principal is `retiringPrincipal`, paged. */
  listRetirableGrants(accountId: string, region: string, retiringPrincipal: string, limit: number, cursor: string | undefined): Promise<Page<GrantRecord>>;
  getGrant(grantId: string): Promise<GrantRecord | undefined>;
  insertGrant(grant: GrantRecord): Promise<void>;
  deleteGrant(grantId: string): Promise<void>;

  getAlias(accountId: string, region: string, aliasName: string): Promise<AliasRecord | undefined>;
  /** Inserts an alias; false if the name is taken in that account and region. */
  insertAlias(alias: AliasRecord): Promise<boolean>;
  updateAlias(alias: AliasRecord): Promise<void>;
  deleteAlias(accountId: string, region: string, aliasName: string): Promise<void>;
  /** Aliases of one account and region (optionally of one key), by name. */
  listAliases(
    accountId: string,
    region: string,
    targetKeyId: string | undefined,
    limit: number,
    cursor: string | undefined,
  ): Promise<Page<AliasRecord>>;

  /**
   * Writes a consistent copy of the whole database, as of one moment, to a new file at
   * `path` while other connections go on writing (kmsd backup). The copy holds what the
   * database holds: secrets stay wrapped by the root key.
   */
  snapshotTo(path: string): Promise<void>;
  close(): Promise<void>;

  /**
   * Root key rotation: up to `limit` secrets of `kind` wrapped by the root key (material
   * versions, access keys' and sessions' secrets, custom key stores' secrets), in primary key order after `after`.
   */
  listWrappedSecrets(kind: WrappedSecretKind, after: readonly string[] | undefined, limit: number): Promise<WrappedSecret[]>;
  /**
   * Replaces wrapped secrets by their re-wrapped forms in one transaction, each only if it
   * is still as read (compare-and-set); returns how many were replaced (the others changed or are gone).
   */
  replaceWrappedSecrets(replacements: readonly WrappedSecretReplacement[]): Promise<number>;
}
