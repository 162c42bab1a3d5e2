/**
 * End to end: two shamir-sealed nodes on one PostgreSQL database, each with its own data
 * directory (the seal file and credentials file copied from the one `kmsd operator init
 * --database` made). Both start sealed; each is unsealed on its own, with its own
 * progress: a wrong share refused by one does not touch the other's. Once both serve, a key
 * made on one is used on the other; sealing one leaves the other serving.
 */
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { CreateKeyCommand, DecryptCommand, EncryptCommand } from "@aws-sdk/client-kms";
import { expectAwsError, startKmsd, type Kmsd } from "./support/kmsd.ts";
import { freshDatabase } from "./support/postgres.ts";
import { health, runCli, seal, unseal, unsealWith, type InitOutput } from "./support/seal.ts";

describe("two shamir-sealed nodes on one PostgreSQL database", () => {
  it("start sealed, are unsealed each on its own, and then serve each other's keys", async () => {
    const database = await freshDatabase();
    const scratch = mkdtempSync(join(tmpdir(), "kmsd-seal-pg-"));
    const [dirA, dirB] = [join(scratch, "a"), join(scratch, "b")];
    const nodes: Kmsd[] = [];
    try {
      const created = await runCli(["operator", "init", "--data-dir", dirA, "--database", database, "--shares", "3", "--threshold", "2", "--json"]);
      assert.equal(created.code, 0, created.stderr);
      const init = JSON.parse(created.stdout) as InitOutput;
      const shares = init.UnsealShares;
      mkdirSync(dirB, { mode: 0o700 });
      for (const name of ["seal.json", "credentials"]) copyFileSync(join(dirA, name), join(dirB, name));

      nodes.push(await startKmsd({ dataDir: dirA, args: ["--database", database] }));
      nodes.push(await startKmsd({ dataDir: dirB, args: ["--database", database] }));
      const [a, b] = nodes as [Kmsd, Kmsd];
      for (const node of [a, b]) {
        const answer = await health(node.endpoint);
        assert.equal(answer.status, 503);
        assert.equal(answer.body.sealed, true);
        await expectAwsError(node.kms().send(new CreateKeyCommand({})), "ServiceUnavailableException");
      }

      // A's progress is its own: B refusing a wrong share (and resetting B's progress) leaves it alone.
      assert.equal((await unseal(a.endpoint, shares[0] ?? "")).status?.Progress, 1);
      assert.equal((await unseal(b.endpoint, shares[1] ?? "")).status?.Progress, 1);
      const wrong = Buffer.from(shares[2] ?? "", "base64");
      wrong[25] = (wrong[25] ?? 0) ^ 0x01;
      const refused = await unseal(b.endpoint, wrong.toString("base64"));
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /not one of this node's unseal shares/);
      assert.equal((await health(b.endpoint)).body.progress, 0);
      assert.equal((await health(a.endpoint)).body.progress, 1);
      const unsealedA = await unseal(a.endpoint, shares[2] ?? "");
      assert.equal(unsealedA.status?.Sealed, false);
      assert.equal((await health(a.endpoint)).status, 200);
      assert.equal((await health(b.endpoint)).status, 503, "B stays sealed until its own shares arrive");

      await unsealWith(b.endpoint, [shares[1] ?? "", shares[0] ?? ""]);
      assert.equal((await health(b.endpoint)).status, 200);

      // A key made on A is used on B, and the other way round.
      const onA = (await a.kms().send(new CreateKeyCommand({ Description: "made on A" }))).KeyMetadata?.KeyId ?? "";
      const fromB = await b.kms().send(new EncryptCommand({ KeyId: onA, Plaintext: Buffer.from("encrypted on B") }));
      assert.equal(Buffer.from((await a.kms().send(new DecryptCommand({ CiphertextBlob: fromB.CiphertextBlob }))).Plaintext ?? []).toString(), "encrypted on B");
      const onB = (await b.kms().send(new CreateKeyCommand({ Description: "made on B" }))).KeyMetadata?.KeyId ?? "";
      const fromA = await a.kms().send(new EncryptCommand({ KeyId: onB, Plaintext: Buffer.from("encrypted on A") }));
      assert.equal(Buffer.from((await b.kms().send(new DecryptCommand({ CiphertextBlob: fromA.CiphertextBlob }))).Plaintext ?? []).toString(), "encrypted on A");

      // Sealing A leaves B serving.
      assert.equal((await seal(a.endpoint, a.credentials)).code, 0);
      assert.equal((await health(a.endpoint)).status, 503);
      await expectAwsError(a.kms().send(new DecryptCommand({ CiphertextBlob: fromA.CiphertextBlob })), "ServiceUnavailableException");
      assert.equal(Buffer.from((await b.kms().send(new DecryptCommand({ CiphertextBlob: fromA.CiphertextBlob }))).Plaintext ?? []).toString(), "encrypted on A");
    } finally {
      for (const node of nodes) await node.stop();
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
