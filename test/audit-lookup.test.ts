/**
 * LookupEvents' queries: every lookup attribute (and none) reads an index range in time
 * order (no table scan, no sort), and paging returns each matching event once, newest
 * first, within the account and region asked for.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import type { AuditEvent } from "../src/audit/events.ts";
import { AuditWriter } from "../src/audit/writer.ts";
import type { LookupAttributeKey, LookupQuery } from "../src/store/auditStore.ts";
import { lookupSql } from "../src/store/auditLookupSql.ts";
import { lookupEvents } from "../src/store/sqlite/auditLookupSql.ts";
import { openSqliteAuditStore } from "../src/store/sqlite/sqliteAuditStore.ts";

const dir = mkdtempSync(join(tmpdir(), "kmsd-audit-lookup-"));
const path = join(dir, "audit.db");

function event(n: number, accountId: string, overrides: Partial<AuditEvent> = {}): AuditEvent {
  const eventId = `evt-${n}`;
  return {
    accountId,
    region: "us-east-1",
    // Several events share a millisecond: paging must still return each once.
    timeMs: 1_700_000_000_000 + Math.floor(n / 3) * 1000,
    eventId,
    eventName: n % 2 === 0 ? "Encrypt" : "Decrypt",
    eventSource: "kms.amazonaws.com",
    readOnly: n % 5 !== 0,
    username: n % 4 === 0 ? "alice" : "root",
    accessKeyId: `AKIA${n % 3}`,
    requestId: `req-${n}`,
    resources: n % 2 === 0 ? [{ type: "AWS::KMS::Key", name: `arn:key/${n % 4}` }, { type: "AWS::KMS::Key", name: "arn:key/x" }] : [],
    record: JSON.stringify({ eventID: eventId }),
    ...overrides,
  };
}

describe("audit lookups", () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("loads a small history", async () => {
    await openSqliteAuditStore(path).close();
    const writer = await AuditWriter.start(path);
    await writer.append(
      Array.from({ length: 40 }, (_, n) => event(n, n % 10 === 9 ? "222222222222" : "111111111111")),
      [],
    );
    await writer.close();
  });

  const attributes: { key: LookupAttributeKey | undefined; value: string; index: string }[] = [
    { key: undefined, value: "", index: "events_by_time" },
    { key: "EventId", value: "evt-4", index: "events_by_event_id" },
    { key: "EventName", value: "Encrypt", index: "events_by_name" },
    { key: "ReadOnly", value: "false", index: "events_by_read_only" },
    { key: "Username", value: "alice", index: "events_by_username" },
    { key: "EventSource", value: "kms.amazonaws.com", index: "events_by_source" },
    { key: "AccessKeyId", value: "AKIA1", index: "events_by_access_key" },
    { key: "ResourceType", value: "AWS::KMS::Key", index: "resources_by_type" },
    { key: "ResourceName", value: "arn:key/2", index: "resources_by_name" },
  ];

  for (const { key, value, index } of attributes) {
    const query = (after?: LookupQuery["after"]): LookupQuery => ({
      accountId: "111111111111",
      region: "us-east-1",
      attribute: key && { key, value },
      startMs: 0,
      endMs: Number.MAX_SAFE_INTEGER,
      limit: 4,
      after,
    });

    it(`${key ?? "no attribute"}: the query reads ${index} (no scan, no sort)`, () => {
      const db = new DatabaseSync(path, { readOnly: true });
      for (const page of [query(), query({ timeMs: 1_700_000_005_000, rowid: 20 })]) {
        const { sql, params } = lookupSql(page);
        const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((row) => row.detail);
        assert.ok(plan.every((step) => !/^SCAN/.test(step)), `no table scan: ${plan.join(" | ")}`);
        assert.ok(plan.every((step) => !/TEMP B-TREE/.test(step)), `no sort: ${plan.join(" | ")}`);
        assert.match(plan[0] ?? "", new RegExp(`^SEARCH \\w+ USING (COVERING )?INDEX ${index} \\(`), `reads ${index}: ${plan.join(" | ")}`);
      }
      db.close();
    });

    it(`${key ?? "no attribute"}: paging returns every matching event of the account once, newest first`, () => {
      const db = new DatabaseSync(path, { readOnly: true });
      const seen: { id: string; timeMs: number; rowid: number }[] = [];
      let after: LookupQuery["after"];
      for (;;) {
        const page = lookupEvents(db, query(after));
        seen.push(...page.events.map((one) => ({ id: one.eventId, timeMs: one.timeMs, rowid: one.rowid })));
        const last = page.events.at(-1);
        if (!page.more || !last) break;
        after = { timeMs: last.timeMs, rowid: last.rowid };
      }
      const expected = Array.from({ length: 40 }, (_, n) => n)
        .filter((n) => n % 10 !== 9)
        .map((n) => ({ n, one: event(n, "111111111111") }))
        .filter(({ one }) => {
          switch (key) {
            case undefined:
              return true;
            case "EventId":
              return one.eventId === value;
            case "EventName":
              return one.eventName === value;
            case "ReadOnly":
              return String(one.readOnly) === value;
            case "Username":
              return one.username === value;
            case "EventSource":
              return one.eventSource === value;
            case "AccessKeyId":
              return one.accessKeyId === value;
            case "ResourceType":
              return one.resources.some((resource) => resource.type === value);
            case "ResourceName":
              return one.resources.some((resource) => resource.name === value);
          }
        })
        .map(({ one }) => one.eventId);
      assert.deepEqual(new Set(seen.map((one) => one.id)), new Set(expected));
      assert.equal(seen.length, expected.length, "no event twice");
      for (let i = 1; i < seen.length; i++) {
        const [a, b] = [seen[i - 1]!, seen[i]!];
        assert.ok(a.timeMs > b.timeMs || (a.timeMs === b.timeMs && a.rowid > b.rowid), "newest first");
      }
      db.close();
    });
  }
});
