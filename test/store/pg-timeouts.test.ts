/**
 * PostgreSQL only: a database call that runs out of time fails as AWS KMS's
 * DependencyTimeoutException, not as an internal error, so a client knows to retry; a
 * connection that dies in the middle of a transaction fails that transaction only.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import pg from "pg";
import { openPool, PgRunner } from "../../src/store/postgres/pgRunner.ts";
import { freshDatabase } from "../support/postgres.ts";

describe("PostgreSQL calls that time out", () => {
  it("a statement cancelled by the server's statement timeout is a DependencyTimeoutException, in a transaction or not", async () => {
    const runner = new PgRunner(openPool(await freshDatabase(), { statementTimeoutMs: 100 }));
    try {
      await assert.rejects(runner.run("SELECT pg_sleep(1)"), { name: "DependencyTimeoutException" });
      await assert.rejects(
        runner.readCommitted((tx) => tx.run("SELECT pg_sleep(1)")),
        { name: "DependencyTimeoutException" },
      );
      // The pool serves again at once.
      assert.equal(Number((await runner.get("SELECT 1 AS one"))?.one), 1);
    } finally {
      await runner.close();
    }
  });

  it("a connection the server ends while its transaction runs fails that transaction, not the process, and the pool serves again", async () => {
    const url = await freshDatabase();
    const runner = new PgRunner(openPool(url));
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    // Without a listener on the checked-out client, node-postgres throws its 'error' event:
    // in kmsd's audit writer thread that ended the thread, and the node refused every request for good.
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on("uncaughtException", onUncaught);
    try {
      await assert.rejects(
        runner.readCommitted(async (tx) => {
          const pid = Number((await tx.get("SELECT pg_backend_pid() AS pid"))?.pid);
          await admin.query("SELECT pg_terminate_backend($1)", [pid]);
          // The connection's end arrives while the client is still checked out, between statements.
          await new Promise((resolve) => setTimeout(resolve, 200));
          await tx.run("SELECT 1");
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.deepEqual(uncaught, []);
      assert.equal(Number((await runner.readCommitted((tx) => tx.get("SELECT 1 AS one")))?.one), 1);
    } finally {
      process.off("uncaughtException", onUncaught);
      await admin.end();
      await runner.close();
    }
  });
});
