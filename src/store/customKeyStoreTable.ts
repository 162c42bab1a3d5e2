/**
 * The custom key store table, written once in portable SQL on the SqlRunner (as the
 * identity SQL is), so SQLite and PostgreSQL run the same statements. Uniqueness (name,
 * proxy URI, cluster id in an account and Region) is checked inside the write's
 * transaction, so the answer names what was taken; the unique indexes stand behind it.
 */
import { type CustomKeyStoreRecord, type NewCustomKeyStoreRecord, proxyUri } from "../keys/customKeyStores.ts";
import { pageOf } from "./rows.ts";
import type { SqlExecutor, SqlRow, SqlRunner } from "./sqlRunner.ts";
import type { Page } from "./store.ts";

/** Why a store could not be written as asked. */
export type CustomKeyStoreConflict = "name-in-use" | "uri-in-use" | "cluster-in-use";

/** What a delete found. */
export type CustomKeyStoreDeleteOutcome = "deleted" | "lost" | "has-keys";

/** The custom key stores of every account (Store.customKeyStores). */
export interface CustomKeyStoreTable {
  /** Inserts a new store at revision 0, unless its name, proxy URI or cluster is taken in its account and Region. */
  insert(record: NewCustomKeyStoreRecord): Promise<"created" | CustomKeyStoreConflict>;
  get(accountId: string, region: string, id: string): Promise<CustomKeyStoreRecord | undefined>;
  /** A store by its name (names are unique in an account and Region). */
  getByName(accountId: string, region: string, name: string): Promise<CustomKeyStoreRecord | undefined>;
  /** Stores of one account and Region in creation order, `limit` at a time after `cursor`. */
  list(accountId: string, region: string, limit: number, cursor: string | undefined): Promise<Page<CustomKeyStoreRecord>>;
  /**
   * Writes `record`, the successor of revision `record.revision - 1`: "lost" (nothing written)
   * if another writer committed first, a conflict if its new name or proxy URI is taken.
   */
  update(record: CustomKeyStoreRecord): Promise<"updated" | "lost" | CustomKeyStoreConflict>;
  /** Deletes a store at `revision` unless a KMS key (in any state) still names it. */
  delete(record: CustomKeyStoreRecord): Promise<CustomKeyStoreDeleteOutcome>;
  /** Every external key store of every account and Region (the periodic proxy health check reads them). */
  listExternal(): Promise<CustomKeyStoreRecord[]>;
  /** Whether a KMS key of the store already uses this external key. */
  xksKeyInUse(record: CustomKeyStoreRecord, xksKeyId: string): Promise<boolean>;
}

/** The table on one engine's runner. */
export class SqlCustomKeyStoreTable implements CustomKeyStoreTable {
  readonly #sql: SqlRunner;

  constructor(sql: SqlRunner) {
    this.#sql = sql;
  }

  insert(record: NewCustomKeyStoreRecord): Promise<"created" | CustomKeyStoreConflict> {
    return this.#sql.transaction(async (tx) => {
      const conflict = await findConflict(tx, record);
      if (conflict) return conflict;
      await tx.run(
        "INSERT INTO custom_key_stores(custom_key_store_id, account_id, region, name, proxy_uri, cluster_id, revision, record) VALUES (?, ?, ?, ?, ?, ?, 0, ?)",
        record.id,
        record.accountId,
        record.region,
        record.name,
        uriOf(record),
        record.cloudHsm?.clusterId ?? null,
        JSON.stringify({ ...record, revision: 0 }),
      );
      return "created";
    });
  }

  async get(accountId: string, region: string, id: string): Promise<CustomKeyStoreRecord | undefined> {
    const row = await this.#sql.get(
      "SELECT revision, record FROM custom_key_stores WHERE custom_key_store_id = ? AND account_id = ? AND region = ?",
      id,
      accountId,
      region,
    );
    return row ? fromRow(row) : undefined;
  }

  async getByName(accountId: string, region: string, name: string): Promise<CustomKeyStoreRecord | undefined> {
    const row = await this.#sql.get("SELECT revision, record FROM custom_key_stores WHERE account_id = ? AND region = ? AND name = ?", accountId, region, name);
    return row ? fromRow(row) : undefined;
  }

  async list(accountId: string, region: string, limit: number, cursor: string | undefined): Promise<Page<CustomKeyStoreRecord>> {
    const after = cursor === undefined ? 0 : Number(cursor);
    const rows = await this.#sql.all(
      "SELECT seq, revision, record FROM custom_key_stores WHERE account_id = ? AND region = ? AND seq > ? ORDER BY seq LIMIT ?",
      accountId,
      region,
      after,
      limit + 1,
    );
    return pageOf(rows, limit, fromRow, "seq");
  }

  update(record: CustomKeyStoreRecord): Promise<"updated" | "lost" | CustomKeyStoreConflict> {
    return this.#sql.transaction(async (tx) => {
      const conflict = await findConflict(tx, record);
      if (conflict) return conflict;
      const written = await tx.run(
        "UPDATE custom_key_stores SET name = ?, proxy_uri = ?, cluster_id = ?, revision = ?, record = ? WHERE custom_key_store_id = ? AND revision = ?",
        record.name,
        uriOf(record),
        record.cloudHsm?.clusterId ?? null,
        record.revision,
        JSON.stringify(record),
        record.id,
        record.revision - 1,
      );
      return written.changes === 1 ? "updated" : "lost";
    });
  }

  delete(record: CustomKeyStoreRecord): Promise<CustomKeyStoreDeleteOutcome> {
    return this.#sql.transaction(async (tx) => {
      const key = await tx.get(
        "SELECT key_id FROM keys WHERE account_id = ? AND region = ? AND record LIKE ? ESCAPE '\\' LIMIT 1",
        record.accountId,
        record.region,
        memberPattern("customKeyStoreId", record.id),
      );
      if (key) return "has-keys";
      const deleted = await tx.run("DELETE FROM custom_key_stores WHERE custom_key_store_id = ? AND revision = ?", record.id, record.revision);
      return deleted.changes === 1 ? "deleted" : "lost";
    });
  }

  async listExternal(): Promise<CustomKeyStoreRecord[]> {
    return (await this.#sql.all("SELECT revision, record FROM custom_key_stores WHERE proxy_uri IS NOT NULL ORDER BY seq")).map(fromRow);
  }

  xksKeyInUse(record: CustomKeyStoreRecord, xksKeyId: string): Promise<boolean> {
    return keyUsing(this.#sql, record, xksKeyId);
  }
}

/** A new key names an external key that another key of its store already uses (thrown by Store.insertKey). */
export class XksKeyInUseError extends Error {
  readonly customKeyStoreId: string;
  readonly xksKeyId: string;

  constructor(customKeyStoreId: string, xksKeyId: string) {
    super(`external key ${xksKeyId} is already used by a key of custom key store ${customKeyStoreId}`);
    this.customKeyStoreId = customKeyStoreId;
    this.xksKeyId = xksKeyId;
  }
}

/**
 * Called in the transaction that inserts keys, before the insert: a key of an external key
 * store must be the only one of its store on its external key. The stores' rows are locked
 * (`forUpdate`: FOR UPDATE on PostgreSQL; SQLite's write transaction locks the database) until
 * commit, so two inserts of keys on one store take turns, and the second sees the first's key.
 * Two keys of one insert (a group commit) on the same external key are refused too.
 */
export async function claimXksKeys(
  tx: SqlExecutor,
  forUpdate: string,
  keys: readonly { accountId: string; region: string; customKeyStoreId?: string | undefined; xksKeyId?: string | undefined }[],
): Promise<void> {
  const claimed = new Set<string>();
  for (const key of keys) {
    if (key.customKeyStoreId === undefined || key.xksKeyId === undefined) continue;
    const name = `${key.customKeyStoreId}\u0000${key.xksKeyId}`;
    if (claimed.has(name)) throw new XksKeyInUseError(key.customKeyStoreId, key.xksKeyId);
    claimed.add(name);
    await claimXksKey(tx, forUpdate, key);
  }
}

async function claimXksKey(
  tx: SqlExecutor,
  forUpdate: string,
  key: { accountId: string; region: string; customKeyStoreId?: string | undefined; xksKeyId?: string | undefined },
): Promise<void> {
  if (key.customKeyStoreId === undefined || key.xksKeyId === undefined) return;
  await tx.get(`SELECT revision FROM custom_key_stores WHERE custom_key_store_id = ?${forUpdate}`, key.customKeyStoreId);
  if (await keyUsing(tx, { id: key.customKeyStoreId, accountId: key.accountId, region: key.region }, key.xksKeyId)) {
    throw new XksKeyInUseError(key.customKeyStoreId, key.xksKeyId);
  }
}

/** Whether a key of the store names this external key (the record's JSON text, as memberPattern says). */
async function keyUsing(sql: SqlExecutor, record: Pick<CustomKeyStoreRecord, "id" | "accountId" | "region">, xksKeyId: string): Promise<boolean> {
  const row = await sql.get(
    "SELECT key_id FROM keys WHERE account_id = ? AND region = ? AND record LIKE ? ESCAPE '\\' AND record LIKE ? ESCAPE '\\' LIMIT 1",
    record.accountId,
    record.region,
    memberPattern("customKeyStoreId", record.id),
    memberPattern("xksKeyId", xksKeyId),
  );
  return row !== undefined;
}

/**
 * A LIKE pattern matching a key record's JSON text that holds `"member":"value"`. Key
 * records have no columns for these members; their values are ids without quotes or
 * backslashes, and `%` and `_` are escaped.
 */
function memberPattern(member: string, value: string): string {
  return `%${JSON.stringify(member)}:${JSON.stringify(value).replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** What another store of the account and Region already holds of `record`'s unique values. */
async function findConflict(tx: SqlExecutor, record: NewCustomKeyStoreRecord): Promise<CustomKeyStoreConflict | undefined> {
  const others = "account_id = ? AND region = ? AND custom_key_store_id <> ?";
  const scope = [record.accountId, record.region, record.id] as const;
  if (await tx.get(`SELECT 1 AS taken FROM custom_key_stores WHERE ${others} AND name = ?`, ...scope, record.name)) return "name-in-use";
  const uri = uriOf(record);
  if (uri !== null && (await tx.get(`SELECT 1 AS taken FROM custom_key_stores WHERE ${others} AND proxy_uri = ?`, ...scope, uri))) return "uri-in-use";
  const cluster = record.cloudHsm?.clusterId;
  if (cluster !== undefined && (await tx.get(`SELECT 1 AS taken FROM custom_key_stores WHERE ${others} AND cluster_id = ?`, ...scope, cluster))) {
    return "cluster-in-use";
  }
  return undefined;
}

function uriOf(record: NewCustomKeyStoreRecord): string | null {
  return record.xks ? proxyUri(record.xks) : null;
}

function fromRow(row: SqlRow): CustomKeyStoreRecord {
  return { ...(JSON.parse(String(row.record)) as CustomKeyStoreRecord), revision: Number(row.revision) };
}
