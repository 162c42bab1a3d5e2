/**
 * Migrations, once per engine: a database left at the schema version before the latest
 * (the empty database on an engine that has had one schema) is brought up to date when a
 * Store opens it, keeps what it held, and then serves the contract; opening it again
 * changes nothing.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ENGINES } from "./engines.ts";
import { ACCOUNT, alias, newKey, REGION } from "./fixtures.ts";

for (const engine of ENGINES) {
  describe(`migrations [${engine.name}]`, () => {
    it("a database at the previous schema version is migrated at open, keeps its rows, and serves the contract; a second open migrates nothing", async () => {
      const upgraded = await engine.openPreviousSchema();
      try {
        const { store, seeded } = upgraded;
        if (seeded) {
          assert.equal(await store.getSetting("written_before_upgrade"), "kept");
          assert.equal((await store.getAccount(ACCOUNT))?.createdAtMs, 1);
        }
        const key = newKey();
        await store.insertKey(key, undefined);
        assert.equal(await store.insertAlias(alias("alias/after-upgrade", key.keyId)), true);
        assert.deepEqual(
          (await store.listKeys(ACCOUNT, REGION, 10, undefined)).items.map((item) => item.keyId),
          [key.keyId],
        );
        const again = await upgraded.reopen();
        try {
          assert.equal((await again.getKey(key.keyId))?.keyId, key.keyId);
          assert.equal((await again.getAlias(ACCOUNT, REGION, "alias/after-upgrade"))?.targetKeyId, key.keyId);
        } finally {
          await again.close();
        }
      } finally {
        await upgraded.close();
      }
    });
  });
}
