/**
 * End to end: no secret ever reaches the audit trail. Known secrets go through every
 * operation that carries one (plaintexts, data keys, data key pairs' private keys, MACs,
 * signatures and messages, import tokens and wrapped material, shared secrets, secret access
 * keys, session tokens), including requests that fail validation or authentication; then
 * audit.db (and its WAL), the delivered log and digest files and an exported copy are
 * searched, raw and gunzipped, for each secret's bytes, base64 and hex forms, and so is
 * everything the server logged. Once in every seal mode (file, shamir, kms, pkcs11), whose
 * own secrets (the root key, and the shares, credentials or PIN) must not appear either,
 * nor those of the operator commands run on it (seal, a refused share, unseal, an online
 * root key rotation and its new root key, a rekey and its new shares), whose events the
 * trail must hold.
 */
import assert from "node:assert/strict";
import { constants, createECDH, createPublicKey, publicEncrypt, randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import { CreateAccessKeyCommand, CreateRoleCommand, CreateUserCommand, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import {
  CreateKeyCommand,
  DecryptCommand,
  DeriveSharedSecretCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateDataKeyPairCommand,
  GenerateDataKeyPairWithoutPlaintextCommand,
  GenerateDataKeyWithoutPlaintextCommand,
  GenerateMacCommand,
  GenerateRandomCommand,
  GetParametersForImportCommand,
  GetPublicKeyCommand,
  ImportKeyMaterialCommand,
  ListKeysCommand,
  ReEncryptCommand,
  SignCommand,
  VerifyCommand,
  VerifyMacCommand,
  type KMSClient,
} from "@aws-sdk/client-kms";
import { AssumeRoleCommand } from "@aws-sdk/client-sts";
import { CloudTrailClient, LookupEventsCommand } from "@aws-sdk/client-cloudtrail";
import { iamClient, stsClient } from "./support/audit.ts";
import { expectAwsError, runKmsdCli, type Kmsd } from "./support/kmsd.ts";
import { rekey, rotateRootOnline, seal as sealNode, sealUnderTest, SOFTHSM_MODULE, unseal, unsealWith, type SealUnderTest } from "./support/seal.ts";

for (const mode of ["file", "shamir", "kms", "pkcs11"] as const) {
  const skip = mode === "pkcs11" && !statSync(SOFTHSM_MODULE, { throwIfNoEntry: false }) ? "SoftHSM2 is not installed; .ci/run installs it" : false;
  describe(`audit trail: no secret is ever recorded (seal mode ${mode})`, { skip }, () => {
    let kmsd: Kmsd;
    let kms: KMSClient;
    const exportDir = mkdtempSync(join(tmpdir(), "kmsd-audit-export-"));
    let seal: SealUnderTest;
    /** Every secret sent or received, by what it is. */
    const secrets = new Map<string, Buffer>();
    const keep = (name: string, value: Uint8Array | string | undefined) => {
      if (value === undefined || value.length === 0) throw new Error(`${name}: nothing to remember`);
      secrets.set(name, Buffer.from(value));
    };

    before(async () => {
      // The seal's own secrets (its root key, and the shares, credentials or PIN that unseal it) are secrets too.
      seal = await sealUnderTest(mode);
      kmsd = await seal.start({ dev: true });
      for (const [name, secret] of await seal.secrets()) keep(name, secret);
      const shares = [secrets.get("unseal share 1"), secrets.get("unseal share 2")].filter((share) => share !== undefined);
      if (shares.length > 0) {
        // The operator commands too: sealed by the root, a refused share (logged as refused,
        // never by value), unsealed again.
        assert.equal((await sealNode(kmsd.endpoint, kmsd.credentials)).code, 0);
        const altered = Buffer.from(shares[0] ?? []);
        altered[30] = (altered[30] ?? 0) ^ 0xff;
        keep("refused unseal share", altered);
        assert.equal((await unseal(kmsd.endpoint, altered.toString("base64"))).code, 1);
        await unsealWith(kmsd.endpoint, shares.map((share) => share.toString("base64")));
      }
      // An online root key rotation: its new root key is a secret too.
      const rotated = await rotateRootOnline(kmsd.endpoint, kmsd.credentials, shares.map((share) => share.toString("base64")));
      assert.equal(rotated.code, 0, rotated.stderr);
      for (const [name, secret] of await seal.secrets()) keep(`${name} after the rotation`, secret);
      if (shares.length > 0) {
        // A rekey: new shares, shown once; sealed again, the old shares are refused and the new ones unseal.
        const rekeyed = await rekey(kmsd.endpoint, kmsd.credentials, shares.map((share) => share.toString("base64")), 3, 2);
        assert.equal(rekeyed.code, 0, rekeyed.stderr);
        const newShares = rekeyed.output?.UnsealShares ?? [];
        newShares.forEach((share, index) => keep(`rekeyed unseal share ${index + 1}`, Buffer.from(share, "base64")));
        assert.equal((await sealNode(kmsd.endpoint, kmsd.credentials)).code, 0);
        assert.equal((await unseal(kmsd.endpoint, shares[0]?.toString("base64") ?? "")).code, 1);
        await unsealWith(kmsd.endpoint, newShares.slice(1, 3));
      }
      kms = kmsd.kms();
    });
    after(async () => {
      await kmsd.stop();
      await seal.dispose();
      rmSync(exportDir, { recursive: true, force: true });
    });

    const newKey = async (input: ConstructorParameters<typeof CreateKeyCommand>[0] = {}) => (await kms.send(new CreateKeyCommand(input))).KeyMetadata?.Arn ?? "";

    it("sends secrets through every operation that carries one", async () => {
      const symmetric = await newKey();
      const plaintext = randomBytes(64);
      keep("Encrypt plaintext", plaintext);
      const encrypted = await kms.send(new EncryptCommand({ KeyId: symmetric, Plaintext: plaintext, EncryptionContext: { purpose: "audit" } }));
      keep("Encrypt ciphertext", encrypted.CiphertextBlob);
      await kms.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, EncryptionContext: { purpose: "audit" } }));
      const reencrypted = await kms.send(new ReEncryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, SourceEncryptionContext: { purpose: "audit" }, DestinationKeyId: await newKey() }));
      keep("ReEncrypt ciphertext", reencrypted.CiphertextBlob);

      const dataKey = await kms.send(new GenerateDataKeyCommand({ KeyId: symmetric, KeySpec: "AES_256" }));
      keep("data key", dataKey.Plaintext);
      keep("data key ciphertext", dataKey.CiphertextBlob);
      keep("data key without plaintext", (await kms.send(new GenerateDataKeyWithoutPlaintextCommand({ KeyId: symmetric, NumberOfBytes: 48 }))).CiphertextBlob);
      const pair = await kms.send(new GenerateDataKeyPairCommand({ KeyId: symmetric, KeyPairSpec: "ECC_NIST_P256" }));
      keep("data key pair private key", pair.PrivateKeyPlaintext);
      keep("data key pair encrypted private key", pair.PrivateKeyCiphertextBlob);
      keep("data key pair public key", pair.PublicKey);
      keep("data key pair (no plaintext) encrypted private key", (await kms.send(new GenerateDataKeyPairWithoutPlaintextCommand({ KeyId: symmetric, KeyPairSpec: "RSA_2048" }))).PrivateKeyCiphertextBlob);
      keep("random bytes", (await kms.send(new GenerateRandomCommand({ NumberOfBytes: 40 }))).Plaintext);

      const rsa = await newKey({ KeySpec: "RSA_2048", KeyUsage: "ENCRYPT_DECRYPT" });
      const rsaPlaintext = randomBytes(48);
      keep("RSA plaintext", rsaPlaintext);
      const rsaCiphertext = await kms.send(new EncryptCommand({ KeyId: rsa, Plaintext: rsaPlaintext, EncryptionAlgorithm: "RSAES_OAEP_SHA_256" }));
      keep("RSA ciphertext", rsaCiphertext.CiphertextBlob);
      await kms.send(new DecryptCommand({ KeyId: rsa, CiphertextBlob: rsaCiphertext.CiphertextBlob, EncryptionAlgorithm: "RSAES_OAEP_SHA_256" }));

      const signing = await newKey({ KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY" });
      const message = randomBytes(100);
      keep("signed message", message);
      const signature = await kms.send(new SignCommand({ KeyId: signing, Message: message, SigningAlgorithm: "ECDSA_SHA_256" }));
      keep("signature", signature.Signature);
      await kms.send(new VerifyCommand({ KeyId: signing, Message: message, Signature: signature.Signature, SigningAlgorithm: "ECDSA_SHA_256" }));
      keep("signing public key", (await kms.send(new GetPublicKeyCommand({ KeyId: signing }))).PublicKey);

      const hmac = await newKey({ KeySpec: "HMAC_256", KeyUsage: "GENERATE_VERIFY_MAC" });
      const macMessage = randomBytes(80);
      keep("MAC message", macMessage);
      const mac = await kms.send(new GenerateMacCommand({ KeyId: hmac, Message: macMessage, MacAlgorithm: "HMAC_SHA_256" }));
      keep("MAC", mac.Mac);
      await kms.send(new VerifyMacCommand({ KeyId: hmac, Message: macMessage, Mac: mac.Mac, MacAlgorithm: "HMAC_SHA_256" }));

      const external = await newKey({ Origin: "EXTERNAL" });
      const parameters = await kms.send(new GetParametersForImportCommand({ KeyId: external, WrappingAlgorithm: "RSAES_OAEP_SHA_256", WrappingKeySpec: "RSA_2048" }));
      keep("import token", parameters.ImportToken);
      keep("wrapping public key", parameters.PublicKey);
      const material = randomBytes(32);
      keep("imported key material", material);
      const wrapped = publicEncrypt(
        { key: createPublicKey({ key: Buffer.from(parameters.PublicKey ?? []), format: "der", type: "spki" }), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" },
        material,
      );
      keep("encrypted key material", wrapped);
      await kms.send(new ImportKeyMaterialCommand({ KeyId: external, ImportToken: parameters.ImportToken, EncryptedKeyMaterial: wrapped, ExpirationModel: "KEY_MATERIAL_DOES_NOT_EXPIRE" }));

      const agreement = await newKey({ KeySpec: "ECC_NIST_P256", KeyUsage: "KEY_AGREEMENT" });
      const ecdh = createECDH("prime256v1");
      ecdh.generateKeys();
      const peer = createPublicKey({ key: { kty: "EC", crv: "P-256", x: ecdh.getPublicKey().subarray(1, 33).toString("base64url"), y: ecdh.getPublicKey().subarray(33).toString("base64url") }, format: "jwk" });
      const peerDer = peer.export({ format: "der", type: "spki" });
      keep("peer public key", peerDer);
      const shared = await kms.send(new DeriveSharedSecretCommand({ KeyId: agreement, KeyAgreementAlgorithm: "ECDH", PublicKey: peerDer }));
      keep("shared secret", shared.SharedSecret);

      // Requests that fail before their input is valid still carry secrets in their bodies.
      const tooLong = randomBytes(5000);
      keep("plaintext of an invalid request", tooLong);
      await expectAwsError(kms.send(new EncryptCommand({ KeyId: symmetric, Plaintext: tooLong })), "ValidationException");
      // Grant tokens are not sensitive in the model; a list that fails validation once had
      // its tokens quoted in the ValidationException message, recorded as errorMessage.
      const grantToken = `AQpAM2${randomBytes(300).toString("base64url")}`;
      keep("grant token of an invalid request", grantToken);
      await expectAwsError(kms.send(new EncryptCommand({ KeyId: symmetric, Plaintext: randomBytes(16), GrantTokens: ["", grantToken] })), "ValidationException");
      const unauthenticated = randomBytes(64);
      keep("plaintext of an unauthenticated request", unauthenticated);
      await expectAwsError(
        kmsd.kms({ credentials: { ...kmsd.credentials, secretAccessKey: "y".repeat(40) } }).send(new EncryptCommand({ KeyId: symmetric, Plaintext: unauthenticated })),
        "InvalidSignatureException",
      );

      // IAM and STS credentials.
      const iam = iamClient(kmsd);
      const { User: user } = await iam.send(new CreateUserCommand({ UserName: "carol" }));
      const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: "carol" }));
      keep("secret access key", AccessKey?.SecretAccessKey);
      const trust = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: user?.Arn }, Action: "sts:AssumeRole" }] };
      const { Role: role } = await iam.send(new CreateRoleCommand({ RoleName: "auditor", AssumeRolePolicyDocument: JSON.stringify(trust) }));
      await iam.send(new PutRolePolicyCommand({ RoleName: "auditor", PolicyName: "kms", PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "kms:*", Resource: "*" }] }) }));
      const carol = { accessKeyId: AccessKey?.AccessKeyId ?? "", secretAccessKey: AccessKey?.SecretAccessKey ?? "" };
      const assumed = await stsClient(kmsd, carol).send(new AssumeRoleCommand({ RoleArn: role?.Arn, RoleSessionName: "audit-session" }));
      keep("session secret access key", assumed.Credentials?.SecretAccessKey);
      keep("session token", assumed.Credentials?.SessionToken);
      const session = { accessKeyId: assumed.Credentials?.AccessKeyId ?? "", secretAccessKey: assumed.Credentials?.SecretAccessKey ?? "", sessionToken: assumed.Credentials?.SessionToken ?? "" };
      await kmsd.kms({ credentials: session }).send(new ListKeysCommand({}));
      keep("root secret access key", kmsd.credentials.secretAccessKey);
    });

    it("the trail records the operator commands as service events of the default account", async () => {
      const trail = new CloudTrailClient({ endpoint: kmsd.endpoint, region: "us-east-1", credentials: kmsd.credentials });
      const expected = mode === "file" ? ["RotateRootKey"] : mode === "shamir" ? ["SealNode", "RefuseUnsealShare", "UnsealNode", "RotateRootKey", "RekeyUnsealShares"] : ["UnsealNode", "RotateRootKey"];
      for (const eventName of expected) {
        const { Events } = await trail.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: "EventName", AttributeValue: eventName }] }));
        assert.ok((Events?.length ?? 0) > 0, `no ${eventName} event`);
        const record = JSON.parse(Events?.[0]?.CloudTrailEvent ?? "{}") as Record<string, unknown>;
        assert.equal(record.eventType, "AwsServiceEvent", eventName);
        // A node started sealed announces no account: then any account will do, the default one being the only one.
        if (kmsd.accountId !== "") assert.equal(record.recipientAccountId, kmsd.accountId, eventName);
        else assert.match(String(record.recipientAccountId), /^\d{12}$/, eventName);
      }
    });

    it("delivers the log files and exports them", async () => {
      await kmsd.advanceClock(3600);
      // Offline export signs with the root key: only a data directory in the file mode has it on disk.
      if (mode === "file") {
        const exported = await runKmsdCli(["audit", "export", "--data-dir", kmsd.dataDir, "--out", exportDir]);
        assert.equal(exported.code, 0, exported.stderr);
      }
      const logs = files(join(kmsd.dataDir, "audit")).filter((path) => path.endsWith(".json.gz") && path.includes("/CloudTrail/"));
      assert.ok(logs.length > 0, "log files were delivered");
    });

    it("no stored record holds any secret, raw, base64 or hex, in audit.db, its WAL, or any log, digest or exported file (also gunzipped)", () => {
      const stores = [
        ...["audit.db", "audit.db-wal", "audit.db-shm"].map((name) => join(kmsd.dataDir, name)).filter((path) => exists(path)),
        ...files(join(kmsd.dataDir, "audit")),
        ...files(exportDir),
      ];
      assert.ok(stores.length >= 4);
      const contents = stores.flatMap((path) => {
        const raw = readFileSync(path);
        const inflated = path.endsWith(".gz") ? [gunzipSync(raw)] : [];
        return [raw, ...inflated].map((content) => ({ path, content }));
      });
      assert.ok(secrets.size >= 30, `${secrets.size} secrets`);
      // The server's own output too: every log line and what it printed.
      contents.push({ path: "the server's standard error", content: Buffer.from(kmsd.stderr()) });
      for (const [name, secret] of secrets) {
        const forms = [secret, Buffer.from(secret.toString("base64")), Buffer.from(secret.toString("base64url")), Buffer.from(secret.toString("hex")), Buffer.from(secret.toString("hex").toUpperCase())];
        for (const { path, content } of contents) {
          for (const form of forms) assert.equal(content.indexOf(form), -1, `${name} found in ${path}`);
        }
      }
    });
  });
}

function files(root: string): string[] {
  try {
    return readdirSync(root, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name));
  } catch {
    return [];
  }
}

function exists(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
