/**
 * End to end: `kmsd operator rotate-root` (offline) on data directories sealed by another
 * kmsd (the `kms` mode) and by a SoftHSM2 token (the `pkcs11` mode). The next root key is
 * sealed by the same KMS key or token key, the seal file ends up holding it alone, the node
 * auto-unseals with it, and everything made before decrypts, verifies and signs.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { startKmsd } from "./support/kmsd.ts";
import { runCli, sealingKmsd, softHsmToken, SOFTHSM_MODULE, type SealingDependency } from "./support/seal.ts";
import { checkThings, makeThings } from "./support/sealedThings.ts";

/** A seal mode under test: how its node starts, and which of its flags rotate-root takes. */
interface Case {
  mode: "kms" | "pkcs11";
  dependency(scratch: string): Promise<SealingDependency & { stop?(): Promise<void> }>;
  /** rotate-root takes the flags that reach the service or token, not those that name the key (the seal file does). */
  rotateArgs(dependency: SealingDependency): string[];
}

const cases: Case[] = [
  // sealingKmsd's flags: --seal-key-id ARN, then --seal-endpoint and --seal-region.
  { mode: "kms", dependency: (scratch) => sealingKmsd(join(scratch, "sealing")), rotateArgs: (d) => d.args.slice(2) },
  // softHsmToken's flags: --pkcs11-module PATH, then the token's and key's labels.
  { mode: "pkcs11", dependency: async (scratch) => softHsmToken(scratch), rotateArgs: (d) => d.args.slice(0, 2) },
];

for (const { mode, dependency, rotateArgs } of cases) {
  const skip = mode === "pkcs11" && !statSync(SOFTHSM_MODULE, { throwIfNoEntry: false }) ? "SoftHSM2 is not installed; .ci/run installs it" : false;
  describe(`operator rotate-root on a data directory sealed in the ${mode} mode`, { skip }, () => {
    it("seals the new root key the same way; the node auto-unseals with it and everything made before still works", async () => {
      const scratch = mkdtempSync(join(tmpdir(), `kmsd-rotate-${mode}-`));
      const dataDir = join(scratch, "data");
      const sealing = await dependency(scratch);
      const start = () => startKmsd({ dataDir, env: sealing.env, args: ["--seal", mode, ...sealing.args] });
      try {
        let node = await start();
        const made = await makeThings(node);
        await node.stop();
        const rootKeyBefore = (await sealing.secrets(dataDir)).get("root key");
        const sealBefore = readFileSync(join(dataDir, "seal.json"), "utf8");

        const rotated = await runCli(["operator", "rotate-root", "--data-dir", dataDir, ...rotateArgs(sealing), "--json"], { env: { ...process.env, ...sealing.env } });
        assert.equal(rotated.code, 0, rotated.stderr);
        assert.equal((JSON.parse(rotated.stdout) as { RootKeyGeneration: number }).RootKeyGeneration, 2);
        const sealAfter = JSON.parse(readFileSync(join(dataDir, "seal.json"), "utf8")) as { seal: { mode: string }; next?: unknown };
        assert.equal(sealAfter.seal.mode, mode);
        assert.equal(sealAfter.next, undefined);
        assert.notEqual(JSON.stringify(sealAfter), JSON.stringify(JSON.parse(sealBefore)));
        const rootKeyAfter = (await sealing.secrets(dataDir)).get("root key");
        assert.ok(rootKeyBefore && rootKeyAfter);
        assert.equal(rootKeyAfter.equals(rootKeyBefore), false, "a new root key");

        node = await start();
        try {
          await checkThings(node, made);
        } finally {
          await node.stop();
        }
      } finally {
        await sealing.stop?.();
        rmSync(scratch, { recursive: true, force: true });
      }
    });
  });
}
