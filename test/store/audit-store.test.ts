/**
 * The AuditStore contract, once per engine: events appended to per-account-and-region
 * hash chains (whole and in order when two connections append at once), LookupEvents
 * paging with appends between pages, keys' last usage, the signing key, delivery as a
 * compare-and-set, pruning, and the delivered trail verifying.
 */
import { it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { setImmediate as nextTurn } from "node:timers/promises";
import { GENESIS_HASH } from "../../src/audit/canonicalJson.ts";
import { LogDelivery } from "../../src/audit/delivery.ts";
import { loadOrCreateSigner } from "../../src/audit/signingKey.ts";
import { verifyStoredTrail } from "../../src/audit/verify.ts";
import { FileRootKey } from "../../src/crypto/rootKey.ts";
import type { LookupQuery, StoredEvent } from "../../src/store/auditStore.ts";
import { describeEachEngine } from "./engines.ts";
import { ACCOUNT, assertWholeChain, auditEvent, OTHER_ACCOUNT, REGION } from "./fixtures.ts";

/** Negative when `a` is listed before `b` (newer, or as new and written later). */
function compareNewestFirst(a: StoredEvent, b: StoredEvent): number {
  return b.timeMs - a.timeMs || b.rowid - a.rowid;
}

const ALL_TIME = { startMs: 0, endMs: Number.MAX_SAFE_INTEGER };

describeEachEngine("AuditStore", (databases) => {
  it("appends number and hash each (account, region) chain from 1, in order, and lookup reads them back newest first", async () => {
    const { audit } = databases();
    const mine = [auditEvent(), auditEvent(), auditEvent()] as const;
    const other = [auditEvent(OTHER_ACCOUNT), auditEvent(ACCOUNT, "eu-west-1")] as const;
    await audit.append([{ events: [mine[0], other[0]], usages: [] }, { events: [mine[1]], usages: [] }]);
    await audit.append([{ events: [other[1], mine[2]], usages: [] }]);
    await assertWholeChain(audit, ACCOUNT, REGION, 3);
    await assertWholeChain(audit, OTHER_ACCOUNT, REGION, 1);
    await assertWholeChain(audit, ACCOUNT, "eu-west-1", 1);
    assert.deepEqual(await audit.chains(), [
      { accountId: ACCOUNT, region: "eu-west-1" },
      { accountId: ACCOUNT, region: REGION },
      { accountId: OTHER_ACCOUNT, region: REGION },
    ]);
    const page = await audit.lookup({ accountId: ACCOUNT, region: REGION, ...ALL_TIME, limit: 10 });
    assert.deepEqual(
      page.events.map((event) => event.eventId),
      mine.map((event) => event.eventId).reverse(),
    );
    assert.equal(page.more, false);
  });

  it("two connections appending to the same chains at once keep each chain whole: one seq each, every record hashed after the one before", async () => {
    const { audit, openAuditPeer } = databases();
    const peer = await openAuditPeer();
    const rounds = 30;
    await Promise.all(
      [audit, peer].map(async (store) => {
        for (let round = 0; round < rounds; round++) {
          await store.append([{ events: [auditEvent(), auditEvent(OTHER_ACCOUNT), auditEvent()], usages: [] }]);
          await nextTurn();
        }
      }),
    );
    await assertWholeChain(audit, ACCOUNT, REGION, rounds * 2 * 2);
    await assertWholeChain(peer, OTHER_ACCOUNT, REGION, rounds * 2);
  });

  it("lookup pages newest first: no event twice, none missed, in order across pages while events are appended between them", async () => {
    const { audit } = databases();
    // Several events share a millisecond, so page boundaries fall inside one.
    const initial = Array.from({ length: 23 }, (_, n) => auditEvent(ACCOUNT, REGION, 1_000 + Math.floor(n / 3)));
    await audit.append([{ events: initial, usages: [] }]);
    for (const attribute of [undefined, { key: "EventName" as const, value: "Encrypt" }, { key: "ResourceType" as const, value: "AWS::KMS::Key" }]) {
      const label = attribute?.key ?? "no attribute";
      const expected = initial.filter((event) => attribute?.key !== "EventName" || event.eventName === attribute.value).map((event) => event.eventId);
      const seen: StoredEvent[] = [];
      const newer: string[] = [];
      let after: LookupQuery["after"];
      for (;;) {
        const page = await audit.lookup({ accountId: ACCOUNT, region: REGION, attribute, ...ALL_TIME, limit: 4, after });
        seen.push(...page.events);
        const last = page.events.at(-1);
        if (!page.more || !last) break;
        after = { timeMs: last.timeMs, rowid: last.rowid };
        // Newer than anything listed (never shown: the pages only go back in time), and as old as the boundary.
        const later = auditEvent(ACCOUNT, REGION, 5_000);
        newer.push(later.eventId);
        await audit.append([{ events: [later, auditEvent(ACCOUNT, REGION, 1_000)], usages: [] }]);
      }
      const ids = seen.map((event) => event.eventId);
      assert.equal(new Set(ids).size, ids.length, `${label}: no duplicates`);
      assert.deepEqual(ids.filter((id) => expected.includes(id)).sort(), [...expected].sort(), `${label}: none missed`);
      assert.ok(
        seen.every((event, index) => index === 0 || compareNewestFirst(seen[index - 1] as StoredEvent, event) < 0),
        `${label}: newest first across pages`,
      );
      assert.ok(newer.length > 0 && !ids.some((id) => newer.includes(id)), `${label}: nothing newer than the first page`);
    }
  });

  it("a key's last usage keeps the newest use, whatever order the uses are written in", async () => {
    const { audit } = databases();
    const keyArn = `arn:aws:kms:${REGION}:${ACCOUNT}:key/k`;
    const use = (operation: string, timeMs: number) => ({ keyArn, operation, timeMs, eventId: `e-${timeMs}`, requestId: `r-${timeMs}` });
    await audit.append([{ events: [], usages: [use("Encrypt", 2_000)] }]);
    await audit.append([{ events: [], usages: [use("Decrypt", 1_000)] }]);
    assert.deepEqual(await audit.keyLastUsage(keyArn), { operation: "Encrypt", timeMs: 2_000, eventId: "e-2000", requestId: "r-2000" });
    assert.equal(await audit.keyLastUsage(`${keyArn}-unused`), undefined);
  });

  it("the first signing key saved is kept, and tracking starts at the first time recorded", async () => {
    const { audit, openAuditPeer } = databases();
    const peer = await openAuditPeer();
    assert.equal(await audit.signingKey(), undefined);
    const first = { wrappedPrivateKey: "Zmlyc3Q=", publicKeyPem: "first" };
    assert.deepEqual(await audit.saveSigningKey(first), first);
    assert.deepEqual(await peer.saveSigningKey({ wrappedPrivateKey: "c2Vjb25k", publicKeyPem: "second" }), first);
    assert.deepEqual(await peer.signingKey(), first);
    assert.equal(await audit.trackingStart(5), 5);
    assert.equal(await peer.trackingStart(9), 5);
  });

  it("a chain's delivery status is saved per chain, replaced by the next, and read back by another connection", async () => {
    const { audit, openAuditPeer } = databases();
    const peer = await openAuditPeer();
    assert.equal(await audit.deliveryStatus(ACCOUNT, REGION), undefined);
    await audit.saveDeliveryStatus({ accountId: ACCOUNT, region: REGION, attemptMs: 1_000, error: "ENOSPC", brokenAtSeq: undefined });
    await audit.saveDeliveryStatus({ accountId: ACCOUNT, region: REGION, attemptMs: 2_000, error: undefined, brokenAtSeq: 7 });
    assert.deepEqual(await peer.deliveryStatus(ACCOUNT, REGION), { accountId: ACCOUNT, region: REGION, attemptMs: 2_000, error: undefined, brokenAtSeq: 7 });
    assert.equal(await peer.deliveryStatus(ACCOUNT, "eu-west-1"), undefined);
  });

  it("registering a delivery is a compare-and-set: one made from a stale state is refused and writes nothing", async () => {
    const { audit } = databases();
    await audit.append([{ events: [auditEvent(), auditEvent()], usages: [] }]);
    const [first, second] = await audit.records(ACCOUNT, REGION, 1, 2);
    assert.ok(first && second);
    const delivery = (path: string) => ({
      accountId: ACCOUNT,
      region: REGION,
      expected: { deliveredSeq: 0, latestDigestId: undefined },
      digest: { path, startMs: 0, endMs: 1_000, sha256: "00", signature: "00", firstSeq: 1, lastSeq: 2, lastHash: second.hash, newestEventMs: second.timeMs },
      logFiles: [{ path: `${path}.log`, sha256: "00", firstSeq: 1, lastSeq: 2, previousHash: GENESIS_HASH, lastHash: second.hash }],
      deliveredSeq: 2,
    });
    assert.equal(await audit.registerDelivery(delivery("digest-a")), true);
    assert.equal(await audit.registerDelivery(delivery("digest-b")), false);
    assert.deepEqual(
      (await audit.digests(ACCOUNT, REGION)).map((digest) => digest.path),
      ["digest-a"],
    );
    assert.deepEqual(
      (await audit.logFiles(ACCOUNT, REGION)).map((file) => file.path),
      ["digest-a.log"],
    );
    assert.equal((await audit.chain(ACCOUNT, REGION))?.deliveredSeq, 2);
  });

  it("pruning records makes the chain start after them, chained to the last one pruned", async () => {
    const { audit } = databases();
    await audit.append([{ events: [auditEvent(), auditEvent(), auditEvent()], usages: [] }]);
    const [, second] = await audit.records(ACCOUNT, REGION, 1, 3);
    await audit.pruneRecords(ACCOUNT, REGION, 1, 2);
    const chain = await audit.chain(ACCOUNT, REGION);
    assert.equal(chain?.firstSeq, 3);
    assert.equal(chain?.firstPrevHash, second?.hash);
    assert.deepEqual(
      (await audit.records(ACCOUNT, REGION, 1, 3)).map((record) => record.seq),
      [3],
    );
  });

  it("a delivered trail verifies, and a deleted log file is reported", async () => {
    const { audit, dir } = databases();
    const signer = await loadOrCreateSigner(audit, FileRootKey.loadOrCreate(join(dir, "root.key")));
    const auditDir = join(dir, "audit");
    const delivery = new LogDelivery(audit, auditDir, signer);
    await audit.append([{ events: [auditEvent(), auditEvent(OTHER_ACCOUNT), auditEvent()], usages: [] }]);
    assert.equal((await delivery.deliver(Date.now())).digests.length, 2);
    await audit.append([{ events: [auditEvent()], usages: [] }]);
    const report = await verifyStoredTrail(audit, auditDir, {});
    assert.equal(report.ok, true, JSON.stringify(report));
    assert.equal(report.chains.length, 2);

    const logs = join(auditDir, "AWSLogs", ACCOUNT, "CloudTrail", REGION);
    const logFile = readdirSync(logs, { recursive: true, encoding: "utf8" }).find((path) => path.endsWith(".json.gz"));
    assert.ok(logFile);
    rmSync(join(logs, logFile));
    const tampered = await verifyStoredTrail(audit, auditDir, {});
    assert.equal(tampered.ok, false);
    assert.ok(tampered.files.some((file) => file.status === "deleted"), JSON.stringify(tampered.files));
  });
});
