/**
 * A group commit's statements do not grow with its events: on PostgreSQL every statement
 * is a round trip, and an append written row by row made three per event. Whatever the
 * number of events, resources and key usages, an append to one existing chain runs the
 * same few statements (on PostgreSQL four round trips), and what it writes is what row-by-row writes wrote: each resource
 * on its own event, the chain whole, each key's latest usage.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type pg from "pg";
import { GENESIS_HASH } from "../../src/audit/canonicalJson.ts";
import { chainKey, linkEvents } from "../../src/audit/chain.ts";
import type { AuditEvent, KeyUsage } from "../../src/audit/events.ts";
import { ChainMovedError } from "../../src/store/auditAppend.ts";
import { migratePostgres } from "../../src/store/postgres/migrations.ts";
import { pgEngine } from "../../src/store/postgres/pgEngine.ts";
import { openPool, PgRunner } from "../../src/store/postgres/pgRunner.ts";
import { SqlAuditStore } from "../../src/store/sqlAuditStore.ts";
import type { SqlEngine } from "../../src/store/sqlEngine.ts";
import type { SqlExecutor } from "../../src/store/sqlRunner.ts";
import { migrateAuditDb } from "../../src/store/sqlite/auditMigrations.ts";
import { openSharedDatabase } from "../../src/store/sqlite/connection.ts";
import { sqliteEngine } from "../../src/store/sqlite/sqliteEngine.ts";
import { freshDatabase } from "../support/postgres.ts";
import { ACCOUNT, assertWholeChain, auditEvent, REGION } from "./fixtures.ts";

/** An engine whose write transactions count their statements (SQLite's, in process). */
function counting(engine: SqlEngine): { engine: SqlEngine; statements: () => number } {
  let statements = 0;
  const count = (tx: SqlExecutor): SqlExecutor => ({
    get: (sql, ...params) => (statements++, tx.get(sql, ...params)),
    all: (sql, ...params) => (statements++, tx.all(sql, ...params)),
    run: (sql, ...params) => (statements++, tx.run(sql, ...params)),
  });
  return { engine: { ...engine, writeTransaction: (body) => engine.writeTransaction((tx) => body(count(tx))) }, statements: () => statements };
}

/** A pool whose connections count the statements they send (PostgreSQL's round trips, BEGIN and COMMIT included). */
function countingPool(url: string): { pool: pg.Pool; statements: () => number } {
  let statements = 0;
  const pool = openPool(url, { max: 2 });
  pool.on("connect", (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    client.query = ((...args: unknown[]) => (statements++, query(...args))) as typeof client.query;
  });
  return { pool, statements: () => statements };
}

const ENGINES: { name: string; open(): Promise<{ engine: SqlEngine; statements: () => number; cleanup(): void }> }[] = [
  {
    name: "sqlite",
    async open() {
      const dir = mkdtempSync(join(tmpdir(), "kmsd-append-"));
      const db = openSharedDatabase(join(dir, "audit.db"));
      migrateAuditDb(db);
      return { ...counting(sqliteEngine(db)), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
    },
  },
  {
    name: "postgres",
    async open() {
      const { pool, statements } = countingPool(await freshDatabase());
      await migratePostgres(pool);
      return { engine: pgEngine(new PgRunner(pool)), statements, cleanup: () => undefined };
    },
  },
];

function usageOf(event: AuditEvent, keyArn: string, timeMs: number): KeyUsage {
  return { keyArn, operation: event.eventName, timeMs, eventId: event.eventId, requestId: event.requestId };
}

for (const { name, open } of ENGINES) {
  describe(`audit append statements [${name}]`, () => {
    const cleanups: (() => void)[] = [];
    after(() => cleanups.forEach((cleanup) => cleanup()));

    it("an append of 60 events from 20 requests runs as many statements as an append of one", async () => {
      const { engine, statements, cleanup } = await open();
      cleanups.push(cleanup);
      const audit = new SqlAuditStore(engine);
      try {
        const keyA = `arn:aws:kms:${REGION}:${ACCOUNT}:key/a`;
        const keyB = `arn:aws:kms:${REGION}:${ACCOUNT}:key/b`;
        // The chain exists from here on.
        const first = auditEvent();
        await audit.append([{ events: [first], usages: [usageOf(first, keyA, 1_000)] }]);
        const before = statements();
        const lone = auditEvent();
        await audit.append([{ events: [lone], usages: [usageOf(lone, keyA, 2_000)] }]);
        const forOne = statements() - before;
        // PostgreSQL: the one statement of the rows, outside a transaction, after the tail this store wrote.
        if (name === "postgres") assert.equal(forOne, 1);

        const batches = Array.from({ length: 20 }, (_, request) => {
          const events = [auditEvent(), auditEvent(), auditEvent()];
          // Two resources on some events: each must land on its own event.
          for (const event of events) event.resources.push({ type: "AWS::KMS::Key", name: `${keyB}-${event.eventId}` });
          return { events, usages: [usageOf(events[0] as AuditEvent, keyA, 3_000 + (request % 3)), usageOf(events[1] as AuditEvent, keyB, 5_000 - request)] };
        });
        const beforeMany = statements();
        await audit.append(batches);
        assert.equal(statements() - beforeMany, forOne);

        // What was written is what row-by-row writes wrote.
        await assertWholeChain(audit, ACCOUNT, REGION, 62);
        const records = await audit.records(ACCOUNT, REGION, 1, 62);
        assert.deepEqual(
          records.map((record) => record.record),
          [first, lone, ...batches.flatMap((batch) => batch.events)].map((event) => event.record),
        );
        for (const event of batches.flatMap((batch) => batch.events)) {
          for (const resource of event.resources) {
            const page = await audit.lookup({ accountId: ACCOUNT, region: REGION, attribute: { key: "ResourceName", value: resource.name }, startMs: 0, endMs: Number.MAX_SAFE_INTEGER, limit: 5 });
            assert.deepEqual(page.events.map((found) => found.eventId), [event.eventId], resource.name);
          }
        }
        // keyA: the last of the latest (3,002 first reached by request 2, last by request 17); keyB: the first request's 5,000.
        const lastA = batches[17]?.events[0] as AuditEvent;
        assert.deepEqual(await audit.keyLastUsage(keyA), { operation: lastA.eventName, timeMs: 3_002, eventId: lastA.eventId, requestId: lastA.requestId });
        assert.equal((await audit.keyLastUsage(keyB))?.eventId, batches[0]?.events[1]?.eventId);
      } finally {
        await audit.close();
      }
    });

    it("rows whose chain is not where the append read it are refused whole: nothing is written", async () => {
      const { engine, cleanup } = await open();
      cleanups.push(cleanup);
      const audit = new SqlAuditStore(engine);
      try {
        const first = auditEvent();
        await audit.append([{ events: [first], usages: [] }]);
        const chain = await audit.chain(ACCOUNT, REGION);
        assert.equal(chain?.lastSeq, 1);
        // Linked after a tail the chain has left (seq 0, the genesis): a stale reading.
        const stale = { accountId: ACCOUNT, region: REGION, seq: 0, hash: GENESIS_HASH };
        const { linked, tails } = linkEvents([auditEvent()], new Map([[chainKey(ACCOUNT, REGION), stale]]));
        const keyArn = `arn:aws:kms:${REGION}:${ACCOUNT}:key/stale`;
        const usage = usageOf(linked[0]?.event as AuditEvent, keyArn, 9_000);
        await assert.rejects(
          engine.writeTransaction((tx) => engine.writeAppend(tx, { linked, moves: tails.map((to) => ({ from: stale, to })), usages: [usage] })),
          ChainMovedError,
        );
        assert.deepEqual(await audit.chain(ACCOUNT, REGION), chain);
        assert.equal((await audit.records(ACCOUNT, REGION, 1, 10)).length, 1);
        assert.equal(await audit.keyLastUsage(keyArn), undefined);
      } finally {
        await audit.close();
      }
    });

    it("two stores taking turns on one chain keep it whole: a store whose known tail moved appends the locked way", async () => {
      const { engine, cleanup } = await open();
      cleanups.push(cleanup);
      const [a, b] = [new SqlAuditStore(engine), new SqlAuditStore(engine)];
      for (let turn = 0; turn < 6; turn++) await (turn % 2 === 0 ? a : b).append([{ events: [auditEvent(), auditEvent()], usages: [] }]);
      await assertWholeChain(a, ACCOUNT, REGION, 12);
      await a.close();
    });
  });
}
