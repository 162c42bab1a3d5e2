/**
 * The AuditStore on PostgreSQL: the portable SqlAuditStore on the PostgreSQL engine
 * (pgEngine.ts), with the same tables as SQLite's audit.db in the deployment's one
 * database, so every node appends to the same chains and reads the same trail. Chains stay
 * whole under appenders on several nodes because an append locks its chains' tail rows
 * (`FOR UPDATE`) before it reads them (sqlAuditStore.ts).
 */
import { SqlAuditStore } from "../sqlAuditStore.ts";
import { migratePostgres } from "./migrations.ts";
import { pgEngine } from "./pgEngine.ts";
import { openPool, PgRunner } from "./pgRunner.ts";

/** Opens the audit store on the database at `url`, bringing its schema up to date. */
export async function openPgAuditStore(url: string): Promise<SqlAuditStore> {
  const pool = openPool(url, { max: 4 });
  try {
    await migratePostgres(pool);
  } catch (error) {
    await pool.end();
    throw error;
  }
  return new SqlAuditStore(pgEngine(new PgRunner(pool)));
}
