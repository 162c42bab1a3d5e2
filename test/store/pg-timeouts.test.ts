/**
 * PostgreSQL only: a database call that runs out of time fails as AWS KMS's
 * DependencyTimeoutException, not as an internal error, so a client knows to retry.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
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
});
