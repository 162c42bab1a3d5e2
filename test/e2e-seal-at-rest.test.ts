/**
 * End to end: a sealed data directory holds nothing from which its root key can be read.
 * A node sealed by shares creates keys of every kind and encrypts, then stops; with the
 * data directory alone (every file, and every base64 text inside one decoded) no 32-byte
 * sequence unwraps the database's root key check, the root key itself (rebuilt from the
 * shares as the test's oracle) appears nowhere in any form, and kmsd's own offline commands
 * refuse the directory rather than look for a key.
 */
import assert from "node:assert/strict";
import { createDecipheriv } from "node:crypto";
import { rmSync } from "node:fs";
import { join, dirname } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, before, describe, it } from "node:test";
import { CreateKeyCommand, EncryptCommand } from "@aws-sdk/client-kms";
import { runKmsdCli, startKmsd, type Kmsd } from "./support/kmsd.ts";
import { filesUnder, initShamir, rootKeyFromShares, secretForms, unsealWith, type InitOutput } from "./support/seal.ts";

/**
 * Whether `candidate` is the key of the root key check: its wrap is AES-256-GCM (format
 * byte, 12-byte IV, ciphertext, 16-byte tag; src/crypto/rootKey.ts) of a text anyone can
 * read in kmsd's source, so, as an attacker would, the ciphertext is decrypted as GCM's
 * counter mode does (counter 2 onwards) and compared with that text: no tag check, no
 * exception per wrong key, a few microseconds per candidate.
 */
function unwrapsCheck(candidate: Buffer, check: Buffer): boolean {
  const counter = Buffer.concat([check.subarray(1, 13), Buffer.from([0, 0, 0, 2])]);
  const decipher = createDecipheriv("aes-256-ctr", candidate, counter);
  return decipher.update(check.subarray(13, check.length - 16)).toString("latin1") === "kmsd root key check v1";
}

/** The bytes of a data directory as an attacker holding a copy of it sees them: each file, and each base64 text in one, decoded. */
function bytesAtRest(dataDir: string): Array<{ path: string; bytes: Buffer }> {
  const files = filesUnder(dataDir);
  const decoded = files.flatMap(({ path, bytes }) =>
    [...bytes.toString("latin1").matchAll(/[A-Za-z0-9+/_-]{43,}={0,2}/g)].map((match) => ({ path: `${path} (base64 at ${match.index})`, bytes: Buffer.from(match[0], "base64") })),
  );
  return [...files, ...decoded];
}

describe("a data directory sealed by shares, alone, decrypts nothing", () => {
  let dataDir: string;
  let init: InitOutput;
  let kmsd: Kmsd;
  let rootKey: Buffer;

  before(async () => {
    ({ dataDir, init } = await initShamir(3, 2));
    kmsd = await startKmsd({ dataDir });
    await unsealWith(kmsd.endpoint, init.UnsealShares.slice(0, 2));
    const kms = kmsd.kms();
    for (const spec of [{}, { KeySpec: "RSA_2048", KeyUsage: "ENCRYPT_DECRYPT" }, { KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY" }, { KeySpec: "HMAC_256", KeyUsage: "GENERATE_VERIFY_MAC" }] as const) {
      await kms.send(new CreateKeyCommand(spec));
    }
    const keyId = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId;
    await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("at rest") }));
    await kmsd.stop();
    rootKey = await rootKeyFromShares(dataDir, init.UnsealShares.slice(1, 3));
  });
  after(() => rmSync(dirname(dataDir), { recursive: true, force: true }));

  it("has no plaintext root key file", () => {
    assert.deepEqual(filesUnder(dataDir).filter(({ path }) => path.endsWith("root.key")), []);
  });

  it("holds the root key in no form: raw, base64 or hex, in any file or decoded base64 text", () => {
    for (const { path, bytes } of bytesAtRest(dataDir)) {
      for (const form of secretForms(rootKey)) assert.equal(bytes.indexOf(form), -1, `the root key is in ${path}`);
    }
  });

  it("holds no share, in any form", () => {
    for (const share of init.UnsealShares) {
      for (const { path, bytes } of bytesAtRest(dataDir)) {
        for (const form of secretForms(Buffer.from(share, "base64"))) assert.equal(bytes.indexOf(form), -1, `a share is in ${path}`);
      }
    }
  });

  it("no 32-byte sequence in it unwraps what the root key wraps (the root key itself does)", () => {
    const db = new DatabaseSync(join(dataDir, "kmsd.db"), { readOnly: true });
    const row = db.prepare("SELECT value FROM settings WHERE name = 'root_key_check'").get() as { value: string } | undefined;
    db.close();
    assert.ok(row, "the database has a root key check");
    const check = Buffer.from(row.value, "base64");
    assert.ok(unwrapsCheck(rootKey, check), "the oracle's root key unwraps it");
    let tried = 0;
    // The key hierarchy's files (the database, the seal file, the credentials). The audit
    // trail's megabytes are searched for the root key by value above, which is the same
    // question at a fraction of the cost.
    for (const { path, bytes } of bytesAtRest(dataDir).filter(({ path }) => !/\/audit(\.db|\/)/.test(path))) {
      for (let offset = 0; offset + 32 <= bytes.length; offset++) {
        tried++;
        assert.ok(!unwrapsCheck(bytes.subarray(offset, offset + 32), check), `${path} at ${offset} holds the root key`);
      }
    }
    assert.ok(tried > 100_000, `${tried} sequences tried`);
  });

  it("kmsd's offline commands refuse it, naming its seal", async () => {
    const { code, stderr } = await runKmsdCli(["account", "create", "--data-dir", dataDir, "--json"]);
    assert.equal(code, 1);
    assert.match(stderr, /is sealed \(seal mode shamir\)/);
  });
});
