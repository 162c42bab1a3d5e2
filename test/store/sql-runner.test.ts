/**
 * The SqlRunner the portable SQL runs on, once per engine: a transaction is whole (it
 * rolls back entirely when its body throws, and nothing else run on the runner joins it
 * while its body awaits), and transactions that read then write do not interleave.
 */
import { it } from "node:test";
import assert from "node:assert/strict";
import { setImmediate as nextTurn } from "node:timers/promises";
import { describeEachEngine } from "./engines.ts";

describeEachEngine("SqlRunner", (databases) => {
  const values = async () => (await databases().runner.all("SELECT x FROM t ORDER BY x")).map((row) => Number(row.x));

  it("a transaction whose body throws after awaiting rolls back whole", async () => {
    const { runner } = databases();
    await runner.run("CREATE TABLE t (x INTEGER NOT NULL)");
    await assert.rejects(
      runner.transaction(async (tx) => {
        await tx.run("INSERT INTO t(x) VALUES (?)", 1);
        await nextTurn();
        await tx.run("INSERT INTO t(x) VALUES (?)", 2);
        throw new Error("changed my mind");
      }),
      /changed my mind/,
    );
    assert.deepEqual(await values(), []);
  });

  it("a statement run outside an open transaction waits for it, and is not rolled back with it", async () => {
    const { runner } = databases();
    await runner.run("CREATE TABLE t (x INTEGER NOT NULL)");
    let outsideDone = false;
    let outside: Promise<unknown> | undefined;
    const failing = runner.transaction(async (tx) => {
      await tx.run("INSERT INTO t(x) VALUES (?)", 1);
      outside = runner.run("INSERT INTO t(x) VALUES (?)", 99).then(() => (outsideDone = true));
      await nextTurn();
      await nextTurn();
      assert.equal(outsideDone, false, "the outside statement waits for the transaction to end");
      throw new Error("roll back");
    });
    await assert.rejects(failing, /roll back/);
    await outside;
    assert.deepEqual(await values(), [99]);
  });

  it("transactions that read then write run one after the other: 20 concurrent increments make 20", async () => {
    const { runner } = databases();
    await runner.run("CREATE TABLE t (x INTEGER NOT NULL)");
    await runner.run("INSERT INTO t(x) VALUES (0)");
    await Promise.all(
      Array.from({ length: 20 }, () =>
        runner.transaction(async (tx) => {
          const row = await tx.get("SELECT x FROM t");
          await nextTurn();
          await tx.run("UPDATE t SET x = ?", Number(row?.x) + 1);
        }),
      ),
    );
    assert.deepEqual(await values(), [20]);
  });
});
