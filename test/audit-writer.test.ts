/**
 * The audit writer: concurrent appends share one transaction (group commit), batches sent
 * while a commit is in flight go together into the next one, every chain is numbered and
 * hashed without gaps, key usages land with their batch, and a failed commit fails every
 * waiting request and every later one at once (fail closed).
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { chainHash, GENESIS_HASH } from "../src/audit/canonicalJson.ts";
import type { AuditEvent } from "../src/audit/events.ts";
import { AuditUnavailableError, AuditWriter } from "../src/audit/writer.ts";

const dirs: string[] = [];
function freshDb(): string {
  const dir = mkdtempSync(join(tmpdir(), "kmsd-audit-writer-"));
  dirs.push(dir);
  return join(dir, "audit.db");
}

let counter = 0;
function event(accountId: string, region = "us-east-1"): AuditEvent {
  counter += 1;
  const eventId = `00000000-0000-4000-8000-${String(counter).padStart(12, "0")}`;
  return {
    accountId,
    region,
    timeMs: 1_700_000_000_000 + counter,
    eventId,
    eventName: "Encrypt",
    eventSource: "kms.amazonaws.com",
    readOnly: true,
    username: "root",
    accessKeyId: "AKIAEXAMPLE",
    requestId: `req-${counter}`,
    resources: [{ type: "AWS::KMS::Key", name: `arn:aws:kms:${region}:${accountId}:key/k` }],
    record: JSON.stringify({ eventID: eventId, n: counter }),
  };
}

describe("audit writer", () => {
  after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it("200 appends made in the same turn of the event loop are committed in one transaction", async () => {
    const writer = await AuditWriter.start(freshDb());
    await Promise.all(Array.from({ length: 200 }, () => writer.append([event("111111111111")], [])));
    assert.deepEqual(writer.stats, { commits: 1, events: 200 });
    await writer.close();
  });

  it("batches sent while the writer is busy are committed together: 50 turns of appends take far fewer transactions", async () => {
    const writer = await AuditWriter.start(freshDb());
    try {
      const appended: Promise<void>[] = [];
      for (let turn = 0; turn < 50; turn++) {
        appended.push(writer.append([event("111111111111")], []));
        await new Promise((resolve) => setImmediate(resolve));
      }
      await Promise.all(appended);
      assert.equal(writer.stats.events, 50);
      assert.ok(writer.stats.commits < 25, `${writer.stats.commits} transactions for 50 batches`);
    } finally {
      await writer.close();
    }
  });

  it("every (account, region) chain is numbered from 1 and each hash covers the previous hash and the record", async () => {
    const path = freshDb();
    const writer = await AuditWriter.start(path);
    const events = [event("111111111111"), event("222222222222"), event("111111111111"), event("111111111111", "eu-west-1"), event("111111111111")];
    await Promise.all(events.map((one) => writer.append([one], [])));
    await writer.close();
    const db = new DatabaseSync(path, { readOnly: true });
    const rows = db.prepare("SELECT account_id, region, seq, prev_hash, hash, record FROM events ORDER BY account_id, region, seq").all() as {
      account_id: string;
      region: string;
      seq: number;
      prev_hash: string;
      hash: string;
      record: string;
    }[];
    const chains = new Map<string, { seq: number; hash: string }>();
    for (const row of rows) {
      const key = `${row.account_id}/${row.region}`;
      const tail = chains.get(key) ?? { seq: 0, hash: GENESIS_HASH };
      assert.equal(row.seq, tail.seq + 1, `${key} is numbered without gaps`);
      assert.equal(row.prev_hash, tail.hash);
      assert.equal(row.hash, chainHash(row.prev_hash, row.record));
      chains.set(key, { seq: row.seq, hash: row.hash });
    }
    assert.deepEqual([...chains.keys()].sort(), ["111111111111/eu-west-1", "111111111111/us-east-1", "222222222222/us-east-1"]);
    const tails = db.prepare("SELECT account_id, region, last_seq, last_hash FROM chains ORDER BY account_id, region").all() as { account_id: string; region: string; last_seq: number; last_hash: string }[];
    for (const tail of tails) assert.deepEqual({ seq: tail.last_seq, hash: tail.last_hash }, chains.get(`${tail.account_id}/${tail.region}`));
    db.close();
  });

  it("a key's last usage is written with its batch and a later usage replaces it", async () => {
    const path = freshDb();
    const writer = await AuditWriter.start(path);
    const usage = (timeMs: number, eventId: string) => ({ keyArn: "arn:aws:kms:us-east-1:111111111111:key/k", operation: "Encrypt", timeMs, eventId, requestId: `r-${eventId}` });
    await writer.append([event("111111111111")], [usage(2000, "later")]);
    await writer.append([event("111111111111")], [usage(1000, "older")]);
    await writer.close();
    const db = new DatabaseSync(path, { readOnly: true });
    assert.deepEqual({ ...(db.prepare("SELECT time_ms, event_id FROM key_last_usage").get() as object) }, { time_ms: 2000, event_id: "later" });
    db.close();
  });

  it("a failed commit fails its requests, and every later append fails at once", async () => {
    const writer = await AuditWriter.start(freshDb(), { failAfterEvents: 2 });
    await writer.append([event("111111111111"), event("111111111111")], []);
    await assert.rejects(writer.append([event("111111111111")], []), AuditUnavailableError);
    assert.equal(writer.healthy, false);
    await assert.rejects(writer.append([event("111111111111")], []), AuditUnavailableError);
    await writer.close();
  });

  it("a writer started failed refuses at once", async () => {
    const writer = await AuditWriter.start(freshDb(), { failAtStart: true });
    assert.equal(writer.healthy, false);
    await assert.rejects(writer.append([event("111111111111")], []), AuditUnavailableError);
    await writer.close();
  });

  for (const start of [2 ** 31 - 2, 2 ** 32 - 2]) {
    it(`batch ids past ${start + 2} (a long-running server's) still commit and settle their requests`, async () => {
      const writer = await AuditWriter.start(freshDb(), { firstBatchId: start });
      // A batch never seen as committed would hang its request (and close(), which waits for it).
      const within = async <T>(promise: Promise<T>, what: string): Promise<T> => {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`${what} did not settle within 5 s`)), 5000);
        });
        return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
      };
      let settled = false;
      try {
        for (let batch = 0; batch < 4; batch++) await within(writer.append([event("111111111111")], []), `batch ${start + batch}`);
        settled = true;
        assert.deepEqual(writer.stats, { commits: 4, events: 4 });
        assert.equal(writer.healthy, true);
      } finally {
        if (settled) await writer.close();
        else await within(writer.close(), "close").catch(() => undefined);
      }
    });
  }
});
