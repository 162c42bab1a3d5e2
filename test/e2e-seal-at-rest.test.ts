/**
 * End to end: a sealed data directory holds nothing from which its root key can be read,
 * in every sealed mode (shamir, kms, pkcs11). A node creates keys of every kind and
 * encrypts, then stops. The root key (obtained from the shares, the sealing service or the
 * token, as the test's oracle) is checked to be the one the database was written with, and
 * then neither it nor what unseals it is found, in any form, in the data directory alone
 * (every file, and every base64 text inside one decoded). kmsd's own offline commands refuse the directory rather than look for a key.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, before, describe, it } from "node:test";
import { CreateKeyCommand, EncryptCommand } from "@aws-sdk/client-kms";
import { WrappingKey } from "../src/crypto/rootKey.ts";
import { rootKeyCheckValue } from "../src/seal/rootKeyCheck.ts";
import { runKmsdCli } from "./support/kmsd.ts";
import { filesUnder, sealUnderTest, secretForms, SOFTHSM_MODULE, type SealUnderTest } from "./support/seal.ts";

/** Whether `candidate` is the root key the database's check value was made with (src/seal/rootKeyCheck.ts). */
function matchesCheck(candidate: Buffer, check: string): boolean {
  return rootKeyCheckValue(WrappingKey.adopt(Buffer.from(candidate))) === check;
}

/** The bytes of a data directory as an attacker holding a copy of it sees them: each file, and each base64 text in one, decoded. */
function bytesAtRest(dataDir: string): Array<{ path: string; bytes: Buffer }> {
  const files = filesUnder(dataDir);
  const decoded = files.flatMap(({ path, bytes }) =>
    [...bytes.toString("latin1").matchAll(/[A-Za-z0-9+/_-]{43,}={0,2}/g)].map((match) => ({ path: `${path} (base64 at ${match.index})`, bytes: Buffer.from(match[0], "base64") })),
  );
  return [...files, ...decoded];
}

for (const mode of ["shamir", "kms", "pkcs11"] as const) {
  const skip = mode === "pkcs11" && !existsSync(SOFTHSM_MODULE) ? "SoftHSM2 is not installed; .ci/run installs it" : false;
  describe(`a data directory sealed by ${mode}, alone, decrypts nothing`, { skip }, () => {
    let seal: SealUnderTest;
    let secrets: Map<string, Buffer>;
    let rootKey: Buffer;

    before(async () => {
      seal = await sealUnderTest(mode);
      const kmsd = await seal.start();
      const kms = kmsd.kms();
      for (const spec of [{}, { KeySpec: "RSA_2048", KeyUsage: "ENCRYPT_DECRYPT" }, { KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY" }, { KeySpec: "HMAC_256", KeyUsage: "GENERATE_VERIFY_MAC" }] as const) {
        await kms.send(new CreateKeyCommand(spec));
      }
      const keyId = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId;
      await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("at rest") }));
      await kmsd.stop();
      secrets = await seal.secrets();
      rootKey = secrets.get("root key") ?? Buffer.alloc(0);
      assert.equal(rootKey.length, 32);
    });
    after(() => seal.dispose());

    it("has no plaintext root key file", () => {
      assert.deepEqual(filesUnder(seal.dataDir).filter(({ path }) => path.endsWith("root.key")), []);
    });

    it("holds none of the seal's secrets (the root key, and what unseals it) in any form, in any file or decoded base64 text", () => {
      for (const { path, bytes } of bytesAtRest(seal.dataDir)) {
        for (const [name, secret] of secrets) {
          for (const form of secretForms(secret)) assert.equal(bytes.indexOf(form), -1, `${name} is in ${path}`);
        }
      }
    });

    it("the root key (the oracle) matches the database's root key check, and no 32-byte sequence of the directory is the root key", () => {
      const db = new DatabaseSync(join(seal.dataDir, "kmsd.db"), { readOnly: true });
      const row = db.prepare("SELECT value FROM settings WHERE name = 'root_key_check'").get() as { value: string } | undefined;
      db.close();
      assert.ok(row, "the database has a root key check");
      assert.ok(matchesCheck(rootKey, row.value), "the oracle is the key the database was written with");
      // Trying every 32-byte sequence as the key against the check (what an attacker would
      // do) asks the same question as searching for the key itself, at node:crypto's
      // per-key cost (tens of microseconds, minutes per mode); the search answers it exactly.
      for (const { path, bytes } of bytesAtRest(seal.dataDir)) assert.equal(bytes.indexOf(rootKey), -1, `the root key is in ${path}`);
    });

    it("kmsd's offline commands that need the root key refuse it, naming its seal", async () => {
      for (const command of [["account", "create", "--json"], ["audit", "export"]]) {
        const { code, stderr } = await runKmsdCli([...command, "--data-dir", seal.dataDir]);
        assert.equal(code, 1, command.join(" "));
        assert.match(stderr, new RegExp(`is sealed \\(seal mode ${mode}\\): its root key is not on disk`));
      }
    });
  });
}
