/**
 * The root key check (src/seal/rootKeyCheck.ts), once per engine: the first open records
 * it, the same root key passes, another is refused saying why and changes nothing, and the
 * value recorded is the same on both engines, so a database written on one path (SQLite or
 * PostgreSQL, any seal mode) passes the other's check.
 */
import { it } from "node:test";
import assert from "node:assert/strict";
import { WrappingKey } from "../../src/crypto/rootKey.ts";
import { checkRootKeyFits, rootKeyCheckValue } from "../../src/seal/rootKeyCheck.ts";
import { describeEachEngine } from "./engines.ts";

/** One fixed root key, so the value recorded can be compared across engines and runs. */
const ROOT_KEY_BYTES = Buffer.alloc(32, 7);
/** The check value of ROOT_KEY_BYTES, computed independently: HMAC-SHA256("kmsd") under HMAC-SHA256(root key, "kmsd internal key\n" + purpose). */
const EXPECTED_CHECK = "f756dcdcc24a6fe57684c73eb64a89a9540d9f3958504c6d9f5e09bab90fcfe3";

describeEachEngine("root key check", (databases) => {
  it("the first open records the check value; the same root key passes again", async () => {
    const { store } = databases();
    await checkRootKeyFits(store, WrappingKey.adopt(Buffer.from(ROOT_KEY_BYTES)), "test database");
    assert.equal(await store.getSetting("root_key_check"), rootKeyCheckValue(WrappingKey.adopt(Buffer.from(ROOT_KEY_BYTES))));
    await checkRootKeyFits(store, WrappingKey.adopt(Buffer.from(ROOT_KEY_BYTES)), "test database");
  });

  it("another root key is refused, saying why, and the recorded value stays", async () => {
    const { store } = databases();
    await checkRootKeyFits(store, WrappingKey.adopt(Buffer.from(ROOT_KEY_BYTES)), "test database");
    const recorded = await store.getSetting("root_key_check");
    await assert.rejects(checkRootKeyFits(store, WrappingKey.generate(), "test database"), /the root key does not match this database: test database was initialised with another root key/);
    assert.equal(await store.getSetting("root_key_check"), recorded);
  });

  it("the value recorded does not depend on the engine (what the other engine's path would record and check)", async () => {
    const { store } = databases();
    await checkRootKeyFits(store, WrappingKey.adopt(Buffer.from(ROOT_KEY_BYTES)), "test database");
    assert.equal(await store.getSetting("root_key_check"), EXPECTED_CHECK);
  });

  it("of two opens racing on a new database, one value wins and the other key is refused", async () => {
    const { store } = databases();
    const results = await Promise.allSettled([
      checkRootKeyFits(store, WrappingKey.adopt(Buffer.from(ROOT_KEY_BYTES)), "test database"),
      checkRootKeyFits(store, WrappingKey.generate(), "test database"),
    ]);
    assert.equal(results.filter((result) => result.status === "fulfilled").length, 1);
  });
});
