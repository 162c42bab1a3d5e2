/**
 * The Store in portable SQL, written once for every engine on its SqlEngine (sqlEngine.ts):
 * the same tables and statements on SQLite and PostgreSQL, with `?` placeholders (the
 * PostgreSQL runner numbers them), `ON CONFLICT`, `RETURNING`. The engine supplies the
 * kind of write transaction, how a JSON field is read, a grant's seq, and the locks of
 * sequence-paged listings; the identity part is the shared SqlIdentityStore on its runner.
 *
 * Key writes are compare-and-sets on the revision inside their statements (`UPDATE ...
 * WHERE revision = ?`, `DELETE ... RETURNING`), so they hold under SQLite's single writer
 * and under PostgreSQL's READ COMMITTED alike. New keys (CreateKey) are inserted by group
 * commit: concurrent creations share one transaction (groupCommit.ts).
 */
import type { GrantRecord } from "../keys/grants.ts";
import { keyHandle, nextDueMs, type AccountRecord, type AliasRecord, type KeyRecord, type NewKeyRecord, type StoredAccessKey, type StoredMaterial } from "../keys/records.ts";
import type { IdentityStore } from "./identityStore.ts";
import { accountIds, resetAccount } from "./resetAccount.ts";
import { aliasFromRow, grantFromRow, keyFromRow, LostBatch, materialFromRow, pageOf, parseSeqCursor } from "./rows.ts";
import type { SqlEngine } from "./sqlEngine.ts";
import { insertAccessKeyRow, SqlIdentityStore } from "./sqlIdentityStore.ts";
import type { SqlExecutor, SqlValue } from "./sqlRunner.ts";
import type { KeyBatch, KeyStateCount, Page, Store } from "./store.ts";
import { claimXksKeys, SqlCustomKeyStoreTable, type CustomKeyStoreTable } from "./customKeyStoreTable.ts";
import { GroupCommit } from "./groupCommit.ts";
import { valuesChunks } from "./multiRowInsert.ts";
import { listWrappedSecrets, replaceWrappedSecrets, type WrappedSecret, type WrappedSecretKind, type WrappedSecretReplacement } from "./wrappedSecrets.ts";

/** Store on an engine's SQL. */
export class SqlStore implements Store {
  readonly #engine: SqlEngine;
  readonly #sql: SqlEngine["sql"];
  readonly identities: IdentityStore;
  readonly customKeyStores: CustomKeyStoreTable;
  readonly #newKeys: GroupCommit<NewKey>;

  constructor(engine: SqlEngine) {
    this.#engine = engine;
    this.#newKeys = new GroupCommit((keys) => this.#insertKeys(keys));
    this.#sql = engine.sql;
    this.identities = new SqlIdentityStore(engine.sql);
    this.customKeyStores = new SqlCustomKeyStoreTable(engine.sql);
  }

  async getSetting(name: string): Promise<string | undefined> {
    const row = await this.#sql.get("SELECT value FROM settings WHERE name = ?", name);
    return row ? String(row.value) : undefined;
  }

  async setSetting(name: string, value: string): Promise<void> {
    await setSetting(this.#sql, name, value);
  }

  async insertSettingIfAbsent(name: string, value: string): Promise<string> {
    await this.#sql.run("INSERT INTO settings(name, value) VALUES (?, ?) ON CONFLICT(name) DO NOTHING", name, value);
    return String((await this.#sql.get("SELECT value FROM settings WHERE name = ?", name))?.value);
  }

  async createAccount(account: AccountRecord, rootAccessKey: StoredAccessKey, setting?: { name: string; value: string }): Promise<boolean> {
    return this.#engine.writeTransaction(async (tx) => {
      const inserted = await tx.run("INSERT INTO accounts(account_id, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING", account.accountId, account.createdAtMs);
      if (inserted.changes === 0) return false;
      await insertAccessKeyRow((sql, ...params) => tx.run(sql, ...params), rootAccessKey);
      if (setting) await setSetting(tx, setting.name, setting.value);
      return true;
    });
  }

  async getAccount(accountId: string): Promise<AccountRecord | undefined> {
    const row = await this.#sql.get("SELECT account_id, created_at FROM accounts WHERE account_id = ?", accountId);
    return row ? { accountId: String(row.account_id), createdAtMs: Number(row.created_at) } : undefined;
  }

  async listAccountIds(): Promise<string[]> {
    return accountIds(this.#sql);
  }

  async resetAccount(accountId: string): Promise<boolean> {
    return resetAccount(this.#sql, accountId);
  }

  async getKey(handle: string): Promise<KeyRecord | undefined> {
    const row = await this.#sql.get("SELECT revision, record FROM keys WHERE key_id = ?", handle);
    return row ? keyFromRow(row) : undefined;
  }

  insertKey(record: NewKeyRecord, material: StoredMaterial | undefined): Promise<void> {
    return this.#newKeys.submit({ record, material });
  }

  /** New keys with their material, in one transaction: a multi-row INSERT per table. */
  async #insertKeys(keys: readonly NewKey[]): Promise<void> {
    const records = keys.map((key) => key.record);
    const materials = keys.flatMap((key) => (key.material ? [key.material] : []));
    await this.#engine.writeTransaction(async (tx) => {
      await this.#engine.lockForInsert(tx, "keys", records);
      await claimXksKeys(tx, this.#engine.forUpdate, records);
      for (const { values, params } of valuesChunks(records.map(keyRow), KEY_COLUMNS.length)) {
        await tx.run(`INSERT INTO keys(${KEY_COLUMNS.join(", ")}) VALUES ${values} ON CONFLICT(key_id) DO NOTHING`, ...params);
      }
      for (const { values, params } of valuesChunks(materials.map(materialRow), MATERIAL_COLUMNS.length)) {
        await tx.run(`INSERT INTO key_materials(${MATERIAL_COLUMNS.join(", ")}) VALUES ${values}`, ...params);
      }
    });
  }

  async writeKeys(batch: KeyBatch): Promise<boolean> {
    try {
      return await this.#engine.writeTransaction(async (tx) => {
        // In order, stopping at the first lost compare-and-set; throwing rolls back what went before.
        for (const record of batch.update) if (!(await updateKey(tx, record))) throw new LostBatch();
        for (const record of batch.delete) if (!(await deleteKey(tx, keyHandle(record), record.revision))) throw new LostBatch();
        await this.#engine.lockForInsert(tx, "keys", batch.insert);
        for (const record of batch.insert) if (!(await insertKey(tx, record))) throw new LostBatch();
        for (const material of batch.materials) await putMaterial(tx, material);
        return true;
      });
    } catch (error) {
      if (error instanceof LostBatch) return false;
      throw error;
    }
  }

  async updateKey(record: KeyRecord): Promise<boolean> {
    return updateKey(this.#sql, record);
  }

  async putMaterial(record: KeyRecord, material: StoredMaterial): Promise<boolean> {
    return this.#engine.writeTransaction(async (tx) => {
      if (!(await updateKey(tx, record))) return false;
      await putMaterial(tx, material);
      return true;
    });
  }

  async deleteMaterials(record: KeyRecord, keyMaterialIds: readonly string[]): Promise<boolean> {
    return this.#engine.writeTransaction(async (tx) => {
      if (!(await updateKey(tx, record))) return false;
      for (const id of keyMaterialIds) await tx.run("DELETE FROM key_materials WHERE key_id = ? AND key_material_id = ?", keyHandle(record), id);
      return true;
    });
  }

  async deleteKey(handle: string, revision: number): Promise<boolean> {
    return this.#engine.writeTransaction((tx) => deleteKey(tx, handle, revision));
  }

  async getMaterial(handle: string, keyMaterialId: string): Promise<StoredMaterial | undefined> {
    const row = await this.#sql.get("SELECT * FROM key_materials WHERE key_id = ? AND key_material_id = ?", handle, keyMaterialId);
    return row ? materialFromRow(row) : undefined;
  }

  async listKeys(accountId: string, region: string, limit: number, cursor: string | undefined): Promise<Page<KeyRecord>> {
    const after = cursor === undefined ? 0 : parseSeqCursor(cursor);
    const rows = await this.#engine.readListing("keys", { accountId, region }, (sql) =>
      sql.all("SELECT seq, revision, record FROM keys WHERE account_id = ? AND region = ? AND seq > ? ORDER BY seq LIMIT ?", accountId, region, after, limit + 1),
    );
    return pageOf(rows, limit, keyFromRow, "seq");
  }

  async countCustomerKeys(accountId: string, region: string): Promise<number> {
    const row = await this.#sql.get(
      `SELECT COUNT(*) AS n FROM keys WHERE account_id = ? AND region = ? AND ${this.#engine.jsonText("record", "keyManager")} = 'CUSTOMER'`,
      accountId,
      region,
    );
    return Number(row?.n ?? 0);
  }

  async countKeysByState(): Promise<KeyStateCount[]> {
    const state = this.#engine.jsonText("record", "state");
    const manager = this.#engine.jsonText("record", "keyManager");
    const rows = await this.#sql.all(`SELECT ${state} AS state, ${manager} AS manager, COUNT(*) AS n FROM keys GROUP BY ${state}, ${manager}`);
    return rows.map((row) => ({ state: String(row.state), keyManager: String(row.manager), count: Number(row.n) }));
  }

  async keysDue(nowMs: number): Promise<string[]> {
    const rows = await this.#sql.all("SELECT key_id FROM keys WHERE due_at IS NOT NULL AND due_at <= ? ORDER BY due_at", nowMs);
    return rows.map((row) => String(row.key_id));
  }

  async listGrants(handle: string): Promise<GrantRecord[]> {
    return (await this.#sql.all("SELECT record FROM grants WHERE key_id = ? ORDER BY seq", handle)).map(grantFromRow);
  }

  async listRetirableGrants(accountId: string, region: string, retiringPrincipal: string, limit: number, cursor: string | undefined): Promise<Page<GrantRecord>> {
    const after = cursor === undefined ? -1 : parseSeqCursor(cursor);
    const rows = await this.#engine.readListing("grants", { accountId, region }, (sql) =>
      sql.all(
        "SELECT seq, record FROM grants WHERE account_id = ? AND region = ? AND retiring_principal = ? AND seq > ? ORDER BY seq LIMIT ?",
        accountId,
        region,
        retiringPrincipal,
        after,
        limit + 1,
      ),
    );
    return pageOf(rows, limit, grantFromRow, "seq");
  }

  async getGrant(grantId: string): Promise<GrantRecord | undefined> {
    const row = await this.#sql.get("SELECT record FROM grants WHERE grant_id = ?", grantId);
    return row ? grantFromRow(row) : undefined;
  }

  async insertGrant(grant: GrantRecord): Promise<void> {
    await this.#engine.writeTransaction(async (tx) => {
      await this.#engine.lockForInsert(tx, "grants", [grant]);
      await tx.run(
        `INSERT INTO grants(grant_id, key_id, seq, retiring_principal, account_id, region, record) VALUES (?, ?, ${this.#engine.nextGrantSeq}, ?, ?, ?, ?)`,
        grant.grantId,
        keyHandle(grant),
        grant.retiringPrincipal ?? null,
        grant.accountId,
        grant.region,
        JSON.stringify(grant),
      );
    });
  }

  async deleteGrant(grantId: string): Promise<void> {
    await this.#sql.run("DELETE FROM grants WHERE grant_id = ?", grantId);
  }

  async getAlias(accountId: string, region: string, aliasName: string): Promise<AliasRecord | undefined> {
    const row = await this.#sql.get("SELECT * FROM aliases WHERE account_id = ? AND region = ? AND alias_name = ?", accountId, region, aliasName);
    return row ? aliasFromRow(row) : undefined;
  }

  async insertAlias(alias: AliasRecord): Promise<boolean> {
    const result = await this.#sql.run(
      "INSERT INTO aliases(account_id, region, alias_name, target_key_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
      alias.accountId,
      alias.region,
      alias.aliasName,
      alias.targetKeyId,
      alias.createdAtMs,
      alias.updatedAtMs,
    );
    return result.changes > 0;
  }

  async updateAlias(alias: AliasRecord): Promise<void> {
    await this.#sql.run(
      "UPDATE aliases SET target_key_id = ?, updated_at = ? WHERE account_id = ? AND region = ? AND alias_name = ?",
      alias.targetKeyId,
      alias.updatedAtMs,
      alias.accountId,
      alias.region,
      alias.aliasName,
    );
  }

  async deleteAlias(accountId: string, region: string, aliasName: string): Promise<void> {
    await this.#sql.run("DELETE FROM aliases WHERE account_id = ? AND region = ? AND alias_name = ?", accountId, region, aliasName);
  }

  async listAliases(accountId: string, region: string, targetKeyId: string | undefined, limit: number, cursor: string | undefined): Promise<Page<AliasRecord>> {
    const byKey = targetKeyId === undefined ? "" : " AND target_key_id = ?";
    const rows = await this.#sql.all(
      `SELECT * FROM aliases WHERE account_id = ? AND region = ?${byKey} AND alias_name > ? ORDER BY alias_name LIMIT ?`,
      accountId,
      region,
      ...(targetKeyId === undefined ? [] : [targetKeyId]),
      cursor ?? "",
      limit + 1,
    );
    return pageOf(rows, limit, aliasFromRow, "alias_name");
  }

  async snapshotTo(path: string): Promise<void> {
    await this.#engine.snapshotTo(path);
  }

  listWrappedSecrets(kind: WrappedSecretKind, after: readonly string[] | undefined, limit: number): Promise<WrappedSecret[]> {
    return listWrappedSecrets(this.#sql, kind, after, limit);
  }

  replaceWrappedSecrets(replacements: readonly WrappedSecretReplacement[]): Promise<number> {
    return replaceWrappedSecrets(this.#sql, replacements);
  }

  async close(): Promise<void> {
    await this.#engine.close();
  }
}

async function setSetting(sql: SqlExecutor, name: string, value: string): Promise<void> {
  await sql.run("INSERT INTO settings(name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value", name, value);
}

/** The compare-and-set of updateKey: true if the stored revision was the one `record` follows. */
async function updateKey(sql: SqlExecutor, record: KeyRecord): Promise<boolean> {
  const { revision, ...stored } = record;
  const result = await sql.run(
    "UPDATE keys SET due_at = ?, revision = ?, record = ? WHERE key_id = ? AND revision = ?",
    nextDueMs(record) ?? null,
    revision,
    JSON.stringify(stored),
    keyHandle(record),
    revision - 1,
  );
  return result.changes > 0;
}

/** A key to insert, with its first material (none for a key awaiting imported material). */
interface NewKey {
  record: NewKeyRecord;
  material: StoredMaterial | undefined;
}

const KEY_COLUMNS = ["key_id", "account_id", "region", "due_at", "revision", "record"] as const;
const MATERIAL_COLUMNS = ["key_id", "key_material_id", "wrapped", "created_at"] as const;

/** A new key's row, at revision 0. */
function keyRow(record: NewKeyRecord): SqlValue[] {
  return [keyHandle(record), record.accountId, record.region, nextDueMs(record) ?? null, 0, JSON.stringify(record)];
}

function materialRow(material: StoredMaterial): SqlValue[] {
  return [material.keyId, material.keyMaterialId, material.wrapped, material.createdAtMs];
}

/** Inserts a key at revision 0; false if its handle is taken (a replica of the key already in that Region). */
async function insertKey(sql: SqlExecutor, record: NewKeyRecord): Promise<boolean> {
  const result = await sql.run(`INSERT INTO keys(${KEY_COLUMNS.join(", ")}) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(key_id) DO NOTHING`, ...keyRow(record));
  return result.changes > 0;
}

/** The compare-and-set of deleteKey, one statement, then what names the key; its aliases are those of its own Region. */
async function deleteKey(sql: SqlExecutor, handle: string, revision: number): Promise<boolean> {
  const row = await sql.get("DELETE FROM keys WHERE key_id = ? AND revision = ? RETURNING region, record", handle, revision);
  if (!row) return false;
  const { keyId } = JSON.parse(String(row.record)) as NewKeyRecord;
  await sql.run("DELETE FROM aliases WHERE target_key_id = ? AND region = ?", keyId, String(row.region));
  await sql.run("DELETE FROM grants WHERE key_id = ?", handle);
  await sql.run("DELETE FROM key_materials WHERE key_id = ?", handle);
  return true;
}

/** Adds a material version, replacing a stored copy of the same version (a re-import). */
async function putMaterial(sql: SqlExecutor, material: StoredMaterial): Promise<void> {
  await sql.run("DELETE FROM key_materials WHERE key_id = ? AND key_material_id = ?", material.keyId, material.keyMaterialId);
  await insertMaterial(sql, material);
}

async function insertMaterial(sql: SqlExecutor, material: StoredMaterial): Promise<void> {
  await sql.run(`INSERT INTO key_materials(${MATERIAL_COLUMNS.join(", ")}) VALUES (?, ?, ?, ?)`, ...materialRow(material));
}
