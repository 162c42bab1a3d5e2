/**
 * Opening a shared database file from several processes at once, as the workers of
 * `kmsd serve --workers N` do on a first start: every opener must succeed. Two connections
 * switching a new file to WAL together used to make one fail with "database is locked".
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { SqliteStore } from "../src/store/sqlite/sqliteStore.ts";

const CONNECTION_MODULE = new URL("../src/store/sqlite/connection.ts", import.meta.url).href;
const OPENERS = 6;
const ROUNDS = 8;

/**
 * Opens `path` in a process of its own at `startAt` (epoch ms, so that all openers start
 * within a millisecond of each other) and writes to it; resolves to "ok" or the error.
 */
function openInChild(path: string, startAt: number): Promise<string> {
  const script = `
    const { openSharedDatabase } = await import(${JSON.stringify(CONNECTION_MODULE)});
    while (Date.now() < ${startAt});
    try {
      const db = openSharedDatabase(${JSON.stringify(path)});
      db.exec("CREATE TABLE IF NOT EXISTS t(x); INSERT INTO t VALUES (1)");
      db.close();
      process.stdout.write("ok");
    } catch (error) {
      process.stdout.write(String(error.message));
    }`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["--input-type=module", "-e", script], (error, stdout) => (error ? reject(error) : resolve(stdout)));
  });
}

describe("openSharedDatabase", () => {
  const dir = mkdtempSync(join(tmpdir(), "kmsd-sqlite-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it(`${OPENERS} processes opening a new file at once all succeed, ${ROUNDS} times over`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const path = join(dir, `shared-${round}.db`);
      const startAt = Date.now() + 600;
      const outcomes = await Promise.all(Array.from({ length: OPENERS }, () => openInChild(path, startAt)));
      assert.deepEqual(outcomes, Array(OPENERS).fill("ok"), `round ${round}`);
    }
  });
});

describe("SqliteStore and migrations", () => {
  const dir = mkdtempSync(join(tmpdir(), "kmsd-sqlite-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** How many of this process's file descriptors are open on `path`. */
  const openDescriptors = (path: string) =>
    readdirSync("/proc/self/fd").filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === path;
      } catch {
        return false;
      }
    }).length;

  it("a failed migration rolls back and throws its own error, and the store's constructor closes the database", { skip: process.platform !== "linux" }, () => {
    const path = join(dir, "clash.db");
    // A table the first migration creates is already there: the migration fails.
    const seed = new DatabaseSync(path);
    seed.exec("CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL)");
    seed.close();
    assert.throws(() => new SqliteStore(path), /table settings already exists/);
    assert.equal(openDescriptors(path), 0, "the database file is closed again");
    // Nothing of the failed migration stayed behind.
    const check = new DatabaseSync(path);
    try {
      assert.equal((check.prepare("PRAGMA user_version").get() as { user_version: number }).user_version, 0);
      assert.equal(check.prepare("SELECT name FROM sqlite_master WHERE name = 'accounts'").get(), undefined);
    } finally {
      check.close();
    }
  });
});
