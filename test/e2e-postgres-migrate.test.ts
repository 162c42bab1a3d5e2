/**
 * End to end: `kmsd migrate --from DATA_DIR --to postgres://...` moves a SQLite deployment
 * into PostgreSQL. Everything made before the move is there after it, served by a node on
 * the database: every ciphertext decrypts (under every material version of a rotated key),
 * aliases, grants, tags, rotation schedules, a second account and the audit chain (which
 * `kmsd audit verify --database` finds intact, with the events recorded after the move
 * appended to it).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  CreateAliasCommand,
  CreateGrantCommand,
  CreateKeyCommand,
  DecryptCommand,
  EnableKeyRotationCommand,
  EncryptCommand,
  GetKeyRotationStatusCommand,
  ListAliasesCommand,
  ListGrantsCommand,
  ListKeyRotationsCommand,
  ListResourceTagsCommand,
  RotateKeyOnDemandCommand,
  SignCommand,
  VerifyCommand,
} from "@aws-sdk/client-kms";
import { createAccount, credentialsOf, runKmsdCli, startKmsd } from "./support/kmsd.ts";
import { freshDatabase } from "./support/postgres.ts";

describe("kmsd migrate", () => {
  it("copies a SQLite deployment into an empty PostgreSQL database: every ciphertext made before decrypts after, and everything else is kept", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "kmsd-migrate-"));
    const database = await freshDatabase();
    try {
      // Before: a SQLite deployment with a bit of everything.
      const before = await startKmsd({ dataDir });
      const kms = before.kms();
      const ciphertexts: Array<{ blob: Uint8Array; text: string }> = [];
      const rotated = (await kms.send(new CreateKeyCommand({ Tags: [{ TagKey: "team", TagValue: "payments" }] }))).KeyMetadata?.KeyId as string;
      await kms.send(new EnableKeyRotationCommand({ KeyId: rotated, RotationPeriodInDays: 180 }));
      for (let version = 0; version < 3; version++) {
        const text = `under material ${version}`;
        ciphertexts.push({ blob: (await kms.send(new EncryptCommand({ KeyId: rotated, Plaintext: Buffer.from(text) }))).CiphertextBlob as Uint8Array, text });
        if (version < 2) await kms.send(new RotateKeyOnDemandCommand({ KeyId: rotated }));
      }
      await kms.send(new CreateAliasCommand({ AliasName: "alias/payments", TargetKeyId: rotated }));
      const { GrantId } = await kms.send(
        new CreateGrantCommand({ KeyId: rotated, GranteePrincipal: `arn:aws:iam::${before.accountId}:root`, Operations: ["Decrypt"] }),
      );
      const signing = (await kms.send(new CreateKeyCommand({ KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY" }))).KeyMetadata?.KeyId as string;
      const message = Buffer.from("signed before the move");
      const { Signature } = await kms.send(new SignCommand({ KeyId: signing, Message: message, SigningAlgorithm: "ECDSA_SHA_256" }));
      const other = await createAccount(dataDir);
      await before.stop();

      const migrated = await runKmsdCli(["migrate", "--from", dataDir, "--to", database]);
      assert.equal(migrated.code, 0, `${migrated.stdout}\n${migrated.stderr}`);
      assert.match(migrated.stdout, /audit verify on the target: intact/);
      assert.doesNotMatch(migrated.stdout, /MISMATCH/);

      // After: a node on the database, with the same data directory (its root key).
      const after = await startKmsd({ dataDir, args: ["--database", database] });
      try {
        const kmsAfter = after.kms();
        for (const { blob, text } of ciphertexts) {
          const { Plaintext } = await kmsAfter.send(new DecryptCommand({ CiphertextBlob: blob }));
          assert.equal(Buffer.from(Plaintext as Uint8Array).toString(), text);
        }
        const verified = await kmsAfter.send(new VerifyCommand({ KeyId: signing, Message: message, Signature, SigningAlgorithm: "ECDSA_SHA_256" }));
        assert.equal(verified.SignatureValid, true);
        assert.equal(((await kmsAfter.send(new ListKeyRotationsCommand({ KeyId: rotated }))).Rotations ?? []).length, 2);
        const rotation = await kmsAfter.send(new GetKeyRotationStatusCommand({ KeyId: rotated }));
        assert.deepEqual([rotation.KeyRotationEnabled, rotation.RotationPeriodInDays], [true, 180]);
        assert.deepEqual((await kmsAfter.send(new ListResourceTagsCommand({ KeyId: rotated }))).Tags, [{ TagKey: "team", TagValue: "payments" }]);
        const aliases = (await kmsAfter.send(new ListAliasesCommand({}))).Aliases ?? [];
        assert.equal(aliases.find((alias) => alias.AliasName === "alias/payments")?.TargetKeyId, rotated);
        assert.deepEqual(((await kmsAfter.send(new ListGrantsCommand({ KeyId: rotated }))).Grants ?? []).map((grant) => grant.GrantId), [GrantId]);
        // The other account's root key still signs in, and new keys go on after the copied ones.
        const otherKms = after.kms({ credentials: credentialsOf(other) });
        assert.equal((await otherKms.send(new CreateKeyCommand({}))).KeyMetadata?.AWSAccountId, other.AccountId);
      } finally {
        await after.stop();
      }
      const verify = await runKmsdCli(["audit", "verify", "--data-dir", dataDir, "--database", database]);
      assert.equal(verify.code, 0, `${verify.stdout}\n${verify.stderr}`);

      // A second migrate into the now used database is refused and changes nothing.
      const again = await runKmsdCli(["migrate", "--from", dataDir, "--to", database]);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /not empty/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
