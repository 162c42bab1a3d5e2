/**
 * The Store on PostgreSQL, shared by every node of a deployment. Same tables and the same
 * statements as SQLite's wherever they are portable (`?` placeholders, numbered by the
 * runner; `ON CONFLICT`); the identity part is the shared SqlIdentityStore.
 *
 * PostgreSQL-specific: key writes are READ COMMITTED transactions whose compare-and-set is
 * in the statement (`UPDATE ... WHERE revision = ?`; PostgreSQL re-evaluates it against the
 * row a concurrent writer committed), deleteKey takes the row with `DELETE ... RETURNING`
 * so that the check and the delete are one step, and a grant's place in the listings comes
 * from a sequence (`grants_seq`), not MAX + 1 under SQLite's single writer.
 */
import type pg from "pg";
import type { GrantRecord } from "../../keys/grants.ts";
import {
  keyHandle,
  nextDueMs,
  type AccountRecord,
  type AliasRecord,
  type KeyRecord,
  type NewKeyRecord,
  type StoredAccessKey,
  type StoredMaterial,
} from "../../keys/records.ts";
import type { IdentityStore } from "../identityStore.ts";
import { aliasFromRow, grantFromRow, keyFromRow, LostBatch, materialFromRow, parseSeqCursor } from "../rows.ts";
import { insertAccessKeyRow, SqlIdentityStore } from "../sqlIdentityStore.ts";
import { SqlCustomKeyStoreTable, type CustomKeyStoreTable } from "../customKeyStoreTable.ts";
import type { SqlExecutor } from "../sqlRunner.ts";
import type { KeyBatch, KeyStateCount, Page, Store } from "../store.ts";
import { migratePostgres } from "./migrations.ts";
import { openPool, PgRunner, type PgPoolOptions } from "./pgRunner.ts";
import { accountIds, resetAccount } from "../resetAccount.ts";

/** Opens the Store on the database at `url`, bringing its schema up to date. */
export async function openPgStore(url: string, options: PgPoolOptions = {}): Promise<PgStore> {
  const pool = openPool(url, options);
  try {
    await migratePostgres(pool);
  } catch (error) {
    await pool.end();
    throw error;
  }
  return new PgStore(new PgRunner(pool));
}

/** Store on a PostgreSQL pool. */
export class PgStore implements Store {
  readonly #sql: PgRunner;
  readonly identities: IdentityStore;
  readonly customKeyStores: CustomKeyStoreTable;

  constructor(sql: PgRunner) {
    this.#sql = sql;
    this.identities = new SqlIdentityStore(sql);
    this.customKeyStores = new SqlCustomKeyStoreTable(sql);
  }

  /** The pool, for what else shares the database (notifications, leadership). */
  get pool(): pg.Pool {
    return this.#sql.pool;
  }

  async getSetting(name: string): Promise<string | undefined> {
    const row = await this.#sql.get("SELECT value FROM settings WHERE name = ?", name);
    return row ? String(row.value) : undefined;
  }

  async setSetting(name: string, value: string): Promise<void> {
    await setSetting(this.#sql, name, value);
  }

  /** Sets a setting unless it is set already (by another node that got there first); returns the stored value. */
  async insertSettingIfAbsent(name: string, value: string): Promise<string> {
    await this.#sql.run("INSERT INTO settings(name, value) VALUES (?, ?) ON CONFLICT(name) DO NOTHING", name, value);
    return String((await this.#sql.get("SELECT value FROM settings WHERE name = ?", name))?.value);
  }

  async createAccount(account: AccountRecord, rootAccessKey: StoredAccessKey, setting?: { name: string; value: string }): Promise<boolean> {
    return this.#sql.readCommitted(async (tx) => {
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

  async insertKey(record: NewKeyRecord, material: StoredMaterial | undefined): Promise<void> {
    await this.#sql.readCommitted(async (tx) => {
      await insertKey(tx, record);
      if (material) await insertMaterial(tx, material);
    });
  }

  async writeKeys(batch: KeyBatch): Promise<boolean> {
    try {
      return await this.#sql.readCommitted(async (tx) => {
        // In order, stopping at the first lost compare-and-set; throwing rolls back what went before.
        for (const record of batch.update) if (!(await updateKey(tx, record))) throw new LostBatch();
        for (const record of batch.delete) if (!(await deleteKey(tx, keyHandle(record), record.revision))) throw new LostBatch();
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
    return this.#sql.readCommitted(async (tx) => {
      if (!(await updateKey(tx, record))) return false;
      await putMaterial(tx, material);
      return true;
    });
  }

  async deleteMaterials(record: KeyRecord, keyMaterialIds: readonly string[]): Promise<boolean> {
    return this.#sql.readCommitted(async (tx) => {
      if (!(await updateKey(tx, record))) return false;
      for (const id of keyMaterialIds) await tx.run("DELETE FROM key_materials WHERE key_id = ? AND key_material_id = ?", keyHandle(record), id);
      return true;
    });
  }

  async deleteKey(handle: string, revision: number): Promise<boolean> {
    return this.#sql.readCommitted((tx) => deleteKey(tx, handle, revision));
  }

  async getMaterial(handle: string, keyMaterialId: string): Promise<StoredMaterial | undefined> {
    const row = await this.#sql.get("SELECT * FROM key_materials WHERE key_id = ? AND key_material_id = ?", handle, keyMaterialId);
    return row ? materialFromRow(row) : undefined;
  }

  async listKeys(accountId: string, region: string, limit: number, cursor: string | undefined): Promise<Page<KeyRecord>> {
    const after = cursor === undefined ? 0 : parseSeqCursor(cursor);
    const rows = await this.#sql.all(
      "SELECT seq, revision, record FROM keys WHERE account_id = ? AND region = ? AND seq > ? ORDER BY seq LIMIT ?",
      accountId,
      region,
      after,
      limit + 1,
    );
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const items = page.map(keyFromRow);
    return rows.length > limit && last ? { items, next: String(last.seq) } : { items };
  }

  async countCustomerKeys(accountId: string, region: string): Promise<number> {
    const row = await this.#sql.get(
      "SELECT COUNT(*) AS n FROM keys WHERE account_id = ? AND region = ? AND (record::jsonb)->>'keyManager' = 'CUSTOMER'",
      accountId,
      region,
    );
    return Number(row?.n ?? 0);
  }

  async countKeysByState(): Promise<KeyStateCount[]> {
    const rows = await this.#sql.all("SELECT (record::jsonb)->>'state' AS state, (record::jsonb)->>'keyManager' AS manager, COUNT(*) AS n FROM keys GROUP BY 1, 2");
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
    const rows = await this.#sql.all(
      "SELECT seq, record FROM grants WHERE account_id = ? AND region = ? AND retiring_principal = ? AND seq > ? ORDER BY seq LIMIT ?",
      accountId,
      region,
      retiringPrincipal,
      after,
      limit + 1,
    );
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    const items = page.map(grantFromRow);
    return rows.length > limit && last ? { items, next: String(last.seq) } : { items };
  }

  async getGrant(grantId: string): Promise<GrantRecord | undefined> {
    const row = await this.#sql.get("SELECT record FROM grants WHERE grant_id = ?", grantId);
    return row ? grantFromRow(row) : undefined;
  }

  async insertGrant(grant: GrantRecord): Promise<void> {
    // seq takes the sequence's next value (the column's default).
    await this.#sql.run(
      "INSERT INTO grants(grant_id, key_id, retiring_principal, account_id, region, record) VALUES (?, ?, ?, ?, ?, ?)",
      grant.grantId,
      keyHandle(grant),
      grant.retiringPrincipal ?? null,
      grant.accountId,
      grant.region,
      JSON.stringify(grant),
    );
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
    const after = cursor ?? "";
    const rows =
      targetKeyId === undefined
        ? await this.#sql.all(
            "SELECT * FROM aliases WHERE account_id = ? AND region = ? AND alias_name > ? ORDER BY alias_name LIMIT ?",
            accountId,
            region,
            after,
            limit + 1,
          )
        : await this.#sql.all(
            "SELECT * FROM aliases WHERE account_id = ? AND region = ? AND target_key_id = ? AND alias_name > ? ORDER BY alias_name LIMIT ?",
            accountId,
            region,
            targetKeyId,
            after,
            limit + 1,
          );
    const items = rows.slice(0, limit).map(aliasFromRow);
    const last = items.at(-1);
    return rows.length > limit && last ? { items, next: last.aliasName } : { items };
  }

  async snapshotTo(_path: string): Promise<void> {
    throw new Error(POSTGRES_BACKUP);
  }

  async close(): Promise<void> {
    await this.#sql.close();
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

/** Inserts a key at revision 0; false if its handle is taken. */
async function insertKey(sql: SqlExecutor, record: NewKeyRecord): Promise<boolean> {
  const result = await sql.run(
    "INSERT INTO keys(key_id, account_id, region, due_at, revision, record) VALUES (?, ?, ?, ?, 0, ?) ON CONFLICT(key_id) DO NOTHING",
    keyHandle(record),
    record.accountId,
    record.region,
    nextDueMs(record) ?? null,
    JSON.stringify(record),
  );
  return result.changes > 0;
}

/** The compare-and-set of deleteKey, one statement; the key's aliases are those of its own Region. */
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
  await sql.run(
    "INSERT INTO key_materials(key_id, key_material_id, wrapped, created_at) VALUES (?, ?, ?, ?)",
    material.keyId,
    material.keyMaterialId,
    material.wrapped,
    material.createdAtMs,
  );
}

/** Why `kmsd backup` does not copy a PostgreSQL database: the database's own tools do it consistently. */
export const POSTGRES_BACKUP = "kmsd backup copies SQLite data directories; back up a PostgreSQL deployment with pg_dump or pg_basebackup (docs/deployment.md)";
