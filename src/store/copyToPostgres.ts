/**
 * Copies a SQLite deployment (kmsd.db and audit.db of a data directory) into an empty
 * PostgreSQL database, for `kmsd migrate`. Both engines hold the same tables with the same
 * columns (the portable schema), so the copy is table by table, row for row: key records
 * keep their revisions and wrapped material (the root key file stays the data
 * directory's), the audit chain keeps its hashes and sequence numbers. The whole copy is one
 * PostgreSQL transaction: a failure leaves the target as empty as it was.
 */
import { DatabaseSync } from "node:sqlite";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type pg from "pg";
import { migratePostgres } from "./postgres/migrations.ts";
import { openPool } from "./postgres/pgRunner.ts";
import { migrateAuditDb } from "./sqlite/auditMigrations.ts";
import { migrate as migrateStoreDb } from "./sqlite/migrations.ts";
import { auditDbPath } from "./sqlite/sqliteAuditStore.ts";

/** The store's tables, parents before children. */
const STORE_TABLES = [
  "settings",
  "accounts",
  "access_keys",
  "deleted_access_keys",
  "keys",
  "key_materials",
  "aliases",
  "grants",
  "iam_users",
  "iam_groups",
  "iam_group_members",
  "iam_roles",
  "iam_inline_policies",
  "iam_managed_policies",
  "iam_policy_versions",
  "iam_policy_attachments",
  "sts_sessions",
  "sts_token_sessions",
  "custom_key_stores",
] as const;

/** The audit trail's tables. */
const AUDIT_TABLES = ["meta", "chains", "events", "event_resources", "digests", "log_files", "key_last_usage"] as const;

/** Sequences numbered outside an identity column: set past the copied rows' highest value. */
const SEQUENCES = [{ sequence: "grants_seq", table: "grants", column: "seq" }] as const;

/** Rows per INSERT statement. */
const BATCH_ROWS = 200;

/** How many rows of each table were copied (and found again in the target). */
export type CopyCounts = Record<string, number>;

/** Reports progress: `done` of `total` rows copied so far, now in `table`. */
export type CopyProgress = (done: number, total: number, table: string) => void;

/** Copies the data directory's SQLite databases into the empty PostgreSQL database at `url`. */
export async function copySqliteToPostgres(dataDir: string, url: string, onProgress: CopyProgress = () => undefined): Promise<CopyCounts> {
  const storePath = join(dataDir, "kmsd.db");
  if (!existsSync(storePath)) throw new Error(`no kmsd database in ${dataDir} (${storePath})`);
  // Both brought to this version's schema first: the target is created at it.
  const sources = [
    { db: openMigrated(storePath, migrateStoreDb), tables: STORE_TABLES },
    ...(existsSync(auditDbPath(dataDir)) ? [{ db: openMigrated(auditDbPath(dataDir), migrateAuditDb), tables: AUDIT_TABLES }] : []),
  ];
  const pool = openPool(url, { max: 1 });
  try {
    await migratePostgres(pool);
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      try {
        for (const table of [...STORE_TABLES, ...AUDIT_TABLES]) {
          const { rows } = await client.query<{ present: boolean }>(`SELECT EXISTS (SELECT 1 FROM ${table}) AS present`);
          if (rows[0]?.present) throw new Error(`the target database is not empty (table ${table} has rows): kmsd migrate copies into an empty database only`);
        }
        const total = sources.reduce((sum, source) => sum + source.tables.reduce((n, table) => n + countRows(source.db, table), 0), 0);
        const counts: CopyCounts = {};
        let done = 0;
        for (const source of sources) {
          for (const table of source.tables) {
            counts[table] = await copyTable(source.db, client, table, (rows) => {
              done += rows;
              onProgress(done, total, table);
            });
          }
        }
        await resetSequences(client);
        await client.query("COMMIT");
        return counts;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw error;
      }
    } finally {
      client.release();
    }
  } finally {
    await pool.end();
    for (const source of sources) source.db.close();
  }
}

/** Counts each table's rows in the PostgreSQL database at `url`, to check a copy against. */
export async function countPostgresRows(url: string, tables: readonly string[]): Promise<CopyCounts> {
  const pool = openPool(url, { max: 1 });
  try {
    const counts: CopyCounts = {};
    for (const table of tables) counts[table] = Number((await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]?.n ?? 0);
    return counts;
  } finally {
    await pool.end();
  }
}

function openMigrated(path: string, migrate: (db: DatabaseSync) => void): DatabaseSync {
  const db = new DatabaseSync(path);
  migrate(db);
  return db;
}

function countRows(db: DatabaseSync, table: string): number {
  return Number((db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n);
}

/** Copies one table's rows; the columns are SQLite's (the target must have every one of them). */
async function copyTable(db: DatabaseSync, client: pg.PoolClient, table: string, onRows: (rows: number) => void): Promise<number> {
  const columns = (db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>).map((column) => column.name);
  const identity = await client.query("SELECT 1 FROM information_schema.columns WHERE table_name = $1 AND is_identity = 'YES'", [table]);
  // Identity columns (seq) keep their values: paging cursors and the audit chain's order depend on them.
  const overriding = identity.rowCount ? " OVERRIDING SYSTEM VALUE" : "";
  let copied = 0;
  let batch: unknown[][] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const params: unknown[] = [];
    const tuples = batch.map((row) => `(${row.map((value) => `$${params.push(value)}`).join(", ")})`);
    await client.query(`INSERT INTO ${table} (${columns.join(", ")})${overriding} VALUES ${tuples.join(", ")}`, params);
    onRows(batch.length);
    copied += batch.length;
    batch = [];
  };
  for (const row of db.prepare(`SELECT ${columns.join(", ")} FROM ${table}`).iterate() as Iterable<Record<string, unknown>>) {
    batch.push(columns.map((column) => toPg(row[column])));
    if (batch.length === BATCH_ROWS) await flush();
  }
  await flush();
  return copied;
}

/** A SQLite value as node-postgres takes it: BLOBs as Buffers. */
function toPg(value: unknown): unknown {
  return value instanceof Uint8Array ? Buffer.from(value) : value;
}

/** Moves every identity column's and sequence's next value past the copied rows. */
async function resetSequences(client: pg.PoolClient): Promise<void> {
  const identities = await client.query<{ table_name: string; column_name: string }>(
    "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() AND is_identity = 'YES'",
  );
  const all = [
    ...identities.rows.map((row) => ({ sequence: `pg_get_serial_sequence('${row.table_name}', '${row.column_name}')`, table: row.table_name, column: row.column_name })),
    ...SEQUENCES.map((s) => ({ sequence: `'${s.sequence}'`, table: s.table, column: s.column })),
  ];
  for (const { sequence, table, column } of all) {
    await client.query(`SELECT setval(${sequence}, COALESCE((SELECT MAX(${column}) FROM ${table}), 0) + 1, false)`);
  }
}

/** Every table the copy fills. */
export const COPIED_TABLES: readonly string[] = [...STORE_TABLES, ...AUDIT_TABLES];
