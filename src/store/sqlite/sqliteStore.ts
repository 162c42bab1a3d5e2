/**
 * The embedded Store: one SQLite file through node:sqlite, in WAL mode with
 * synchronous=FULL so that a committed transaction survives kill -9 and power loss.
 * Several processes may open the same file (a running server and `kmsd account
 * create`); busy_timeout makes a writer wait for the other instead of failing.
 */
import type { DatabaseSync, SQLInputValue } from "node:sqlite";
import type { GrantRecord } from "../../keys/grants.ts";
import { keyHandle, nextDueMs,
 type AccountRecord, type AliasRecord, type KeyRecord, type NewKeyRecord, type StoredAccessKey, type StoredMaterial } from "../../keys/records.ts";
import type { IdentityStore } from "../identityStore.ts";
import { aliasFromRow, grantFromRow, LostBatch, keyFromRow, materialFromRow, parseSeqCursor } from "../rows.ts";
import type { KeyBatch, KeyStateCount, Page, Store } from "../store.ts";
import { openSharedDatabase, SqliteConnection } from "./connection.ts";
import { migrate } from "./migrations.ts";
import { insertAccessKeyRow, SqlIdentityStore } from "../sqlIdentityStore.ts";
import { SqlCustomKeyStoreTable, type CustomKeyStoreTable } from "../customKeyStoreTable.ts";
import { accountIds, resetAccount } from "../resetAccount.ts";

type Row = Record<string, SQLInputValue>;

/**
 * Store on a SQLite database file. Its methods run their statements synchronously, in the
 * connection's turn (`#turn`, `#transaction`): an identity transaction may hold the
 * connection across awaits (SqliteConnection).
 */
export class SqliteStore implements Store {
  readonly #db: DatabaseSync;
  readonly #connection: SqliteConnection;
  readonly identities: IdentityStore;
  readonly customKeyStores: CustomKeyStoreTable;

  constructor(path: string) {
    this.#db = openSharedDatabase(path);
    try {
      this.#db.exec("PRAGMA foreign_keys = ON");
      migrate(this.#db);
    } catch (error) {
      this.#db.close();
      throw error;
    }
    // From here on a lock another worker holds is waited for by retryWhileLocked (every
    // 0.1 ms), not by SQLite's busy handler, which sleeps whole milliseconds on the event loop.
    this.#db.exec("PRAGMA busy_timeout = 0");
    this.#connection = new SqliteConnection(this.#db);
    this.identities = new SqlIdentityStore(this.#connection);
    this.customKeyStores = new SqlCustomKeyStoreTable(this.#connection);
  }

  async getSetting(name: string): Promise<string | undefined> {
    const row = await this.#turn(() => this.#get("SELECT value FROM settings WHERE name = ?", name));
    return row ? String(row.value) : undefined;
  }

  async setSetting(name: string, value: string): Promise<void> {
    await this.#turn(() => this.#setSetting(name, value));
  }

  async insertSettingIfAbsent(name: string, value: string): Promise<string> {
    return this.#turn(() => {
      this.#run("INSERT INTO settings(name, value) VALUES (?, ?) ON CONFLICT(name) DO NOTHING", name, value);
      return String(this.#get("SELECT value FROM settings WHERE name = ?", name)?.value);
    });
  }

  async createAccount(account: AccountRecord, rootAccessKey: StoredAccessKey, setting?: { name: string; value: string }): Promise<boolean> {
    return this.#transaction(() => {
      const inserted = this.#run(
        "INSERT INTO accounts(account_id, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
        account.accountId,
        account.createdAtMs,
      );
      if (inserted.changes === 0) return false;
      insertAccessKeyRow((sql, ...params) => this.#run(sql, ...params), rootAccessKey);
      if (setting) this.#setSetting(setting.name, setting.value);
      return true;
    });
  }

  async getAccount(accountId: string): Promise<AccountRecord | undefined> {
    const row = await this.#turn(() => this.#get("SELECT account_id, created_at FROM accounts WHERE account_id = ?", accountId));
    return row ? { accountId: String(row.account_id), createdAtMs: Number(row.created_at) } : undefined;
  }
  async listAccountIds(): Promise<string[]> {
    return accountIds(this.#connection);
  }

  async resetAccount(accountId: string): Promise<boolean> {
    return resetAccount(this.#connection, accountId);
  }


  async getKey(handle: string): Promise<KeyRecord | undefined> {
    const row = await this.#turn(() => this.#get("SELECT revision, record FROM keys WHERE key_id = ?", handle));
    return row ? keyFromRow(row) : undefined;
  }

  async insertKey(record: NewKeyRecord, material: StoredMaterial | undefined): Promise<void> {
    await this.#transaction(() => {
      this.#insertKey(record);
      if (material) this.#insertMaterial(material);
    });
  }

  async writeKeys(batch: KeyBatch): Promise<boolean> {
    try {
      return await this.#transaction(() => {
        const won =
          batch.update.every((record) => this.#updateKey(record)) &&
          batch.delete.every((record) => this.#deleteKey(keyHandle(record), record.revision)) &&
          batch.insert.every((record) => this.#insertKey(record));
        // Throwing rolls back what the batch already wrote before it lost.
        if (!won) throw new LostBatch();
        for (const material of batch.materials) this.#putMaterial(material);
        return true;
      });
    } catch (error) {
      if (error instanceof LostBatch) return false;
      throw error;
    }
  }

  async updateKey(record: KeyRecord): Promise<boolean> {
    return this.#turn(() => this.#updateKey(record));
  }

  async putMaterial(record: KeyRecord, material: StoredMaterial): Promise<boolean> {
    return this.#transaction(() => {
      if (!this.#updateKey(record)) return false;
      this.#putMaterial(material);
      return true;
    });
  }

  async deleteMaterials(record: KeyRecord, keyMaterialIds: readonly string[]): Promise<boolean> {
    return this.#transaction(() => {
      if (!this.#updateKey(record)) return false;
      for (const id of keyMaterialIds) this.#run("DELETE FROM key_materials WHERE key_id = ? AND key_material_id = ?", keyHandle(record), id);
      return true;
    });
  }

  async deleteKey(handle: string, revision: number): Promise<boolean> {
    return this.#transaction(() => this.#deleteKey(handle, revision));
  }

  async getMaterial(handle: string, keyMaterialId: string): Promise<StoredMaterial | undefined> {
    const row = await this.#turn(() => this.#get("SELECT * FROM key_materials WHERE key_id = ? AND key_material_id = ?", handle, keyMaterialId));
    return row ? materialFromRow(row) : undefined;
  }

  async listKeys(accountId: string, region: string, limit: number, cursor: string | undefined): Promise<Page<KeyRecord>> {
    const after = cursor === undefined ? 0 : parseSeqCursor(cursor);
    const rows = await this.#turn(() =>
      this.#all("SELECT seq, revision, record FROM keys WHERE account_id = ? AND region = ? AND seq > ? ORDER BY seq LIMIT ?", accountId, region, after, limit + 1),
    );
    const page = rows.slice(0, limit);
    const items = page.map(keyFromRow);
    const last = page.at(-1);
    return rows.length > limit && last ? { items, next: String(last.seq) } : { items };
  }

  async countCustomerKeys(accountId: string, region: string): Promise<number> {
    const row = await this.#turn(() =>
      this.#get("SELECT COUNT(*) AS n FROM keys WHERE account_id = ? AND region = ? AND json_extract(record, '$.keyManager') = 'CUSTOMER'", accountId, region),
    );
    return Number(row?.n ?? 0);
  }

  async countKeysByState(): Promise<KeyStateCount[]> {
    const rows = await this.#turn(() =>
      this.#all("SELECT json_extract(record, '$.state') AS state, json_extract(record, '$.keyManager') AS manager, COUNT(*) AS n FROM keys GROUP BY 1, 2"),
    );
    return rows.map((row) => ({ state: String(row.state), keyManager: String(row.manager), count: Number(row.n) }));
  }

  async keysDue(nowMs: number): Promise<string[]> {
    const rows = await this.#turn(() => this.#all("SELECT key_id FROM keys WHERE due_at IS NOT NULL AND due_at <= ? ORDER BY due_at", nowMs));
    return rows.map((row) => String(row.key_id));
  }

  async listGrants(handle: string): Promise<GrantRecord[]> {
    const rows = await this.#turn(() => this.#all("SELECT record FROM grants WHERE key_id = ? ORDER BY seq", handle));
    return rows.map(grantFromRow);
  }

  async listRetirableGrants(
    accountId: string,
    region: string,
    retiringPrincipal: string,
    limit: number,
    cursor: string | undefined,
  ): Promise<Page<GrantRecord>> {
    const after = cursor === undefined ? -1 : parseSeqCursor(cursor);
    const rows = await this.#turn(() =>
      this.#all(
        "SELECT seq, record FROM grants WHERE account_id = ? AND region = ? AND retiring_principal = ? AND seq > ? ORDER BY seq LIMIT ?",
        accountId,
        region,
        retiringPrincipal,
        after,
        limit + 1,
      ),
    );
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const items = page.map(grantFromRow);
    return rows.length > limit && last ? { items, next: String(last.seq) } : { items };
  }

  async getGrant(grantId: string): Promise<GrantRecord | undefined> {
    const row = await this.#turn(() => this.#get("SELECT record FROM grants WHERE grant_id = ?", grantId));
    return row ? grantFromRow(row) : undefined;
  }

  async insertGrant(grant: GrantRecord): Promise<void> {
    // A grant's place in the listings is one past the last grant's, taken under the write lock:
    // unique across every process on the database (a per-process counter tied across workers,
    // and a tie made ListRetirableGrants skip a grant at a page boundary).
    await this.#transaction(() =>
      this.#run(
        "INSERT INTO grants(grant_id, key_id, seq, retiring_principal, account_id, region, record) " +
          "SELECT ?, ?, COALESCE(MAX(seq), 0) + 1, ?, ?, ?, ? FROM grants",
        grant.grantId,
        keyHandle(grant),
        grant.retiringPrincipal ?? null,
        grant.accountId,
        grant.region,
        JSON.stringify(grant),
      ),
    );
  }

  async deleteGrant(grantId: string): Promise<void> {
    await this.#turn(() => this.#run("DELETE FROM grants WHERE grant_id = ?", grantId));
  }

  async getAlias(accountId: string, region: string, aliasName: string): Promise<AliasRecord | undefined> {
    const row = await this.#turn(() => this.#get("SELECT * FROM aliases WHERE account_id = ? AND region = ? AND alias_name = ?", accountId, region, aliasName));
    return row ? aliasFromRow(row) : undefined;
  }

  async insertAlias(alias: AliasRecord): Promise<boolean> {
    const result = await this.#turn(() =>
      this.#run(
        "INSERT INTO aliases(account_id, region, alias_name, target_key_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        alias.accountId,
        alias.region,
        alias.aliasName,
        alias.targetKeyId,
        alias.createdAtMs,
        alias.updatedAtMs,
      ),
    );
    return result.changes > 0;
  }

  async updateAlias(alias: AliasRecord): Promise<void> {
    await this.#turn(() =>
      this.#run(
        "UPDATE aliases SET target_key_id = ?, updated_at = ? WHERE account_id = ? AND region = ? AND alias_name = ?",
        alias.targetKeyId,
        alias.updatedAtMs,
        alias.accountId,
        alias.region,
        alias.aliasName,
      ),
    );
  }

  async deleteAlias(accountId: string, region: string, aliasName: string): Promise<void> {
    await this.#turn(() => this.#run("DELETE FROM aliases WHERE account_id = ? AND region = ? AND alias_name = ?", accountId, region, aliasName));
  }

  async listAliases(
    accountId: string,
    region: string,
    targetKeyId: string | undefined,
    limit: number,
    cursor: string | undefined,
  ): Promise<Page<AliasRecord>> {
    const after = cursor ?? "";
    const rows = await this.#turn(() =>
      targetKeyId === undefined
        ? this.#all(
            "SELECT * FROM aliases WHERE account_id = ? AND region = ? AND alias_name > ? ORDER BY alias_name LIMIT ?",
            accountId,
            region,
            after,
            limit + 1,
          )
        : this.#all(
            "SELECT * FROM aliases WHERE account_id = ? AND region = ? AND target_key_id = ? AND alias_name > ? ORDER BY alias_name LIMIT ?",
            accountId,
            region,
            targetKeyId,
            after,
            limit + 1,
          ),
    );
    const items = rows.slice(0, limit).map(aliasFromRow);
    const last = items.at(-1);
    return rows.length > limit && last ? { items, next: last.aliasName } : { items };
  }

  async snapshotTo(path: string): Promise<void> {
    // VACUUM INTO reads in one transaction: in WAL mode writers go on, and the copy is of one moment.
    await this.#turn(() => this.#db.prepare("VACUUM INTO ?").run(path));
  }

  async close(): Promise<void> {
    this.#db.close();
  }

  #setSetting(name: string, value: string): void {
    this.#run("INSERT INTO settings(name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value", name, value);
  }

  /** The compare-and-set of updateKey: true if the stored revision was the one `record` follows. */
  #updateKey(record: KeyRecord): boolean {
    const { revision, ...stored } = record;
    const result = this.#run(
      "UPDATE keys SET due_at = ?, revision = ?, record = ? WHERE key_id = ? AND revision = ?",
      nextDueMs(record) ?? null,
      revision,
      JSON.stringify(stored),
      keyHandle(record),
      revision - 1,
    );
    return result.changes > 0;
  }

  /** Inserts a key at revision 0; false if its handle is taken (a replica of the key already in that Region). */
  #insertKey(record: NewKeyRecord): boolean {
    const result = this.#run(
      "INSERT INTO keys(key_id, account_id, region, due_at, revision, record) VALUES (?, ?, ?, ?, 0, ?) ON CONFLICT(key_id) DO NOTHING",
      keyHandle(record),
      record.accountId,
      record.region,
      nextDueMs(record) ?? null,
      JSON.stringify(record),
    );
    return result.changes > 0;
  }

  /** The compare-and-set of deleteKey; the key's aliases are those of its own Region. */
  #deleteKey(handle: string, revision: number): boolean {
    const row = this.#get("SELECT region, record FROM keys WHERE key_id = ? AND revision = ?", handle, revision);
    if (!row) return false;
    const { keyId } = JSON.parse(String(row.record)) as NewKeyRecord;
    this.#run("DELETE FROM keys WHERE key_id = ?", handle);
    this.#run("DELETE FROM aliases WHERE target_key_id = ? AND region = ?", keyId, String(row.region));
    this.#run("DELETE FROM grants WHERE key_id = ?", handle);
    this.#run("DELETE FROM key_materials WHERE key_id = ?", handle);
    return true;
  }

  /** Adds a material version, replacing a stored copy of the same version (a re-import). */
  #putMaterial(material: StoredMaterial): void {
    this.#run("DELETE FROM key_materials WHERE key_id = ? AND key_material_id = ?", material.keyId, material.keyMaterialId);
    this.#insertMaterial(material);
  }

  #insertMaterial(material: StoredMaterial): void {
    this.#run(
      "INSERT INTO key_materials(key_id, key_material_id, wrapped, created_at) VALUES (?, ?, ?, ?)",
      material.keyId,
      material.keyMaterialId,
      material.wrapped,
      material.createdAtMs,
    );
  }

  /** Runs `body` in one IMMEDIATE transaction, in the connection's turn, waiting for a lock another process holds. */
  #transaction<T>(body: () => T): Promise<T> {
    return this.#connection.transactionNow(body);
  }

  /** Runs statements outside a transaction, in the connection's turn (at once when no identity transaction holds it). */
  #turn<T>(body: () => T): Promise<T> {
    return this.#connection.turn(body);
  }

  // Statements run at once: only inside #turn or #transaction.
  #run(sql: string, ...params: SQLInputValue[]): { changes: number } {
    return this.#connection.runNow(sql, ...params);
  }

  #get(sql: string, ...params: SQLInputValue[]): Row | undefined {
    return this.#connection.getNow(sql, ...params);
  }

  #all(sql: string, ...params: SQLInputValue[]): Row[] {
    return this.#connection.allNow(sql, ...params);
  }
}
