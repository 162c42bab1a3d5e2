/**
 * The Store on PostgreSQL, shared by every node of a deployment: the portable SqlStore on
 * the PostgreSQL engine (pgEngine.ts), over a pool of this process.
 */
import type pg from "pg";
import { SqlStore } from "../sqlStore.ts";
import { migratePostgres } from "./migrations.ts";
import { pgEngine } from "./pgEngine.ts";
import { openPool, PgRunner, type PgPoolOptions } from "./pgRunner.ts";

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
export class PgStore extends SqlStore {
  readonly #runner: PgRunner;

  constructor(runner: PgRunner) {
    super(pgEngine(runner));
    this.#runner = runner;
  }

  /** The pool, for what else shares the database (notifications, leadership). */
  get pool(): pg.Pool {
    return this.#runner.pool;
  }
}
