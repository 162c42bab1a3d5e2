/**
 * End to end: `kmsd operator seal-migrate` moves a `file` data directory to shamir, kms
 * or pkcs11. Afterwards the plaintext root key file is gone, every existing ciphertext
 * still decrypts, signatures and MACs still verify and an IAM user's access key still
 * signs. A migration that stopped between writing the seal and destroying the file is
 * refused by `serve` and finished by a rerun.
 */
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { startKmsd } from "./support/kmsd.ts";
import { checkThings, makeThings, type Made } from "./support/sealedThings.ts";
import { runCli, sealingKmsd, softHsmToken, SOFTHSM_MODULE, unsealWith, type SealingDependency } from "./support/seal.ts";
import { readSealRecord } from "../src/seal/sealFile.ts";

const TARGETS = [
  { to: "shamir", skip: false },
  { to: "kms", skip: false },
  { to: "pkcs11", skip: existsSync(SOFTHSM_MODULE) ? false : "SoftHSM2 is not installed; .ci/run installs it" },
] as const;

for (const { to, skip } of TARGETS) {
  describe(`operator seal-migrate --to ${to}`, { skip }, () => {
    const scratch = mkdtempSync(join(tmpdir(), `kmsd-migrate-${to}-`));
    const dataDir = join(scratch, "data");
    let dependency: (SealingDependency & { stop?(): Promise<void> }) | undefined;
    let made: Made;
    let shares: string[] = [];

    const migrate = async () => {
      const targetArgs = to === "shamir" ? ["--shares", "3", "--threshold", "2"] : (dependency?.args ?? []);
      const result = await runCli(["operator", "seal-migrate", "--data-dir", dataDir, "--to", to, ...targetArgs, "--json"], { env: { ...process.env, ...dependency?.env } });
      assert.equal(result.code, 0, result.stderr);
      const output = JSON.parse(result.stdout) as { Mode: string; UnsealShares?: string[] };
      assert.equal(output.Mode, to);
      shares = output.UnsealShares ?? [];
    };
    const startSealed = async () => {
      const kmsd = await startKmsd({ dataDir, env: dependency?.env, args: to === "shamir" ? [] : ["--seal", to, ...(dependency?.args ?? [])] });
      if (to === "shamir") await unsealWith(kmsd.endpoint, shares.slice(0, 2));
      return kmsd;
    };

    before(async () => {
      if (to === "kms") dependency = await sealingKmsd(join(scratch, "sealing"));
      if (to === "pkcs11") dependency = softHsmToken(scratch);
      const kmsd = await startKmsd({ dataDir, dev: true });
      made = await makeThings(kmsd);
      await kmsd.stop();
    });
    after(async () => {
      await dependency?.stop?.();
      rmSync(scratch, { recursive: true, force: true });
    });

    it("seals the root key, destroys the plaintext file, and every ciphertext, signature, MAC and access key still works", async () => {
      const before = readSealRecord(dataDir);
      assert.equal(before, undefined);
      await migrate();
      assert.equal(existsSync(join(dataDir, "root.key")), false);
      assert.equal(readSealRecord(dataDir)?.mode, to);
      const kmsd = await startSealed();
      try {
        await checkThings(kmsd, made);
      } finally {
        await kmsd.stop();
      }
    });

    it("refuses a directory that is already sealed", async () => {
      const result = await runCli(["operator", "seal-migrate", "--data-dir", dataDir, "--to", to, ...(dependency?.args ?? [])], { env: { ...process.env, ...dependency?.env } });
      assert.equal(result.code, 1);
      assert.match(result.stderr, new RegExp(`already sealed \\(seal mode ${to}\\)`));
    });
  });
}

describe("a seal-migrate that stopped before destroying root.key", () => {
  const scratch = mkdtempSync(join(tmpdir(), "kmsd-migrate-unfinished-"));
  const dataDir = join(scratch, "data");
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it("is refused by serve, and finished by a rerun whose shares unseal the same keys", async () => {
    const kmsd = await startKmsd({ dataDir, dev: true });
    const made = await makeThings(kmsd);
    await kmsd.stop();
    copyFileSync(join(dataDir, "root.key"), join(scratch, "root.key.copy"));
    const first = await runCli(["operator", "seal-migrate", "--data-dir", dataDir, "--to", "shamir", "--shares", "3", "--threshold", "2", "--json"]);
    assert.equal(first.code, 0, first.stderr);
    // As if the first run had died after writing the seal file, before destroying the plaintext file.
    copyFileSync(join(scratch, "root.key.copy"), join(dataDir, "root.key"));
    const refused = await runCli(["serve", "--data-dir", dataDir, "--port", "0", "--workers", "1"]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /a seal-migrate did not finish; run it again/);
    const rerun = await runCli(["operator", "seal-migrate", "--data-dir", dataDir, "--to", "shamir", "--shares", "3", "--threshold", "2", "--json"]);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.equal(existsSync(join(dataDir, "root.key")), false);
    const shares = (JSON.parse(rerun.stdout) as { UnsealShares: string[] }).UnsealShares;
    const sealed = await startKmsd({ dataDir });
    try {
      await unsealWith(sealed.endpoint, shares.slice(1, 3));
      await checkThings(sealed, made);
    } finally {
      await sealed.stop();
    }
  });
});
