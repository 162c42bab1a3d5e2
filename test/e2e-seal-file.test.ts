/**
 * End to end: the `file` seal mode (the root key in a plaintext file, the default) says
 * so once at every start outside --dev; a node refuses a root key that does not fit its
 * database, and a --seal that disagrees with its data directory, with a message that says
 * what to do.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, it } from "node:test";
import { startKmsd } from "./support/kmsd.ts";
import { initShamir, runCli } from "./support/seal.ts";

const WARNING = /the root key is stored unprotected/g;

describe("file seal mode", () => {
  const scratch = mkdtempSync(join(tmpdir(), "kmsd-seal-file-"));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it("a start without --dev warns once that the root key is unprotected, naming the file and how to seal it", async () => {
    for (const workers of ["1", "2"]) {
      const kmsd = await startKmsd({ args: ["--workers", workers] });
      try {
        const warnings = kmsd.stderr().match(WARNING) ?? [];
        assert.equal(warnings.length, 1, `--workers ${workers}: ${kmsd.stderr()}`);
        assert.match(kmsd.stderr(), /root\.key/);
        assert.match(kmsd.stderr(), /operator seal-migrate/);
      } finally {
        await kmsd.dispose();
      }
    }
  });

  it("a --dev start does not warn", async () => {
    const kmsd = await startKmsd({ dev: true });
    try {
      assert.equal((kmsd.stderr().match(WARNING) ?? []).length, 0);
    } finally {
      await kmsd.dispose();
    }
  });

  it("a root key that does not fit the database stops the start with a clear message", async () => {
    const dataDir = join(scratch, "mismatch");
    const kmsd = await startKmsd({ dataDir, dev: true });
    await kmsd.stop();
    writeFileSync(join(dataDir, "root.key"), randomBytes(32));
    const { code, stderr } = await runCli(["serve", "--data-dir", dataDir, "--port", "0", "--workers", "1", "--dev"]);
    assert.equal(code, 1);
    assert.match(stderr, /the root key does not match this database/);
  });

  it("--seal must agree with the data directory: a file directory is not opened as sealed, a sealed one not as file", async () => {
    const dataDir = join(scratch, "plain");
    const kmsd = await startKmsd({ dataDir, dev: true });
    await kmsd.stop();
    const asShamir = await runCli(["serve", "--data-dir", dataDir, "--port", "0", "--workers", "1", "--seal", "shamir"]);
    assert.equal(asShamir.code, 1);
    assert.match(asShamir.stderr, /plaintext file \(seal mode file\); move it with kmsd operator seal-migrate --to shamir/);

    const sealed = await initShamir(3, 2);
    try {
      const asFile = await runCli(["serve", "--data-dir", sealed.dataDir, "--port", "0", "--workers", "1", "--seal", "file"]);
      assert.equal(asFile.code, 1);
      assert.match(asFile.stderr, /is sealed with seal mode shamir, not file/);
    } finally {
      rmSync(dirname(sealed.dataDir), { recursive: true, force: true });
    }
  });

  it("--seal shamir on a new directory points at operator init", async () => {
    const { code, stderr } = await runCli(["serve", "--data-dir", join(scratch, "new"), "--port", "0", "--workers", "1", "--seal", "shamir"]);
    assert.equal(code, 1);
    assert.match(stderr, /kmsd operator init --data-dir .* --shares N --threshold T/);
  });
});
