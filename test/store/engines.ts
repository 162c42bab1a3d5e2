/**
 * The storage engines the conformance suite runs against, the way Backstage's
 * TestDatabases does it: every test of a suite runs once per engine, each time on fresh,
 * migrated databases of its own: SQLite (files in a temporary directory) and PostgreSQL (a
 * database of its own on the test process's throwaway cluster, test/support/postgres.ts).
 */
import { afterEach, beforeEach, describe } from "node:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AuditStore } from "../../src/store/auditStore.ts";
import type { SqlRunner } from "../../src/store/sqlRunner.ts";
import type { Store } from "../../src/store/store.ts";
import { openSharedDatabase, SqliteConnection } from "../../src/store/sqlite/connection.ts";
import { auditDbPath, openSqliteAuditStore } from "../../src/store/sqlite/sqliteAuditStore.ts";
import { SqliteStore } from "../../src/store/sqlite/sqliteStore.ts";
import { openPgAuditStore } from "../../src/store/postgres/pgAuditStore.ts";
import { openPool, PgRunner } from "../../src/store/postgres/pgRunner.ts";
import { openPgStore } from "../../src/store/postgres/pgStore.ts";
import { migratePostgres, PG_SCHEMA_VERSION } from "../../src/store/postgres/migrations.ts";
import { migrate, STORE_SCHEMA_VERSION } from "../../src/store/sqlite/migrations.ts";
import { ACCOUNT } from "./fixtures.ts";
import { freshDatabase } from "../support/postgres.ts";

/** The databases of one test: the store (keys and identities), the audit store, a SQL runner. */
export interface EngineDatabases {
  store: Store;
  audit: AuditStore;
  /** Another connection to the same audit database, as a second process would open (closed with the rest). */
  openAuditPeer(): Promise<AuditStore>;
  /** The SqlRunner the portable SQL runs on, over a scratch database of its own. */
  runner: SqlRunner;
  /** A directory for files (delivered audit logs), removed with the rest. */
  dir: string;
  close(): Promise<void>;
}

/** A Store opened on a database that was at the previous schema version. */
export interface UpgradedStore {
  store: Store;
  /** Whether the database held rows written at that version (an account, the setting `written_before_upgrade` = "kept"). */
  seeded: boolean;
  /** Another Store on the same database (its migration finds nothing to do). */
  reopen(): Promise<Store>;
  close(): Promise<void>;
}

/** An engine the contracts are implemented on. */
export interface StoreEngine {
  name: string;
  /** Fresh, migrated databases. */
  open(): Promise<EngineDatabases>;
  /**
   * A fresh database migrated to the version before the latest, with rows written then,
   * and a Store opened on it (which migrates it). An engine that has had one schema has the
   * empty database as its previous version, and nothing is written.
   */
  openPreviousSchema(): Promise<UpgradedStore>;
}

const sqlite: StoreEngine = {
  name: "sqlite",
  async openPreviousSchema() {
    const dir = mkdtempSync(join(tmpdir(), "kmsd-store-conformance-"));
    const path = join(dir, "kmsd.db");
    const db = openSharedDatabase(path);
    try {
      migrate(db, STORE_SCHEMA_VERSION - 1);
      db.prepare("INSERT INTO accounts(account_id, created_at) VALUES (?, 1)").run(ACCOUNT);
      db.exec("INSERT INTO settings(name, value) VALUES ('written_before_upgrade', 'kept')");
    } finally {
      db.close();
    }
    const store = new SqliteStore(path);
    return {
      store,
      seeded: true,
      reopen: async () => new SqliteStore(path),
      async close() {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  async open() {
    const dir = mkdtempSync(join(tmpdir(), "kmsd-store-conformance-"));
    const store = new SqliteStore(join(dir, "kmsd.db"));
    const audit = openSqliteAuditStore(auditDbPath(dir));
    const scratch = openSharedDatabase(join(dir, "scratch.db"));
    scratch.exec("PRAGMA busy_timeout = 0");
    const peers: AuditStore[] = [];
    return {
      store,
      audit,
      runner: new SqliteConnection(scratch),
      dir,
      async openAuditPeer() {
        const peer = openSqliteAuditStore(auditDbPath(dir));
        peers.push(peer);
        return peer;
      },
      async close() {
        for (const peer of peers) await peer.close();
        await audit.close();
        await store.close();
        scratch.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

const postgres: StoreEngine = {
  name: "postgres",
  async openPreviousSchema() {
    const url = await freshDatabase();
    const pool = openPool(url);
    const previous = PG_SCHEMA_VERSION - 1;
    try {
      await migratePostgres(pool, previous);
      if (previous > 0) {
        await pool.query("INSERT INTO accounts(account_id, created_at) VALUES ($1, 1)", [ACCOUNT]);
        await pool.query("INSERT INTO settings(name, value) VALUES ('written_before_upgrade', 'kept')");
      }
    } finally {
      await pool.end();
    }
    const store = await openPgStore(url);
    return { store, seeded: previous > 0, reopen: () => openPgStore(url), close: () => store.close() };
  },
  async open() {
    const url = await freshDatabase();
    const dir = mkdtempSync(join(tmpdir(), "kmsd-store-conformance-"));
    const store = await openPgStore(url);
    const audit = await openPgAuditStore(url);
    const runner = new PgRunner(openPool(url));
    const peers: AuditStore[] = [];
    return {
      store,
      audit,
      runner,
      dir,
      async openAuditPeer() {
        // Another pool on the same database: as another node would append.
        const peer = await openPgAuditStore(url);
        peers.push(peer);
        return peer;
      },
      async close() {
        for (const peer of peers) await peer.close();
        await audit.close();
        await store.close();
        await runner.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

/** Every engine the suite runs on. */
export const ENGINES: readonly StoreEngine[] = [sqlite, postgres];

/**
 * Declares `suite` once per engine, as `title [engine]`; `databases()` gives the running
 * test's fresh databases (opened before each test, closed after it).
 */
export function describeEachEngine(title: string, suite: (databases: () => EngineDatabases) => void): void {
  for (const engine of ENGINES) {
    describe(`${title} [${engine.name}]`, () => {
      let current: EngineDatabases | undefined;
      beforeEach(async () => {
        current = await engine.open();
      });
      afterEach(async () => {
        await current?.close();
        current = undefined;
      });
      suite(() => {
        if (!current) throw new Error("the databases exist only while a test runs");
        return current;
      });
    });
  }
}
