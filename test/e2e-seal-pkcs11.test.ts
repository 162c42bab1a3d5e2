/**
 * End to end: the `pkcs11` seal against SoftHSM2. The first start has the token make an
 * AES key (sensitive, not extractable) and wraps the root key under it; every start unwraps
 * it there; a wrong PIN leaves the node sealed, saying why; the PIN (from KMSD_PKCS11_PIN
 * only) appears nowhere in the log or the data directory. `.ci/run` installs SoftHSM2.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CreateKeyCommand, DecryptCommand, EncryptCommand, ListKeysCommand } from "@aws-sdk/client-kms";
import { expectAwsError, startKmsd, type Kmsd } from "./support/kmsd.ts";
import { filesUnder, health, runCli, seal, secretForms } from "./support/seal.ts";
import { readSealRecord } from "../src/seal/sealFile.ts";

const MODULE = "/usr/lib/softhsm/libsofthsm2.so";
const TOKEN = "kmsd-seal-test";
const KEY = "kmsd-root-wrap";
const PIN = "pin-4711-kmsd";

describe("pkcs11 seal through SoftHSM2", { skip: existsSync(MODULE) ? false : `SoftHSM2 is not installed (${MODULE}); .ci/run installs it` }, () => {
  const scratch = mkdtempSync(join(tmpdir(), "kmsd-seal-pkcs11-"));
  const dataDir = join(scratch, "data");
  /** SoftHSM2 reads its token directory from this file; kmsd gets it through the environment. */
  const softhsm = { SOFTHSM2_CONF: join(scratch, "softhsm2.conf") };
  const args = (workers = "1") => ["--workers", workers, "--seal", "pkcs11", "--pkcs11-module", MODULE, "--pkcs11-token-label", TOKEN, "--pkcs11-key-label", KEY];
  let kmsd: Kmsd | undefined;
  let ciphertext: Uint8Array | undefined;

  before(() => {
    mkdirSync(join(scratch, "tokens"));
    writeFileSync(softhsm.SOFTHSM2_CONF, `directories.tokendir = ${join(scratch, "tokens")}\nobjectstore.backend = file\nlog.level = ERROR\n`);
    execFileSync("softhsm2-util", ["--init-token", "--free", "--label", TOKEN, "--so-pin", "so-pin-0000", "--pin", PIN], { env: { ...process.env, ...softhsm }, stdio: "ignore" });
  });
  after(async () => {
    await kmsd?.stop();
    rmSync(scratch, { recursive: true, force: true });
  });

  it("without KMSD_PKCS11_PIN the start stops, naming the variable", async () => {
    const { code, stderr } = await runCli(["serve", "--data-dir", join(scratch, "no-pin"), "--port", "0", ...args()], { env: { ...process.env, ...softhsm, KMSD_PKCS11_PIN: "" } });
    assert.equal(code, 1);
    assert.match(stderr, /needs the token's user PIN in KMSD_PKCS11_PIN/);
  });

  it("a first start has the token make its key, wraps a new root key under it and serves", async () => {
    kmsd = await startKmsd({ dataDir, args: args(), env: { ...softhsm, KMSD_PKCS11_PIN: PIN } });
    assert.equal((await health(kmsd.endpoint)).status, 200);
    const record = readSealRecord(dataDir);
    assert.deepEqual(record?.mode === "pkcs11" ? [record.tokenLabel, record.keyLabel] : undefined, [TOKEN, KEY]);
    assert.deepEqual(filesUnder(dataDir).filter(({ path }) => path.endsWith("root.key")), []);
    const kms = kmsd.kms();
    const keyId = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId;
    ciphertext = (await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("in the token's care") }))).CiphertextBlob;
  });

  it("the token's key never leaves it: sensitive and not extractable", async () => {
    const { default: binding } = (await import("pkcs11js")) as unknown as { default: typeof import("pkcs11js") };
    const previous = process.env.SOFTHSM2_CONF;
    process.env.SOFTHSM2_CONF = softhsm.SOFTHSM2_CONF;
    const pkcs11 = new binding.PKCS11();
    pkcs11.load(MODULE);
    pkcs11.C_Initialize();
    try {
      const slot = pkcs11.C_GetSlotList(true).find((candidate) => pkcs11.C_GetTokenInfo(candidate).label.trim() === TOKEN);
      assert.ok(slot);
      const session = pkcs11.C_OpenSession(slot, binding.CKF_SERIAL_SESSION);
      pkcs11.C_Login(session, binding.CKU_USER, PIN);
      pkcs11.C_FindObjectsInit(session, [{ type: binding.CKA_LABEL, value: KEY }]);
      const [key] = pkcs11.C_FindObjects(session, 2);
      pkcs11.C_FindObjectsFinal(session);
      assert.ok(key, "the token holds the key");
      const [sensitive, extractable] = pkcs11.C_GetAttributeValue(session, key, [{ type: binding.CKA_SENSITIVE }, { type: binding.CKA_EXTRACTABLE }]);
      assert.deepEqual([sensitive?.value, extractable?.value], [Buffer.from([1]), Buffer.from([0])]);
      assert.throws(() => pkcs11.C_GetAttributeValue(session, key, [{ type: binding.CKA_VALUE }]), /CKR_ATTRIBUTE_SENSITIVE/);
      pkcs11.C_Logout(session);
      pkcs11.C_CloseSession(session);
    } finally {
      pkcs11.C_Finalize();
      if (previous === undefined) delete process.env.SOFTHSM2_CONF;
      else process.env.SOFTHSM2_CONF = previous;
    }
  });

  it("a restart unwraps the root key in the token again, with --workers too, and old ciphertexts decrypt", async () => {
    await kmsd?.stop();
    kmsd = await startKmsd({ dataDir, args: args("2"), env: { ...softhsm, KMSD_PKCS11_PIN: PIN } });
    const kms = kmsd.kms();
    for (let i = 0; i < 6; i++) {
      assert.equal(Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob: ciphertext }))).Plaintext ?? []).toString(), "in the token's care");
    }
  });

  it("operator seal seals it until the next start", async () => {
    assert.ok(kmsd);
    const sealed = await seal(kmsd.endpoint, kmsd.credentials);
    assert.equal(sealed.code, 0, sealed.stderr);
    await expectAwsError(kmsd.kms().send(new ListKeysCommand({})), "ServiceUnavailableException");
  });

  it("a wrong PIN leaves the node sealed, saying why", async () => {
    await kmsd?.stop();
    kmsd = await startKmsd({ dataDir, args: args(), env: { ...softhsm, KMSD_PKCS11_PIN: "not-the-pin" } });
    const answer = await health(kmsd.endpoint);
    assert.equal(answer.status, 503);
    assert.match(String(answer.body.reason), /^auto-unseal through pkcs11 failed: .*CKR_PIN_INCORRECT/);
    await expectAwsError(kmsd.kms().send(new ListKeysCommand({})), "ServiceUnavailableException");
  });

  it("the PIN appears nowhere in the log or the data directory", async () => {
    await kmsd?.stop();
    const places = [...filesUnder(dataDir), { path: "the log", bytes: Buffer.from(kmsd?.stderr() ?? "") }];
    for (const { path, bytes } of places) {
      for (const form of secretForms(Buffer.from(PIN))) assert.equal(bytes.indexOf(form), -1, `the PIN is in ${path}`);
    }
  });
});
