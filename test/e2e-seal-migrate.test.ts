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
import { CreateAccessKeyCommand, CreateUserCommand, PutUserPolicyCommand } from "@aws-sdk/client-iam";
import { CreateKeyCommand, DecryptCommand, EncryptCommand, GenerateMacCommand, ListKeysCommand, SignCommand, VerifyCommand, VerifyMacCommand } from "@aws-sdk/client-kms";
import { iamClient } from "./support/audit.ts";
import { startKmsd, type Credentials, type Kmsd } from "./support/kmsd.ts";
import { runCli, sealingKmsd, softHsmToken, SOFTHSM_MODULE, unsealWith, type SealingDependency } from "./support/seal.ts";
import { readSealRecord } from "../src/seal/sealFile.ts";

/** What a file-mode node made before the migration, to be checked after it. */
interface Made {
  ciphertexts: Array<{ ciphertext: Uint8Array; plaintext: string; keyId?: string; algorithm?: "RSAES_OAEP_SHA_256" }>;
  signature: { keyId: string; message: Buffer; signature: Uint8Array };
  mac: { keyId: string; message: Buffer; mac: Uint8Array };
  user: Credentials;
}

async function makeThings(kmsd: Kmsd): Promise<Made> {
  const kms = kmsd.kms();
  const symmetric = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId ?? "";
  const rsa = (await kms.send(new CreateKeyCommand({ KeySpec: "RSA_2048", KeyUsage: "ENCRYPT_DECRYPT" }))).KeyMetadata?.KeyId ?? "";
  const signing = (await kms.send(new CreateKeyCommand({ KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY" }))).KeyMetadata?.KeyId ?? "";
  const hmac = (await kms.send(new CreateKeyCommand({ KeySpec: "HMAC_256", KeyUsage: "GENERATE_VERIFY_MAC" }))).KeyMetadata?.KeyId ?? "";
  const ciphertexts: Made["ciphertexts"] = [];
  for (let i = 0; i < 5; i++) {
    const plaintext = `before the migration ${i}`;
    ciphertexts.push({ plaintext, ciphertext: (await kms.send(new EncryptCommand({ KeyId: symmetric, Plaintext: Buffer.from(plaintext) }))).CiphertextBlob ?? new Uint8Array() });
  }
  ciphertexts.push({
    plaintext: "rsa",
    keyId: rsa,
    algorithm: "RSAES_OAEP_SHA_256",
    ciphertext: (await kms.send(new EncryptCommand({ KeyId: rsa, Plaintext: Buffer.from("rsa"), EncryptionAlgorithm: "RSAES_OAEP_SHA_256" }))).CiphertextBlob ?? new Uint8Array(),
  });
  const message = Buffer.from("signed before");
  const signature = (await kms.send(new SignCommand({ KeyId: signing, Message: message, SigningAlgorithm: "ECDSA_SHA_256" }))).Signature ?? new Uint8Array();
  const mac = (await kms.send(new GenerateMacCommand({ KeyId: hmac, Message: message, MacAlgorithm: "HMAC_SHA_256" }))).Mac ?? new Uint8Array();
  const iam = iamClient(kmsd);
  await iam.send(new CreateUserCommand({ UserName: "migrant" }));
  await iam.send(new PutUserPolicyCommand({ UserName: "migrant", PolicyName: "kms", PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "kms:*", Resource: "*" }] }) }));
  const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: "migrant" }));
  return {
    ciphertexts,
    signature: { keyId: signing, message, signature },
    mac: { keyId: hmac, message, mac },
    user: { accessKeyId: AccessKey?.AccessKeyId ?? "", secretAccessKey: AccessKey?.SecretAccessKey ?? "" },
  };
}

async function checkThings(kmsd: Kmsd, made: Made): Promise<void> {
  const kms = kmsd.kms();
  for (const { ciphertext, plaintext, keyId, algorithm } of made.ciphertexts) {
    const decrypted = await kms.send(new DecryptCommand({ CiphertextBlob: ciphertext, KeyId: keyId, EncryptionAlgorithm: algorithm }));
    assert.equal(Buffer.from(decrypted.Plaintext ?? []).toString(), plaintext);
  }
  const verified = await kms.send(new VerifyCommand({ KeyId: made.signature.keyId, Message: made.signature.message, Signature: made.signature.signature, SigningAlgorithm: "ECDSA_SHA_256" }));
  assert.equal(verified.SignatureValid, true);
  const macValid = await kms.send(new VerifyMacCommand({ KeyId: made.mac.keyId, Message: made.mac.message, Mac: made.mac.mac, MacAlgorithm: "HMAC_SHA_256" }));
  assert.equal(macValid.MacValid, true);
  assert.ok((await kmsd.kms({ credentials: made.user }).send(new ListKeysCommand({}))).Keys?.length);
}

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
