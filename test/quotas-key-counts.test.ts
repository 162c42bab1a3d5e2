/**
 * The key quota's count is not read from the store on every CreateKey (it reads every key
 * row of the account and Region): far below the quota a count read within the last second
 * is reused, with the keys let through since added; near the quota every check reads.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { KeyCounts } from "../src/quotas/keyCounts.ts";

/** A store count that says how often it was read. */
function storeCount(initial: number) {
  const store = { keys: initial, reads: 0 };
  const count = async () => {
    store.reads += 1;
    await new Promise((resolve) => setImmediate(resolve));
    return store.keys;
  };
  return { store, count };
}

describe("KeyCounts", () => {
  it("far below the quota, reads once per second and counts the keys it let through", async () => {
    let now = 0;
    const counts = new KeyCounts(() => now);
    const { store, count } = storeCount(10);
    assert.equal(await counts.usage("111122223333", "us-east-1", 100_000, count), 10);
    assert.equal(await counts.usage("111122223333", "us-east-1", 100_000, count), 11);
    assert.equal(store.reads, 1);
    now = 999;
    assert.equal(await counts.usage("111122223333", "us-east-1", 100_000, count), 12);
    assert.equal(store.reads, 1);
    // Another process created keys meanwhile: seen once the count is a second old.
    store.keys = 500;
    now = 1_000;
    assert.equal(await counts.usage("111122223333", "us-east-1", 100_000, count), 500);
    assert.equal(store.reads, 2);
  });

  it("near the quota, reads the store on every check", async () => {
    const counts = new KeyCounts(() => 0);
    const { store, count } = storeCount(2);
    for (const expected of [2, 3, 4]) {
      store.keys = expected;
      assert.equal(await counts.usage("111122223333", "us-east-1", 5, count), expected);
    }
    assert.equal(store.reads, 3);
  });

  it("concurrent checks share one read, and each sees the keys let through before it", async () => {
    const counts = new KeyCounts(() => 0);
    const { store, count } = storeCount(7);
    const usages = await Promise.all(Array.from({ length: 5 }, () => counts.usage("111122223333", "us-east-1", 100_000, count)));
    assert.deepEqual(usages, [7, 8, 9, 10, 11]);
    assert.equal(store.reads, 1);
  });

  it("keeps accounts and Regions apart", async () => {
    const counts = new KeyCounts(() => 0);
    const first = storeCount(3);
    const second = storeCount(40);
    assert.equal(await counts.usage("111122223333", "us-east-1", 100_000, first.count), 3);
    assert.equal(await counts.usage("111122223333", "eu-west-1", 100_000, second.count), 40);
    assert.equal(await counts.usage("444455556666", "us-east-1", 100_000, second.count), 40);
    assert.equal(first.store.reads + second.store.reads, 3);
  });
});
