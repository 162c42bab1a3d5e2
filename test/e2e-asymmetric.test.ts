/**
 * End to end, through @aws-sdk/client-kms against a running kmsd: asymmetric, HMAC and
 * key-agreement keys. CreateKey for every key spec and usage, GetPublicKey, Sign and Verify
 * for every signing algorithm and MessageType, RSA-OAEP Encrypt/Decrypt/ReEncrypt with
 * AWS's size limits, GenerateMac/VerifyMac, DeriveSharedSecret, the data key pair
 * operations, key states, key generation off the event loop, and keys surviving a restart
 * (and being wrapped at rest). Checks from outside (OpenSSL, @noble) are in
 * e2e-asymmetric-interop.test.ts.
 * (`void`: node:test returns promises that the runner itself awaits.)
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  constants,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  randomBytes,
  sign as nodeSign,
  verify as nodeVerify,
  type KeyObject,
} from "node:crypto";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DeriveSharedSecretCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateDataKeyPairCommand,
  GenerateDataKeyPairWithoutPlaintextCommand,
  GenerateDataKeyWithoutPlaintextCommand,
  GenerateMacCommand,
  GetPublicKeyCommand,
  ListKeysCommand,
  ReEncryptCommand,
  ScheduleKeyDeletionCommand,
  SignCommand,
  VerifyCommand,
  VerifyMacCommand,
  type DataKeyPairSpec,
  type EncryptionAlgorithmSpec,
  type KMSClient,
  type KeyMetadata,
  type KeySpec,
  type KeyUsageType,
  type MacAlgorithmSpec,
  type MessageType,
  type SigningAlgorithmSpec,
} from "@aws-sdk/client-kms";
import { FileRootKey } from "../src/crypto/rootKey.ts";
import { expectAwsError, rawRequest, startKmsd, type Kmsd } from "./support/kmsd.ts";
import {
  CLASSIC_KEY_SPECS,
  KEY_SPEC_USAGES,
  NODE_KEY_SHAPES,
  bytes,
  createKey,
  hashOf,
  keyFixtures,
  messageFor,
  mlDsaMu,
  nodeVerifies,
  signingCases,
  type Key,
} from "./support/asymmetric.ts";

const DRY_RUN = "The request would have succeeded, but the DryRun option is set.";
const NO_KEY_USAGE = "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.";
const MESSAGE_TOO_LONG =
  "1 validation error detected: Value at 'message' failed to satisfy constraint: Member must have length less than or equal to 4096";
const PLAINTEXT_TOO_LONG =
  "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096";
const ALGORITHM_LISTS = ["EncryptionAlgorithms", "SigningAlgorithms", "MacAlgorithms", "KeyAgreementAlgorithms", "EncapsulationAlgorithms"] as const;
const usageMessage = (key: Key, operation: string) => `${key.Arn} key usage is ${key.KeyUsage} which is not valid for ${operation}.`;

/** The algorithm lists present in a KeyMetadata or GetPublicKey answer. */
function algorithmLists(metadata: Partial<Record<(typeof ALGORITHM_LISTS)[number], unknown>>): Record<string, unknown> {
  return Object.fromEntries(ALGORITHM_LISTS.filter((name) => metadata[name] !== undefined).map((name) => [name, metadata[name]]));
}

const message = Buffer.from("The quick brown fox signs over the lazy dog.");

void describe("kmsd asymmetric, HMAC and key-agreement keys", () => {
  let kmsd: Kmsd;
  let kms: KMSClient;
  const keys = keyFixtures(() => kms);

  before(async () => {
    kmsd = await startKmsd();
    kms = kmsd.kms();
  });
  after(async () => kmsd.dispose());

  /** Sends a signed raw request, to see the wire body (errors without a message have no `message` member). */
  async function raw(operation: string, input: Record<string, unknown>) {
    const response = await rawRequest(kmsd.endpoint, {
      target: `TrentService.${operation}`,
      body: JSON.stringify(input),
      sign: { credentials: kmsd.credentials },
    });
    return { status: response.status, body: response.json() };
  }
  const b64 = (value: Uint8Array) => Buffer.from(value).toString("base64");

  // ---- the two RSA_4096 keys: created once, while Encrypt calls are measured ----

  type Rsa4096 = { signing: Key; encryption: Key; latenciesMs: number[]; inFlightEncrypts: number; creationMs: number };
  let rsa4096: Promise<Rsa4096> | undefined;
  /**
   * Creates an RSA_4096 SIGN_VERIFY and an RSA_4096 ENCRYPT_DECRYPT key concurrently, and keeps
   * Encrypt calls on a symmetric key going one after another until both exist.
   */
  function rsa4096Keys(): Promise<Rsa4096> {
    rsa4096 ??= (async () => {
      const symmetric = await keys.get("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT");
      const encrypt = () => kms.send(new EncryptCommand({ KeyId: symmetric.KeyId, Plaintext: Buffer.from("tick") }));
      await encrypt(); // warm: the key is cached, the connection open
      let creating = true;
      const started = performance.now();
      const created = Promise.all([createKey(kms, "RSA_4096", "SIGN_VERIFY"), createKey(kms, "RSA_4096", "ENCRYPT_DECRYPT")]).finally(() => {
        creating = false;
      });
      const latenciesMs: number[] = [];
      let inFlightEncrypts = 0;
      while (creating) {
        const t0 = performance.now();
        await encrypt();
        latenciesMs.push(performance.now() - t0);
        if (creating) inFlightEncrypts++;
      }
      const [signing, encryption] = await created;
      const creationMs = performance.now() - started;
      keys.preset(signing);
      keys.preset(encryption);
      return { signing, encryption, latenciesMs, inFlightEncrypts, creationMs };
    })();
    return rsa4096;
  }
  /** The shared key of a spec and usage (RSA_4096 from the concurrency check). */
  async function keyFor(spec: KeySpec, usage: KeyUsageType): Promise<Key> {
    if (spec === "RSA_4096") {
      const { signing, encryption } = await rsa4096Keys();
      if (usage === "SIGN_VERIFY") return signing;
      if (usage === "ENCRYPT_DECRYPT") return encryption;
    }
    return keys.get(spec, usage);
  }
  async function publicKeyOf(key: Key): Promise<Buffer> {
    return bytes((await kms.send(new GetPublicKeyCommand({ KeyId: key.KeyId }))).PublicKey);
  }

  void describe("key generation runs off the event loop", () => {
    void it("Encrypt calls on a symmetric key complete, each in under half the generation time, while two RSA_4096 CreateKey calls are in flight", async (t) => {
      const { latenciesMs, inFlightEncrypts, creationMs, signing, encryption } = await rsa4096Keys();
      t.diagnostic(
        `${inFlightEncrypts} Encrypt calls during ${creationMs.toFixed(0)} ms of RSA_4096 generation; slowest ${Math.max(...latenciesMs).toFixed(1)} ms`,
      );
      assert.equal(signing.KeySpec, "RSA_4096");
      assert.equal(encryption.KeySpec, "RSA_4096");
      assert.ok(inFlightEncrypts >= 3, `only ${inFlightEncrypts} Encrypt calls finished during ${creationMs.toFixed(0)} ms of key generation`);
      // Relative, not absolute (the machine may be loaded): generation on the event loop would
      // hold an Encrypt for about the whole generation time.
      const slowest = Math.max(...latenciesMs);
      assert.ok(slowest < creationMs / 2, `an Encrypt took ${slowest.toFixed(0)} ms of the ${creationMs.toFixed(0)} ms keys were being generated`);
    });
  });

  void describe("CreateKey and DescribeKey", () => {
    for (const { spec, usage, algorithms } of KEY_SPEC_USAGES) {
      void it(`${spec} with ${usage}: CreateKey and DescribeKey show the spec, the usage and exactly AWS's algorithm lists`, async () => {
        const created = await keyFor(spec, usage);
        const described = (await kms.send(new DescribeKeyCommand({ KeyId: created.KeyId }))).KeyMetadata as KeyMetadata;
        for (const metadata of [created, described]) {
          assert.equal(metadata.KeySpec, spec);
          assert.equal(metadata.KeyUsage, usage);
          assert.deepEqual(algorithmLists(metadata), algorithms);
          assert.equal(metadata.KeyState, "Enabled");
          assert.equal(metadata.Enabled, true);
          assert.equal(metadata.Origin, "AWS_KMS");
          assert.equal(metadata.KeyManager, "CUSTOMER");
          assert.equal(metadata.MultiRegion, false);
          // Recorded for HMAC and asymmetric keys: no CurrentKeyMaterialId.
          assert.equal(metadata.CurrentKeyMaterialId, undefined);
          if (CLASSIC_KEY_SPECS.includes(spec)) assert.equal(metadata.CustomerMasterKeySpec, spec);
        }
        assert.equal(described.Arn, created.Arn);
      });
    }

    void it("the deprecated CustomerMasterKeySpec creates the same kind of key as KeySpec", async () => {
      const { KeyMetadata: metadata } = await kms.send(new CreateKeyCommand({ CustomerMasterKeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY" }));
      assert.equal(metadata?.KeySpec, "ECC_NIST_P256");
      assert.deepEqual(metadata?.SigningAlgorithms, ["ECDSA_SHA_256"]);
    });

    type Refusal = { spec: string; usage?: string; error: string; message: string | RegExp };
    const incompatible = (spec: string, usage: string): Refusal => ({
      spec,
      usage,
      error: "ValidationException",
      // Recorded wording (KEY_AGREEMENT with RSA_2048), no full stop.
      message: `KeyUsage ${usage} is not compatible with KeySpec ${spec}`,
    });
    const REFUSALS: Refusal[] = [
      ...["HMAC_256", "RSA_2048", "ECC_NIST_P256", "ECC_NIST_EDWARDS25519", "ML_DSA_65"].map((spec) => ({
        spec,
        error: "ValidationException",
        message: NO_KEY_USAGE,
      })),
      incompatible("RSA_2048", "KEY_AGREEMENT"),
      incompatible("RSA_3072", "GENERATE_VERIFY_MAC"),
      incompatible("ECC_NIST_P384", "ENCRYPT_DECRYPT"),
      incompatible("ECC_SECG_P256K1", "KEY_AGREEMENT"),
      incompatible("ECC_NIST_EDWARDS25519", "KEY_AGREEMENT"),
      incompatible("ML_DSA_44", "ENCRYPT_DECRYPT"),
      incompatible("HMAC_512", "SIGN_VERIFY"),
      incompatible("SYMMETRIC_DEFAULT", "SIGN_VERIFY"),
      incompatible("SYMMETRIC_DEFAULT", "GENERATE_VERIFY_MAC"),
      // SM2 exists only in the China Regions; kmsd answers as a Region outside China does.
      ...["SIGN_VERIFY", "ENCRYPT_DECRYPT", "KEY_AGREEMENT"].map((usage) => ({
        spec: "SM2",
        usage,
        error: "UnsupportedOperationException",
        message: "KeySpec SM2 is not supported in this Region",
      })),
      {
        spec: "HMAC_random",
        usage: "GENERATE_VERIFY_MAC",
        error: "ValidationException",
        message: /^1 validation error detected: Value 'HMAC_random' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: \[.*HMAC_256.*\]$/,
      },
      {
        spec: "HMAC_256",
        usage: "RANDOM",
        error: "ValidationException",
        // The recorded list (2023) has fewer usages; AWS's pattern, not its list, is what to match.
        message: /^1 validation error detected: Value 'RANDOM' at 'keyUsage' failed to satisfy constraint: Member must satisfy enum value set: \[(?=.*ENCRYPT_DECRYPT)(?=.*SIGN_VERIFY)(?=.*GENERATE_VERIFY_MAC).*\]$/,
      },
    ];
    for (const { spec, usage, error, message: expected } of REFUSALS) {
      void it(`${spec} with ${usage ?? "no KeyUsage"} is refused with ${error}: ${String(expected)}`, async () => {
        await expectAwsError(
          kms.send(new CreateKeyCommand({ KeySpec: spec as KeySpec, ...(usage ? { KeyUsage: usage as KeyUsageType } : {}) })),
          error,
          expected,
        );
      });
    }

    void it("a refused CreateKey creates no key", async () => {
      const count = async () => (await kms.send(new ListKeysCommand({ Limit: 1000 }))).Keys?.length ?? 0;
      const before = await count();
      for (const { spec, usage } of REFUSALS) {
        await kms.send(new CreateKeyCommand({ KeySpec: spec as KeySpec, KeyUsage: usage as KeyUsageType })).catch(() => undefined);
      }
      assert.equal(await count(), before);
    });
  });

  void describe("GetPublicKey", () => {
    for (const { spec, usage, algorithms } of KEY_SPEC_USAGES.filter(({ usage }) => usage !== "GENERATE_VERIFY_MAC")) {
      void it(`${spec} with ${usage}: a DER SubjectPublicKeyInfo node:crypto parses as ${NODE_KEY_SHAPES[spec]?.type}, with the usage and algorithm lists`, async () => {
        const key = await keyFor(spec, usage);
        const answer = await kms.send(new GetPublicKeyCommand({ KeyId: key.KeyId }));
        assert.equal(answer.KeyId, key.Arn);
        assert.equal(answer.KeySpec, spec);
        assert.equal(answer.KeyUsage, usage);
        assert.deepEqual(algorithmLists(answer), algorithms);
        if (CLASSIC_KEY_SPECS.includes(spec)) assert.equal(answer.CustomerMasterKeySpec, spec);
        const publicKey = createPublicKey({ key: bytes(answer.PublicKey), format: "der", type: "spki" });
        const shape = NODE_KEY_SHAPES[spec];
        assert.ok(shape);
        assert.equal(publicKey.asymmetricKeyType, shape.type);
        if (shape.modulusLength) assert.equal(publicKey.asymmetricKeyDetails?.modulusLength, shape.modulusLength);
        if (shape.namedCurve) assert.equal(publicKey.asymmetricKeyDetails?.namedCurve, shape.namedCurve);
        // Re-encoding gives the same bytes: it is canonical DER, not just something parsable.
        assert.deepEqual(publicKey.export({ type: "spki", format: "der" }), bytes(answer.PublicKey));
      });
    }

    void it("accepts an alias name and returns the same public key every time", async () => {
      const key = await keyFor("ECC_NIST_P384", "SIGN_VERIFY");
      const aliasName = `alias/public-${Math.random().toString(36).slice(2, 10)}`;
      await kms.send(new CreateAliasCommand({ AliasName: aliasName, TargetKeyId: key.KeyId }));
      const [byId, byAlias] = await Promise.all([publicKeyOf(key), kms.send(new GetPublicKeyCommand({ KeyId: aliasName }))]);
      assert.deepEqual(bytes(byAlias.PublicKey), byId);
      assert.equal(byAlias.KeyId, key.Arn);
    });

    for (const [spec, usage] of [["SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT"], ["HMAC_256", "GENERATE_VERIFY_MAC"]] as const) {
      void it(`a ${spec} key has no public key: UnsupportedOperationException`, async () => {
        const key = await keyFor(spec, usage);
        await expectAwsError(kms.send(new GetPublicKeyCommand({ KeyId: key.KeyId })), "UnsupportedOperationException");
      });
    }
  });

  void describe("Sign and Verify", () => {
    const ALL_SIGNING_SPECS: KeySpec[] = [
      "RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1",
      "ECC_NIST_EDWARDS25519", "ML_DSA_44", "ML_DSA_65", "ML_DSA_87",
    ];
    const sign = (key: Key, algorithm: SigningAlgorithmSpec, messageType: MessageType, input: Uint8Array) =>
      kms.send(new SignCommand({ KeyId: key.KeyId, SigningAlgorithm: algorithm, MessageType: messageType, Message: input }));
    const verify = (key: Key, algorithm: SigningAlgorithmSpec, messageType: MessageType, input: Uint8Array, signature: Uint8Array) =>
      kms.send(new VerifyCommand({ KeyId: key.KeyId, SigningAlgorithm: algorithm, MessageType: messageType, Message: input, Signature: signature }));

    for (const { spec, algorithm, messageTypes } of signingCases(ALL_SIGNING_SPECS)) {
      for (const messageType of messageTypes) {
        void it(`${spec} ${algorithm} ${messageType}: the signature verifies in kmsd and with node:crypto; another message or a changed bit does not`, async () => {
          const key = await keyFor(spec, "SIGN_VERIFY");
          const spki = await publicKeyOf(key);
          const input = messageFor(algorithm, messageType, message, spki);
          const signed = await sign(key, algorithm, messageType, input);
          assert.equal(signed.KeyId, key.Arn);
          assert.equal(signed.SigningAlgorithm, algorithm);
          const signature = bytes(signed.Signature);

          const verified = await verify(key, algorithm, messageType, input, signature);
          assert.equal(verified.SignatureValid, true);
          assert.equal(verified.KeyId, key.Arn);
          assert.equal(verified.SigningAlgorithm, algorithm);
          // node:crypto checks it over the original message, whichever MessageType was sent
          // (Ed25519ph is checked against RFC 8032 in the interop suite).
          if (algorithm !== "ED25519_PH_SHA_512") assert.ok(nodeVerifies(spki, algorithm, message, signature), "node:crypto verifies it");

          const other = messageFor(algorithm, messageType, Buffer.from("another message"), spki);
          await expectAwsError(verify(key, algorithm, messageType, other, signature), "KMSInvalidSignatureException");
          const flipped = Buffer.from(signature);
          flipped[flipped.length >> 1] = (flipped[flipped.length >> 1] ?? 0) ^ 0x01;
          await expectAwsError(verify(key, algorithm, messageType, input, flipped), "KMSInvalidSignatureException");
        });
      }
    }

    for (const { spec, algorithm } of signingCases(["RSA_2048", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1"])) {
      void it(`${spec} ${algorithm}: a RAW signature verifies as DIGEST of the hashed message, and the other way round`, async () => {
        const key = await keyFor(spec, "SIGN_VERIFY");
        const digest = createHash(hashOf(algorithm) ?? "").update(message).digest();
        const overRaw = bytes((await sign(key, algorithm, "RAW", message)).Signature);
        assert.equal((await verify(key, algorithm, "DIGEST", digest, overRaw)).SignatureValid, true);
        const overDigest = bytes((await sign(key, algorithm, "DIGEST", digest)).Signature);
        assert.equal((await verify(key, algorithm, "RAW", message, overDigest)).SignatureValid, true);
        // A digest sent as RAW is hashed again: a different message, so not valid.
        await expectAwsError(verify(key, algorithm, "RAW", digest, overDigest), "KMSInvalidSignatureException");
      });
    }

    void it("ML_DSA_65: a RAW signature verifies as EXTERNAL_MU of the message's mu, and the other way round", async () => {
      const key = await keyFor("ML_DSA_65", "SIGN_VERIFY");
      const mu = mlDsaMu(await publicKeyOf(key), message);
      const overRaw = bytes((await sign(key, "ML_DSA_SHAKE_256", "RAW", message)).Signature);
      assert.equal((await verify(key, "ML_DSA_SHAKE_256", "EXTERNAL_MU", mu, overRaw)).SignatureValid, true);
      const overMu = bytes((await sign(key, "ML_DSA_SHAKE_256", "EXTERNAL_MU", mu)).Signature);
      assert.equal((await verify(key, "ML_DSA_SHAKE_256", "RAW", message, overMu)).SignatureValid, true);
    });

    const DIGEST_LENGTHS: Array<[KeySpec, SigningAlgorithmSpec, number]> = [
      ...signingCases(["RSA_2048"]).map(({ algorithm }): [KeySpec, SigningAlgorithmSpec, number] => [
        "RSA_2048",
        algorithm,
        Number(algorithm.slice(-3)) / 8,
      ]),
      ["ECC_NIST_P256", "ECDSA_SHA_256", 32],
      ["ECC_NIST_P384", "ECDSA_SHA_384", 48],
      ["ECC_NIST_P521", "ECDSA_SHA_512", 64],
      ["ECC_SECG_P256K1", "ECDSA_SHA_256", 32],
      ["ECC_NIST_EDWARDS25519", "ED25519_PH_SHA_512", 64],
    ];
    for (const [spec, algorithm, length] of DIGEST_LENGTHS) {
      void it(`${spec} ${algorithm}: a DIGEST of ${length - 1} or ${length + 1} bytes is AWS's "Digest is invalid length" ValidationException, on Sign and Verify`, async () => {
        const key = await keyFor(spec, "SIGN_VERIFY");
        const expected = `Digest is invalid length for algorithm ${algorithm}.`;
        for (const wrong of [length - 1, length + 1]) {
          await expectAwsError(sign(key, algorithm, "DIGEST", randomBytes(wrong)), "ValidationException", expected);
          await expectAwsError(verify(key, algorithm, "DIGEST", randomBytes(wrong), randomBytes(64)), "ValidationException", expected);
        }
      });
    }

    void it("ML-DSA EXTERNAL_MU must be exactly 64 bytes (ValidationException)", async () => {
      const key = await keyFor("ML_DSA_44", "SIGN_VERIFY");
      for (const length of [32, 63, 65]) {
        await expectAwsError(sign(key, "ML_DSA_SHAKE_256", "EXTERNAL_MU", randomBytes(length)), "ValidationException");
      }
    });

    const WRONG_MESSAGE_TYPES: Array<[KeySpec, SigningAlgorithmSpec, MessageType]> = [
      ["ECC_NIST_EDWARDS25519", "ED25519_SHA_512", "DIGEST"],
      ["ECC_NIST_EDWARDS25519", "ED25519_PH_SHA_512", "RAW"],
      ["ECC_NIST_EDWARDS25519", "ED25519_SHA_512", "EXTERNAL_MU"],
      ["ML_DSA_87", "ML_DSA_SHAKE_256", "DIGEST"],
      ["RSA_2048", "RSASSA_PSS_SHA_256", "EXTERNAL_MU"],
      ["ECC_NIST_P256", "ECDSA_SHA_256", "EXTERNAL_MU"],
    ];
    void it("ML-DSA refuses DIGEST with the message real AWS gives (reported for ML_DSA_44)", async () => {
      const key = await keyFor("ML_DSA_44", "SIGN_VERIFY");
      const expected = "Message type DIGEST is incompatible with key spec ML_DSA_44.";
      await expectAwsError(sign(key, "ML_DSA_SHAKE_256", "DIGEST", randomBytes(64)), "ValidationException", expected);
    });

    for (const [spec, algorithm, messageType] of WRONG_MESSAGE_TYPES) {
      void it(`${spec} ${algorithm} refuses MessageType ${messageType} with ValidationException`, async () => {
        const key = await keyFor(spec, "SIGN_VERIFY");
        await expectAwsError(sign(key, algorithm, messageType, randomBytes(64)), "ValidationException", /Message type/);
        await expectAwsError(verify(key, algorithm, messageType, randomBytes(64), randomBytes(64)), "ValidationException", /Message type/);
      });
    }

    const WRONG_ALGORITHMS: Array<[KeySpec, SigningAlgorithmSpec]> = [
      ["ECC_NIST_P256", "ECDSA_SHA_384"],
      ["ECC_NIST_P521", "ECDSA_SHA_256"],
      ["ECC_SECG_P256K1", "ECDSA_SHA_512"],
      ["ECC_NIST_P256", "RSASSA_PSS_SHA_256"],
      ["RSA_2048", "ECDSA_SHA_256"],
      ["RSA_2048", "ML_DSA_SHAKE_256"],
      ["RSA_2048", "ED25519_SHA_512"],
      ["ECC_NIST_EDWARDS25519", "ECDSA_SHA_512"],
      ["ML_DSA_65", "ED25519_SHA_512"],
      ["ML_DSA_65", "RSASSA_PKCS1_V1_5_SHA_256"],
    ];
    for (const [spec, algorithm] of WRONG_ALGORITHMS) {
      void it(`${spec} with ${algorithm}: InvalidKeyUsageException on Sign and Verify`, async () => {
        const key = await keyFor(spec, "SIGN_VERIFY");
        const expected = `Algorithm ${algorithm} is incompatible with key spec ${spec}.`;
        await expectAwsError(sign(key, algorithm, "RAW", message), "InvalidKeyUsageException", expected);
        await expectAwsError(verify(key, algorithm, "RAW", message, randomBytes(64)), "InvalidKeyUsageException", expected);
      });
    }

    void it("Sign with an ENCRYPT_DECRYPT key (RSA or symmetric), an HMAC or a KEY_AGREEMENT key is AWS's InvalidKeyUsageException", async () => {
      for (const [spec, usage] of [
        ["RSA_2048", "ENCRYPT_DECRYPT"],
        ["SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT"],
        ["HMAC_256", "GENERATE_VERIFY_MAC"], // recorded
        ["ECC_NIST_P256", "KEY_AGREEMENT"],
      ] as const) {
        const key = await keyFor(spec, usage);
        await expectAwsError(sign(key, "RSASSA_PSS_SHA_256", "RAW", message), "InvalidKeyUsageException", usageMessage(key, "Sign"));
        await expectAwsError(verify(key, "RSASSA_PSS_SHA_256", "RAW", message, randomBytes(256)), "InvalidKeyUsageException", usageMessage(key, "Verify"));
      }
    });

    void it("a Message of 4096 bytes is signed; 4097 bytes, or none, is the model's ValidationException", async () => {
      const key = await keyFor("ECC_NIST_P256", "SIGN_VERIFY");
      const largest = randomBytes(4096);
      const signature = bytes((await sign(key, "ECDSA_SHA_256", "RAW", largest)).Signature);
      assert.equal((await verify(key, "ECDSA_SHA_256", "RAW", largest, signature)).SignatureValid, true);
      await expectAwsError(sign(key, "ECDSA_SHA_256", "RAW", randomBytes(4097)), "ValidationException", MESSAGE_TOO_LONG);
      await expectAwsError(verify(key, "ECDSA_SHA_256", "RAW", randomBytes(4097), signature), "ValidationException", MESSAGE_TOO_LONG);
      await expectAwsError(sign(key, "ECDSA_SHA_256", "RAW", new Uint8Array()), "ValidationException");
    });

    void it("a wrong signature is KMSInvalidSignatureException with no message at all, as AWS sends it", async () => {
      const key = await keyFor("RSA_2048", "SIGN_VERIFY");
      const signature = bytes((await sign(key, "RSASSA_PSS_SHA_256", "RAW", message)).Signature);
      const answer = await raw("Verify", {
        KeyId: key.KeyId,
        SigningAlgorithm: "RSASSA_PSS_SHA_256",
        Message: b64(Buffer.from("a different message")),
        Signature: b64(signature),
      });
      assert.equal(answer.status, 400);
      assert.deepEqual(answer.body, { __type: "KMSInvalidSignatureException" });
    });

    void it("a signature by another key, by another algorithm of the same key, or random bytes does not verify", async () => {
      const key = await keyFor("RSA_2048", "SIGN_VERIFY");
      const otherKey = await createKey(kms, "RSA_2048", "SIGN_VERIFY");
      const byOther = bytes((await sign(otherKey, "RSASSA_PSS_SHA_256", "RAW", message)).Signature);
      await expectAwsError(verify(key, "RSASSA_PSS_SHA_256", "RAW", message, byOther), "KMSInvalidSignatureException");
      const pss = bytes((await sign(key, "RSASSA_PSS_SHA_256", "RAW", message)).Signature);
      await expectAwsError(verify(key, "RSASSA_PKCS1_V1_5_SHA_256", "RAW", message, pss), "KMSInvalidSignatureException");
      await expectAwsError(verify(key, "RSASSA_PSS_SHA_384", "RAW", message, pss), "KMSInvalidSignatureException");
      for (const garbage of [randomBytes(1), randomBytes(256), Buffer.alloc(256, 0xff), randomBytes(512)]) {
        await expectAwsError(verify(key, "RSASSA_PSS_SHA_256", "RAW", message, garbage), "KMSInvalidSignatureException");
      }
      const ecc = await keyFor("ECC_NIST_P256", "SIGN_VERIFY");
      for (const garbage of [randomBytes(1), randomBytes(70), Buffer.from("3006020101020101", "hex")]) {
        await expectAwsError(verify(ecc, "ECDSA_SHA_256", "RAW", message, garbage), "KMSInvalidSignatureException");
      }
      const ed = await keyFor("ECC_NIST_EDWARDS25519", "SIGN_VERIFY");
      await expectAwsError(verify(ed, "ED25519_SHA_512", "RAW", message, randomBytes(64)), "KMSInvalidSignatureException");
      const ml = await keyFor("ML_DSA_44", "SIGN_VERIFY");
      await expectAwsError(verify(ml, "ML_DSA_SHAKE_256", "RAW", message, randomBytes(2420)), "KMSInvalidSignatureException");
    });

    void it("RSASSA-PSS signatures use a salt as long as the digest (as AWS's do)", async () => {
      const key = await keyFor("RSA_3072", "SIGN_VERIFY");
      const spki = createPublicKey({ key: await publicKeyOf(key), format: "der", type: "spki" });
      for (const [algorithm, hash, saltLength] of [
        ["RSASSA_PSS_SHA_256", "sha256", 32],
        ["RSASSA_PSS_SHA_384", "sha384", 48],
        ["RSASSA_PSS_SHA_512", "sha512", 64],
      ] as const) {
        const signature = bytes((await sign(key, algorithm, "RAW", message)).Signature);
        assert.ok(nodeVerify(hash, message, { key: spki, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }, signature), `${algorithm} with salt ${saltLength}`);
        assert.ok(!nodeVerify(hash, message, { key: spki, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: saltLength - 1 }, signature));
      }
    });

    void it("Sign and Verify with DryRun answer DryRunOperationException", async () => {
      const key = await keyFor("ECC_NIST_P256", "SIGN_VERIFY");
      const signature = bytes((await sign(key, "ECDSA_SHA_256", "RAW", message)).Signature);
      await expectAwsError(
        kms.send(new SignCommand({ KeyId: key.KeyId, SigningAlgorithm: "ECDSA_SHA_256", Message: message, DryRun: true })),
        "DryRunOperationException",
        DRY_RUN,
      );
      await expectAwsError(
        kms.send(new VerifyCommand({ KeyId: key.KeyId, SigningAlgorithm: "ECDSA_SHA_256", Message: message, Signature: signature, DryRun: true })),
        "DryRunOperationException",
        DRY_RUN,
      );
    });
  });

  void describe("RSA Encrypt, Decrypt and ReEncrypt", () => {
    const encrypt = (key: Key, algorithm: EncryptionAlgorithmSpec | undefined, plaintext: Uint8Array) =>
      kms.send(new EncryptCommand({ KeyId: key.KeyId, EncryptionAlgorithm: algorithm, Plaintext: plaintext }));
    const decrypt = (key: Key | undefined, algorithm: EncryptionAlgorithmSpec | undefined, ciphertext: Uint8Array) =>
      kms.send(new DecryptCommand({ KeyId: key?.KeyId, EncryptionAlgorithm: algorithm, CiphertextBlob: ciphertext }));

    const LIMITS: Array<[KeySpec, EncryptionAlgorithmSpec, number, number]> = [
      ["RSA_2048", "RSAES_OAEP_SHA_1", 214, 256],
      ["RSA_2048", "RSAES_OAEP_SHA_256", 190, 256],
      ["RSA_3072", "RSAES_OAEP_SHA_1", 342, 384],
      ["RSA_3072", "RSAES_OAEP_SHA_256", 318, 384],
      ["RSA_4096", "RSAES_OAEP_SHA_1", 470, 512],
      ["RSA_4096", "RSAES_OAEP_SHA_256", 446, 512],
    ];
    for (const [spec, algorithm, limit, modulusBytes] of LIMITS) {
      void it(`${spec} ${algorithm}: ${limit} bytes encrypt and decrypt; ${limit + 1} bytes is AWS's ValidationException`, async () => {
        const key = await keyFor(spec, "ENCRYPT_DECRYPT");
        for (const plaintext of [randomBytes(limit), Buffer.from("x")]) {
          const encrypted = await encrypt(key, algorithm, plaintext);
          assert.equal(encrypted.KeyId, key.Arn);
          assert.equal(encrypted.EncryptionAlgorithm, algorithm);
          assert.equal(bytes(encrypted.CiphertextBlob).length, modulusBytes, "an RSA ciphertext is the bare OAEP block");
          const decrypted = await decrypt(key, algorithm, bytes(encrypted.CiphertextBlob));
          assert.deepEqual(bytes(decrypted.Plaintext), plaintext);
          assert.equal(decrypted.KeyId, key.Arn);
          assert.equal(decrypted.EncryptionAlgorithm, algorithm);
          assert.equal(decrypted.KeyMaterialId, undefined);
        }
        await expectAwsError(
          encrypt(key, algorithm, randomBytes(limit + 1)),
          "ValidationException",
          `Algorithm ${algorithm} and key spec ${spec} cannot encrypt data larger than ${limit} bytes.`,
        );
      });
    }

    void it("the same plaintext encrypts to a different ciphertext each time (OAEP is randomized)", async () => {
      const key = await keyFor("RSA_2048", "ENCRYPT_DECRYPT");
      const [a, b] = await Promise.all([1, 2].map(() => encrypt(key, "RSAES_OAEP_SHA_256", message)));
      assert.notDeepEqual(bytes(a?.CiphertextBlob), bytes(b?.CiphertextBlob));
    });

    void it("an RSA ciphertext does not decrypt without EncryptionAlgorithm, with the other algorithm, without KeyId, or under another key", async () => {
      const key = await keyFor("RSA_2048", "ENCRYPT_DECRYPT");
      const otherKey = await createKey(kms, "RSA_2048", "ENCRYPT_DECRYPT");
      const ciphertext = bytes((await encrypt(key, "RSAES_OAEP_SHA_1", message)).CiphertextBlob);
      // Without an algorithm Decrypt means SYMMETRIC_DEFAULT, which an RSA key cannot do.
      await expectAwsError(decrypt(key, undefined, ciphertext), "InvalidKeyUsageException");
      await expectAwsError(decrypt(key, "SYMMETRIC_DEFAULT", ciphertext), "InvalidKeyUsageException");
      await expectAwsError(decrypt(key, "RSAES_OAEP_SHA_256", ciphertext), "InvalidCiphertextException");
      await expectAwsError(decrypt(undefined, "RSAES_OAEP_SHA_1", ciphertext), "InvalidCiphertextException");
      await expectAwsError(decrypt(otherKey, "RSAES_OAEP_SHA_1", ciphertext), "InvalidCiphertextException");
      const tampered = Buffer.from(ciphertext);
      tampered[10] = (tampered[10] ?? 0) ^ 0x80;
      await expectAwsError(decrypt(key, "RSAES_OAEP_SHA_1", tampered), "InvalidCiphertextException");
      await expectAwsError(decrypt(key, "RSAES_OAEP_SHA_1", ciphertext.subarray(1)), "InvalidCiphertextException");
      // And it still decrypts properly.
      assert.deepEqual(bytes((await decrypt(key, "RSAES_OAEP_SHA_1", ciphertext)).Plaintext), message);
    });

    void it("a failed RSA decryption is InvalidCiphertextException with no message, as AWS sends it", async () => {
      const key = await keyFor("RSA_2048", "ENCRYPT_DECRYPT");
      const answer = await raw("Decrypt", { KeyId: key.KeyId, EncryptionAlgorithm: "RSAES_OAEP_SHA_256", CiphertextBlob: b64(randomBytes(256)) });
      assert.equal(answer.status, 400);
      assert.deepEqual(answer.body, { __type: "InvalidCiphertextException" });
    });

    void it("Encrypt with an RSA key needs an RSA algorithm; a symmetric key refuses the RSA algorithms (InvalidKeyUsageException)", async () => {
      const rsa = await keyFor("RSA_3072", "ENCRYPT_DECRYPT");
      const symmetric = await keyFor("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT");
      await expectAwsError(encrypt(rsa, undefined, message), "InvalidKeyUsageException");
      await expectAwsError(encrypt(rsa, "SYMMETRIC_DEFAULT", message), "InvalidKeyUsageException");
      await expectAwsError(encrypt(symmetric, "RSAES_OAEP_SHA_256", message), "InvalidKeyUsageException");
    });

    void it("GenerateDataKey(WithoutPlaintext) with an RSA encryption key is InvalidKeyUsageException, also as a DryRun", async () => {
      const rsa = await keyFor("RSA_2048", "ENCRYPT_DECRYPT");
      for (const dryRun of [false, true]) {
        await expectAwsError(kms.send(new GenerateDataKeyCommand({ KeyId: rsa.KeyId, KeySpec: "AES_256", DryRun: dryRun })), "InvalidKeyUsageException");
        await expectAwsError(
          kms.send(new GenerateDataKeyWithoutPlaintextCommand({ KeyId: rsa.KeyId, NumberOfBytes: 32, DryRun: dryRun })),
          "InvalidKeyUsageException",
        );
      }
    });

    void it("Encrypt with a SIGN_VERIFY, HMAC or KEY_AGREEMENT key is AWS's InvalidKeyUsageException", async () => {
      for (const [spec, usage] of [
        ["RSA_2048", "SIGN_VERIFY"], // recorded
        ["HMAC_384", "GENERATE_VERIFY_MAC"],
        ["ECC_NIST_P384", "KEY_AGREEMENT"],
      ] as const) {
        const key = await keyFor(spec, usage);
        await expectAwsError(encrypt(key, "RSAES_OAEP_SHA_256", message), "InvalidKeyUsageException", usageMessage(key, "Encrypt"));
      }
    });

    void it("a plaintext over 4096 bytes is the model's ValidationException for RSA keys too", async () => {
      const key = await keyFor("RSA_2048", "ENCRYPT_DECRYPT");
      await expectAwsError(encrypt(key, "RSAES_OAEP_SHA_256", randomBytes(4097)), "ValidationException", PLAINTEXT_TOO_LONG);
    });

    void it("ReEncrypt RSA → symmetric: the new ciphertext decrypts under the symmetric key with its context", async () => {
      const rsa = await keyFor("RSA_2048", "ENCRYPT_DECRYPT");
      const symmetric = await keyFor("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT");
      const ciphertext = bytes((await encrypt(rsa, "RSAES_OAEP_SHA_256", message)).CiphertextBlob);
      const answer = await kms.send(
        new ReEncryptCommand({
          CiphertextBlob: ciphertext,
          SourceKeyId: rsa.KeyId,
          SourceEncryptionAlgorithm: "RSAES_OAEP_SHA_256",
          DestinationKeyId: symmetric.KeyId,
          DestinationEncryptionContext: { purpose: "re-encrypt" },
        }),
      );
      assert.equal(answer.SourceKeyId, rsa.Arn);
      assert.equal(answer.KeyId, symmetric.Arn);
      assert.equal(answer.SourceEncryptionAlgorithm, "RSAES_OAEP_SHA_256");
      assert.equal(answer.DestinationEncryptionAlgorithm, "SYMMETRIC_DEFAULT");
      assert.equal(answer.SourceKeyMaterialId, undefined);
      const decrypted = await kms.send(
        new DecryptCommand({ CiphertextBlob: answer.CiphertextBlob, EncryptionContext: { purpose: "re-encrypt" } }),
      );
      assert.deepEqual(bytes(decrypted.Plaintext), message);
      assert.equal(decrypted.KeyId, symmetric.Arn);
    });

    void it("ReEncrypt symmetric → RSA: the new ciphertext decrypts under the RSA key with its algorithm", async () => {
      const rsa = await keyFor("RSA_3072", "ENCRYPT_DECRYPT");
      const symmetric = await keyFor("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT");
      const source = await kms.send(new EncryptCommand({ KeyId: symmetric.KeyId, Plaintext: message, EncryptionContext: { a: "b" } }));
      const answer = await kms.send(
        new ReEncryptCommand({
          CiphertextBlob: source.CiphertextBlob,
          SourceEncryptionContext: { a: "b" },
          DestinationKeyId: rsa.KeyId,
          DestinationEncryptionAlgorithm: "RSAES_OAEP_SHA_1",
        }),
      );
      assert.equal(answer.SourceKeyId, symmetric.Arn);
      assert.equal(answer.KeyId, rsa.Arn);
      assert.equal(answer.SourceEncryptionAlgorithm, "SYMMETRIC_DEFAULT");
      assert.equal(answer.DestinationEncryptionAlgorithm, "RSAES_OAEP_SHA_1");
      assert.equal(answer.DestinationKeyMaterialId, undefined);
      assert.equal(bytes(answer.CiphertextBlob).length, 384);
      assert.deepEqual(bytes((await decrypt(rsa, "RSAES_OAEP_SHA_1", bytes(answer.CiphertextBlob))).Plaintext), message);
    });

    void it("ReEncrypt RSA → RSA answers exactly the members AWS recorded", async () => {
      const rsa = await keyFor("RSA_2048", "ENCRYPT_DECRYPT");
      const ciphertext = bytes((await encrypt(rsa, "RSAES_OAEP_SHA_256", message)).CiphertextBlob);
      const answer = await raw("ReEncrypt", {
        CiphertextBlob: b64(ciphertext),
        SourceKeyId: rsa.KeyId,
        SourceEncryptionAlgorithm: "RSAES_OAEP_SHA_256",
        DestinationKeyId: rsa.KeyId,
        DestinationEncryptionAlgorithm: "RSAES_OAEP_SHA_256",
      });
      assert.equal(answer.status, 200);
      assert.deepEqual(Object.keys(answer.body).sort(), [
        "CiphertextBlob", "DestinationEncryptionAlgorithm", "KeyId", "SourceEncryptionAlgorithm", "SourceKeyId",
      ]);
      assert.deepEqual(bytes((await decrypt(rsa, "RSAES_OAEP_SHA_256", Buffer.from(answer.body.CiphertextBlob as string, "base64"))).Plaintext), message);
    });

    void it("ReEncrypt refuses: an RSA source without SourceKeyId or algorithm, a too-large plaintext for the RSA destination, a signing destination", async () => {
      const rsa = await keyFor("RSA_2048", "ENCRYPT_DECRYPT");
      const symmetric = await keyFor("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT");
      const ciphertext = bytes((await encrypt(rsa, "RSAES_OAEP_SHA_256", message)).CiphertextBlob);
      await expectAwsError(
        kms.send(new ReEncryptCommand({ CiphertextBlob: ciphertext, SourceEncryptionAlgorithm: "RSAES_OAEP_SHA_256", DestinationKeyId: symmetric.KeyId })),
        "InvalidCiphertextException",
      );
      await expectAwsError(
        kms.send(new ReEncryptCommand({ CiphertextBlob: ciphertext, SourceKeyId: rsa.KeyId, DestinationKeyId: symmetric.KeyId })),
        "InvalidKeyUsageException",
      );
      const big = await kms.send(new EncryptCommand({ KeyId: symmetric.KeyId, Plaintext: randomBytes(191) }));
      await expectAwsError(
        kms.send(new ReEncryptCommand({ CiphertextBlob: big.CiphertextBlob, DestinationKeyId: rsa.KeyId, DestinationEncryptionAlgorithm: "RSAES_OAEP_SHA_256" })),
        "ValidationException",
        "Algorithm RSAES_OAEP_SHA_256 and key spec RSA_2048 cannot encrypt data larger than 190 bytes.",
      );
      await expectAwsError(
        kms.send(new ReEncryptCommand({ CiphertextBlob: big.CiphertextBlob, DestinationKeyId: rsa.KeyId })),
        "InvalidKeyUsageException",
      );
      const signing = await keyFor("RSA_2048", "SIGN_VERIFY");
      await expectAwsError(
        kms.send(new ReEncryptCommand({ CiphertextBlob: big.CiphertextBlob, DestinationKeyId: signing.KeyId, DestinationEncryptionAlgorithm: "RSAES_OAEP_SHA_256" })),
        "InvalidKeyUsageException",
        usageMessage(signing, "ReEncrypt"),
      );
    });
  });

  void describe("GenerateMac and VerifyMac", () => {
    const SPECS: Array<[KeySpec, MacAlgorithmSpec, number]> = [
      ["HMAC_224", "HMAC_SHA_224", 28],
      ["HMAC_256", "HMAC_SHA_256", 32],
      ["HMAC_384", "HMAC_SHA_384", 48],
      ["HMAC_512", "HMAC_SHA_512", 64],
    ];
    const ALL_MAC_ALGORITHMS = SPECS.map(([, algorithm]) => algorithm);
    const generateMac = (key: Key, algorithm: MacAlgorithmSpec, input: Uint8Array) =>
      kms.send(new GenerateMacCommand({ KeyId: key.KeyId, MacAlgorithm: algorithm, Message: input }));
    const verifyMac = (key: Key, algorithm: MacAlgorithmSpec, input: Uint8Array, mac: Uint8Array) =>
      kms.send(new VerifyMacCommand({ KeyId: key.KeyId, MacAlgorithm: algorithm, Message: input, Mac: mac }));

    for (const [spec, algorithm, length] of SPECS) {
      void it(`${spec} ${algorithm}: a ${length}-byte MAC, the same for the same message, that VerifyMac accepts and rejects when changed`, async () => {
        const key = await keyFor(spec, "GENERATE_VERIFY_MAC");
        const generated = await generateMac(key, algorithm, message);
        assert.equal(generated.KeyId, key.Arn);
        assert.equal(generated.MacAlgorithm, algorithm);
        const mac = bytes(generated.Mac);
        assert.equal(mac.length, length);
        assert.deepEqual(bytes((await generateMac(key, algorithm, message)).Mac), mac, "HMAC is deterministic");
        assert.notDeepEqual(bytes((await generateMac(key, algorithm, Buffer.from("other"))).Mac), mac);

        const verified = await verifyMac(key, algorithm, message, mac);
        assert.equal(verified.MacValid, true);
        assert.equal(verified.KeyId, key.Arn);
        assert.equal(verified.MacAlgorithm, algorithm);

        await expectAwsError(verifyMac(key, algorithm, Buffer.from("other"), mac), "KMSInvalidMacException");
        const flipped = Buffer.from(mac);
        flipped[0] = (flipped[0] ?? 0) ^ 0x01;
        await expectAwsError(verifyMac(key, algorithm, message, flipped), "KMSInvalidMacException");
        await expectAwsError(verifyMac(key, algorithm, message, mac.subarray(0, length - 1)), "KMSInvalidMacException");
        await expectAwsError(verifyMac(key, algorithm, message, Buffer.concat([mac, Buffer.from([0])])), "KMSInvalidMacException");
      });

      void it(`${spec}: every other MAC algorithm is AWS's "Algorithm ... is incompatible with key spec ${spec}." on GenerateMac and VerifyMac`, async () => {
        const key = await keyFor(spec, "GENERATE_VERIFY_MAC");
        const mac = bytes((await generateMac(key, algorithm, message)).Mac);
        for (const other of ALL_MAC_ALGORITHMS.filter((candidate) => candidate !== algorithm)) {
          const expected = `Algorithm ${other} is incompatible with key spec ${spec}.`;
          await expectAwsError(generateMac(key, other, message), "InvalidKeyUsageException", expected);
          await expectAwsError(verifyMac(key, other, message, mac), "InvalidKeyUsageException", expected);
        }
      });
    }

    void it("two HMAC keys of the same spec give different MACs", async () => {
      const key = await keyFor("HMAC_256", "GENERATE_VERIFY_MAC");
      const other = await createKey(kms, "HMAC_256", "GENERATE_VERIFY_MAC");
      const mac = bytes((await generateMac(key, "HMAC_SHA_256", message)).Mac);
      assert.notDeepEqual(bytes((await generateMac(other, "HMAC_SHA_256", message)).Mac), mac);
      await expectAwsError(verifyMac(other, "HMAC_SHA_256", message, mac), "KMSInvalidMacException");
    });

    void it("an unknown MacAlgorithm is the model's enum ValidationException, in AWS's order", async () => {
      const key = await keyFor("HMAC_256", "GENERATE_VERIFY_MAC");
      const expected =
        "1 validation error detected: Value 'INVALID' at 'macAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [HMAC_SHA_384, HMAC_SHA_256, HMAC_SHA_224, HMAC_SHA_512]";
      await expectAwsError(generateMac(key, "INVALID" as MacAlgorithmSpec, message), "ValidationException", expected);
      await expectAwsError(verifyMac(key, "INVALID" as MacAlgorithmSpec, message, randomBytes(32)), "ValidationException", expected);
    });

    void it("a wrong MAC is KMSInvalidMacException with no message at all, as AWS sends it", async () => {
      const key = await keyFor("HMAC_256", "GENERATE_VERIFY_MAC");
      const answer = await raw("VerifyMac", { KeyId: key.KeyId, MacAlgorithm: "HMAC_SHA_256", Message: b64(message), Mac: b64(randomBytes(32)) });
      assert.equal(answer.status, 400);
      assert.deepEqual(answer.body, { __type: "KMSInvalidMacException" });
    });

    void it("GenerateMac and VerifyMac with a key of another usage are AWS's InvalidKeyUsageException", async () => {
      for (const [spec, usage] of [
        ["SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT"], // recorded for GenerateMac
        ["RSA_2048", "ENCRYPT_DECRYPT"],
        ["ECC_NIST_P256", "SIGN_VERIFY"],
        ["ECC_NIST_P256", "KEY_AGREEMENT"],
      ] as const) {
        const key = await keyFor(spec, usage);
        await expectAwsError(generateMac(key, "HMAC_SHA_256", message), "InvalidKeyUsageException", usageMessage(key, "GenerateMac"));
        await expectAwsError(verifyMac(key, "HMAC_SHA_256", message, randomBytes(32)), "InvalidKeyUsageException", usageMessage(key, "VerifyMac"));
      }
    });

    void it("a Message of 4096 bytes gets a MAC; 4097 bytes is the model's ValidationException", async () => {
      const key = await keyFor("HMAC_512", "GENERATE_VERIFY_MAC");
      const largest = randomBytes(4096);
      const mac = bytes((await generateMac(key, "HMAC_SHA_512", largest)).Mac);
      assert.equal((await verifyMac(key, "HMAC_SHA_512", largest, mac)).MacValid, true);
      await expectAwsError(generateMac(key, "HMAC_SHA_512", randomBytes(4097)), "ValidationException", MESSAGE_TOO_LONG);
      await expectAwsError(verifyMac(key, "HMAC_SHA_512", randomBytes(4097), mac), "ValidationException", MESSAGE_TOO_LONG);
    });

    void it("GenerateMac and VerifyMac with DryRun answer DryRunOperationException", async () => {
      const key = await keyFor("HMAC_224", "GENERATE_VERIFY_MAC");
      const mac = bytes((await generateMac(key, "HMAC_SHA_224", message)).Mac);
      await expectAwsError(
        kms.send(new GenerateMacCommand({ KeyId: key.KeyId, MacAlgorithm: "HMAC_SHA_224", Message: message, DryRun: true })),
        "DryRunOperationException",
        DRY_RUN,
      );
      await expectAwsError(
        kms.send(new VerifyMacCommand({ KeyId: key.KeyId, MacAlgorithm: "HMAC_SHA_224", Message: message, Mac: mac, DryRun: true })),
        "DryRunOperationException",
        DRY_RUN,
      );
    });
  });

  void describe("DeriveSharedSecret", () => {
    const CURVES: Array<[KeySpec, string, number]> = [
      ["ECC_NIST_P256", "prime256v1", 32],
      ["ECC_NIST_P384", "secp384r1", 48],
      ["ECC_NIST_P521", "secp521r1", 66],
    ];
    const derive = (key: Key, peerPublicKey: Uint8Array) =>
      kms.send(new DeriveSharedSecretCommand({ KeyId: key.KeyId, KeyAgreementAlgorithm: "ECDH", PublicKey: peerPublicKey }));
    const spkiOf = (key: KeyObject) => key.export({ type: "spki", format: "der" });

    for (const [spec, curve, length] of CURVES) {
      void it(`${spec}: the shared secret equals ECDH computed locally with the peer's private key and the KMS public key`, async () => {
        const key = await keyFor(spec, "KEY_AGREEMENT");
        const peer = generateKeyPairSync("ec", { namedCurve: curve });
        const answer = await derive(key, spkiOf(peer.publicKey));
        assert.equal(answer.KeyId, key.Arn);
        assert.equal(answer.KeyAgreementAlgorithm, "ECDH");
        assert.equal(answer.KeyOrigin, "AWS_KMS");
        const kmsPublicKey = createPublicKey({ key: await publicKeyOf(key), format: "der", type: "spki" });
        const expected = diffieHellman({ privateKey: peer.privateKey, publicKey: kmsPublicKey });
        assert.equal(expected.length, length);
        assert.deepEqual(bytes(answer.SharedSecret), expected);
        // A compressed-point SubjectPublicKeyInfo of the same peer names the same point.
        const compressed = createPublicKey({ key: peer.publicKey.export({ format: "jwk" }), format: "jwk" });
        assert.deepEqual(bytes((await derive(key, spkiOf(compressed))).SharedSecret), expected);
      });

      void it(`${spec}: a peer key on another curve, or not an EC key, is ValidationException`, async () => {
        const key = await keyFor(spec, "KEY_AGREEMENT");
        const others = [
          ...CURVES.filter(([, other]) => other !== curve).map(([, other]) => generateKeyPairSync("ec", { namedCurve: other }).publicKey),
          generateKeyPairSync("ec", { namedCurve: "secp256k1" }).publicKey,
          generateKeyPairSync("ed25519").publicKey,
          generateKeyPairSync("x25519").publicKey,
          generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey,
        ];
        for (const other of others) await expectAwsError(derive(key, spkiOf(other)), "ValidationException");
      });
    }

    void it("a malformed peer public key is ValidationException with no message at all, as AWS answers", async () => {
      const key = await keyFor("ECC_NIST_P256", "KEY_AGREEMENT");
      const peer = spkiOf(generateKeyPairSync("ec", { namedCurve: "prime256v1" }).publicKey);
      const offCurve = Buffer.from(peer);
      offCurve[offCurve.length - 1] = (offCurve[offCurve.length - 1] ?? 0) ^ 0x01;
      for (const malformed of [randomBytes(91), peer.subarray(0, 60), offCurve, rawPoint(peer)]) {
        await expectAwsError(derive(key, malformed), "ValidationException");
        const answer = await raw("DeriveSharedSecret", { KeyId: key.KeyId, KeyAgreementAlgorithm: "ECDH", PublicKey: b64(malformed) });
        assert.deepEqual(answer.body, { __type: "ValidationException" });
      }
    });

    void it("a SIGN_VERIFY ECC key and a symmetric key are AWS's InvalidKeyUsageException", async () => {
      const peer = spkiOf(generateKeyPairSync("ec", { namedCurve: "prime256v1" }).publicKey);
      for (const [spec, usage] of [
        ["ECC_NIST_P256", "SIGN_VERIFY"], // recorded
        ["SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT"], // recorded
        ["HMAC_256", "GENERATE_VERIFY_MAC"],
        ["RSA_2048", "ENCRYPT_DECRYPT"],
      ] as const) {
        const key = await keyFor(spec, usage);
        await expectAwsError(derive(key, peer), "InvalidKeyUsageException", usageMessage(key, "DeriveSharedSecret"));
      }
    });

    void it("an unknown KeyAgreementAlgorithm is the recorded enum ValidationException", async () => {
      const key = await keyFor("ECC_NIST_P256", "KEY_AGREEMENT");
      const peer = spkiOf(generateKeyPairSync("ec", { namedCurve: "prime256v1" }).publicKey);
      await expectAwsError(
        kms.send(new DeriveSharedSecretCommand({ KeyId: key.KeyId, KeyAgreementAlgorithm: "INVALID" as "ECDH", PublicKey: peer })),
        "ValidationException",
        "1 validation error detected: Value 'INVALID' at 'keyAgreementAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [ECDH]",
      );
    });

    void it("DeriveSharedSecret with DryRun answers DryRunOperationException", async () => {
      const key = await keyFor("ECC_NIST_P384", "KEY_AGREEMENT");
      const peer = spkiOf(generateKeyPairSync("ec", { namedCurve: "secp384r1" }).publicKey);
      await expectAwsError(
        kms.send(new DeriveSharedSecretCommand({ KeyId: key.KeyId, KeyAgreementAlgorithm: "ECDH", PublicKey: peer, DryRun: true })),
        "DryRunOperationException",
        DRY_RUN,
      );
    });
  });

  void describe("GenerateDataKeyPair and GenerateDataKeyPairWithoutPlaintext", () => {
    const context = { purpose: "data-key-pair" };
    // Every KeyPairSpec of kmsd's model but SM2 (China only). The newest SDK also lists ML_KEM_*,
    // which kmsd's (older) model does not accept yet.
    const SPECS: DataKeyPairSpec[] = [
      "RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1", "ECC_NIST_EDWARDS25519",
    ];

    /** Proves the private key belongs to the public key by using the pair: it signs, the public key verifies. */
    function assertPairMatches(spec: DataKeyPairSpec, publicDer: Buffer, privateDer: Buffer): void {
      const publicKey = createPublicKey({ key: publicDer, format: "der", type: "spki" });
      const privateKey = createPrivateKey({ key: privateDer, format: "der", type: "pkcs8" });
      const shape = NODE_KEY_SHAPES[spec];
      assert.equal(publicKey.asymmetricKeyType, shape?.type);
      assert.equal(privateKey.asymmetricKeyType, shape?.type);
      if (shape?.modulusLength) assert.equal(publicKey.asymmetricKeyDetails?.modulusLength, shape.modulusLength);
      if (shape?.namedCurve) assert.equal(publicKey.asymmetricKeyDetails?.namedCurve, shape.namedCurve);
      assert.deepEqual(createPublicKey(privateKey).export({ type: "spki", format: "der" }), publicDer);
      const digest = spec === "ECC_NIST_EDWARDS25519" ? null : "sha256";
      const signature = nodeSign(digest, message, privateKey);
      assert.ok(nodeVerify(digest, message, publicKey, signature), "the public key verifies what the private key signed");
      assert.ok(!nodeVerify(digest, Buffer.from("other"), publicKey, signature));
    }

    for (const spec of SPECS) {
      void it(`GenerateDataKeyPair ${spec}: the plaintext private key matches the public key, and the encrypted one decrypts to it`, async () => {
        const symmetric = await keyFor("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT");
        const answer = await kms.send(new GenerateDataKeyPairCommand({ KeyId: symmetric.KeyId, KeyPairSpec: spec, EncryptionContext: context }));
        assert.equal(answer.KeyId, symmetric.Arn);
        assert.equal(answer.KeyPairSpec, spec);
        const privateKey = bytes(answer.PrivateKeyPlaintext);
        assertPairMatches(spec, bytes(answer.PublicKey), privateKey);
        const decrypted = await kms.send(new DecryptCommand({ CiphertextBlob: answer.PrivateKeyCiphertextBlob, EncryptionContext: context }));
        assert.equal(decrypted.KeyId, symmetric.Arn);
        assert.deepEqual(bytes(decrypted.Plaintext), privateKey, "the blob decrypts to the same PKCS#8 bytes");
        await expectAwsError(kms.send(new DecryptCommand({ CiphertextBlob: answer.PrivateKeyCiphertextBlob })), "InvalidCiphertextException");
      });

      if (spec === "RSA_4096") continue; // generated once above is enough
      void it(`GenerateDataKeyPairWithoutPlaintext ${spec}: no plaintext; the encrypted private key decrypts to a key matching the public key`, async () => {
        const symmetric = await keyFor("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT");
        const answer = await kms.send(
          new GenerateDataKeyPairWithoutPlaintextCommand({ KeyId: symmetric.KeyId, KeyPairSpec: spec, EncryptionContext: context }),
        );
        assert.equal(answer.KeyId, symmetric.Arn);
        assert.equal(answer.KeyPairSpec, spec);
        assert.equal((answer as { PrivateKeyPlaintext?: unknown }).PrivateKeyPlaintext, undefined);
        const decrypted = await kms.send(new DecryptCommand({ CiphertextBlob: answer.PrivateKeyCiphertextBlob, EncryptionContext: context }));
        assertPairMatches(spec, bytes(answer.PublicKey), bytes(decrypted.Plaintext));
      });
    }

    void it("two calls give two different key pairs", async () => {
      const symmetric = await keyFor("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT");
      const [a, b] = await Promise.all(
        [1, 2].map(() => kms.send(new GenerateDataKeyPairCommand({ KeyId: symmetric.KeyId, KeyPairSpec: "ECC_NIST_P256" }))),
      );
      assert.notDeepEqual(bytes(a?.PublicKey), bytes(b?.PublicKey));
      assert.notDeepEqual(bytes(a?.PrivateKeyPlaintext), bytes(b?.PrivateKeyPlaintext));
    });

    void it("DryRun is the recorded DryRunOperationException, for both operations", async () => {
      const symmetric = await keyFor("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT");
      await expectAwsError(
        kms.send(new GenerateDataKeyPairCommand({ KeyId: symmetric.KeyId, KeyPairSpec: "RSA_2048", DryRun: true })),
        "DryRunOperationException",
        DRY_RUN,
      );
      await expectAwsError(
        kms.send(new GenerateDataKeyPairWithoutPlaintextCommand({ KeyId: symmetric.KeyId, KeyPairSpec: "RSA_2048", DryRun: true })),
        "DryRunOperationException",
        DRY_RUN,
      );
    });

    void it("the encrypting key must be a symmetric ENCRYPT_DECRYPT key (InvalidKeyUsageException otherwise)", async () => {
      for (const [spec, usage] of [
        ["RSA_2048", "ENCRYPT_DECRYPT"],
        ["RSA_2048", "SIGN_VERIFY"],
        ["HMAC_256", "GENERATE_VERIFY_MAC"],
        ["ECC_NIST_P256", "KEY_AGREEMENT"],
      ] as const) {
        const key = await keyFor(spec, usage);
        // AWS's wording for an asymmetric ENCRYPT_DECRYPT key is not recorded: only the error type is checked then.
        const expected = (operation: string) => (usage === "ENCRYPT_DECRYPT" ? undefined : usageMessage(key, operation));
        await expectAwsError(
          kms.send(new GenerateDataKeyPairCommand({ KeyId: key.KeyId, KeyPairSpec: "ECC_NIST_P256" })),
          "InvalidKeyUsageException",
          expected("GenerateDataKeyPair"),
        );
        await expectAwsError(
          kms.send(new GenerateDataKeyPairWithoutPlaintextCommand({ KeyId: key.KeyId, KeyPairSpec: "ECC_NIST_P256" })),
          "InvalidKeyUsageException",
          expected("GenerateDataKeyPairWithoutPlaintext"),
        );
      }
    });

    void it("KeyPairSpec SM2 is UnsupportedOperationException outside China; an unknown one is the model's ValidationException", async () => {
      const symmetric = await keyFor("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT");
      await expectAwsError(
        kms.send(new GenerateDataKeyPairCommand({ KeyId: symmetric.KeyId, KeyPairSpec: "SM2" })),
        "UnsupportedOperationException",
      );
      await expectAwsError(
        kms.send(new GenerateDataKeyPairCommand({ KeyId: symmetric.KeyId, KeyPairSpec: "ML_DSA_65" as DataKeyPairSpec })),
        "ValidationException",
        /^1 validation error detected: Value 'ML_DSA_65' at 'keyPairSpec' failed to satisfy constraint: Member must satisfy enum value set: \[/,
      );
    });
  });

  void describe("DryRun", () => {
    void it("a DryRun that would fail answers the real error, not DryRunOperationException", async () => {
      const rsa = await keyFor("RSA_2048", "ENCRYPT_DECRYPT");
      const signing = await keyFor("ECC_NIST_P256", "SIGN_VERIFY");
      const hmac = await keyFor("HMAC_256", "GENERATE_VERIFY_MAC");
      const agreement = await keyFor("ECC_NIST_P256", "KEY_AGREEMENT");
      const symmetric = await keyFor("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT");
      const ciphertext = bytes(
        (await kms.send(new EncryptCommand({ KeyId: rsa.KeyId, EncryptionAlgorithm: "RSAES_OAEP_SHA_1", Plaintext: message }))).CiphertextBlob,
      );
      await expectAwsError(
        kms.send(new EncryptCommand({ KeyId: rsa.KeyId, EncryptionAlgorithm: "RSAES_OAEP_SHA_1", Plaintext: randomBytes(215), DryRun: true })),
        "ValidationException",
        "Algorithm RSAES_OAEP_SHA_1 and key spec RSA_2048 cannot encrypt data larger than 214 bytes.",
      );
      await expectAwsError(
        kms.send(new DecryptCommand({ KeyId: rsa.KeyId, EncryptionAlgorithm: "RSAES_OAEP_SHA_256", CiphertextBlob: ciphertext, DryRun: true })),
        "InvalidCiphertextException",
      );
      await expectAwsError(
        kms.send(new SignCommand({ KeyId: signing.KeyId, SigningAlgorithm: "ECDSA_SHA_256", MessageType: "DIGEST", Message: randomBytes(31), DryRun: true })),
        "ValidationException",
        "Digest is invalid length for algorithm ECDSA_SHA_256.",
      );
      await expectAwsError(
        kms.send(new VerifyCommand({ KeyId: signing.KeyId, SigningAlgorithm: "ECDSA_SHA_384", Message: message, Signature: randomBytes(70), DryRun: true })),
        "InvalidKeyUsageException",
      );
      await expectAwsError(
        kms.send(new GenerateMacCommand({ KeyId: hmac.KeyId, MacAlgorithm: "HMAC_SHA_512", Message: message, DryRun: true })),
        "InvalidKeyUsageException",
        "Algorithm HMAC_SHA_512 is incompatible with key spec HMAC_256.",
      );
      await expectAwsError(
        kms.send(new VerifyMacCommand({ KeyId: hmac.KeyId, MacAlgorithm: "HMAC_SHA_512", Message: message, Mac: randomBytes(64), DryRun: true })),
        "InvalidKeyUsageException",
        "Algorithm HMAC_SHA_512 is incompatible with key spec HMAC_256.",
      );
      await expectAwsError(
        kms.send(new DeriveSharedSecretCommand({ KeyId: agreement.KeyId, KeyAgreementAlgorithm: "ECDH", PublicKey: randomBytes(91), DryRun: true })),
        "ValidationException",
      );
      await expectAwsError(
        kms.send(new GenerateDataKeyPairCommand({ KeyId: symmetric.KeyId, KeyPairSpec: "SM2", DryRun: true })),
        "UnsupportedOperationException",
      );
    });
  });

  void describe("key states", () => {
    void it("a Disabled key refuses Sign, Verify, GetPublicKey, GenerateMac, VerifyMac, DeriveSharedSecret, RSA Encrypt and Decrypt with DisabledException; enabled again, all work", async () => {
      const signing = await createKey(kms, "ECC_NIST_P256", "SIGN_VERIFY");
      const mac = await createKey(kms, "HMAC_256", "GENERATE_VERIFY_MAC");
      const agreement = await createKey(kms, "ECC_NIST_P256", "KEY_AGREEMENT");
      const rsa = await createKey(kms, "RSA_2048", "ENCRYPT_DECRYPT");
      const peer = generateKeyPairSync("ec", { namedCurve: "prime256v1" }).publicKey.export({ type: "spki", format: "der" });
      const signature = bytes((await kms.send(new SignCommand({ KeyId: signing.KeyId, SigningAlgorithm: "ECDSA_SHA_256", Message: message }))).Signature);
      const tag = bytes((await kms.send(new GenerateMacCommand({ KeyId: mac.KeyId, MacAlgorithm: "HMAC_SHA_256", Message: message }))).Mac);
      const ciphertext = bytes(
        (await kms.send(new EncryptCommand({ KeyId: rsa.KeyId, EncryptionAlgorithm: "RSAES_OAEP_SHA_256", Plaintext: message }))).CiphertextBlob,
      );
      const calls: Array<[Key, () => Promise<unknown>]> = [
        [signing, () => kms.send(new SignCommand({ KeyId: signing.KeyId, SigningAlgorithm: "ECDSA_SHA_256", Message: message }))],
        [signing, () => kms.send(new VerifyCommand({ KeyId: signing.KeyId, SigningAlgorithm: "ECDSA_SHA_256", Message: message, Signature: signature }))],
        [signing, () => kms.send(new GetPublicKeyCommand({ KeyId: signing.KeyId }))],
        [mac, () => kms.send(new GenerateMacCommand({ KeyId: mac.KeyId, MacAlgorithm: "HMAC_SHA_256", Message: message }))],
        [mac, () => kms.send(new VerifyMacCommand({ KeyId: mac.KeyId, MacAlgorithm: "HMAC_SHA_256", Message: message, Mac: tag }))],
        [agreement, () => kms.send(new DeriveSharedSecretCommand({ KeyId: agreement.KeyId, KeyAgreementAlgorithm: "ECDH", PublicKey: peer }))],
        [agreement, () => kms.send(new GetPublicKeyCommand({ KeyId: agreement.KeyId }))],
        [rsa, () => kms.send(new EncryptCommand({ KeyId: rsa.KeyId, EncryptionAlgorithm: "RSAES_OAEP_SHA_256", Plaintext: message }))],
        [rsa, () => kms.send(new DecryptCommand({ KeyId: rsa.KeyId, EncryptionAlgorithm: "RSAES_OAEP_SHA_256", CiphertextBlob: ciphertext }))],
      ];
      for (const key of [signing, mac, agreement, rsa]) await kms.send(new DisableKeyCommand({ KeyId: key.KeyId }));
      for (const [key, call] of calls) await expectAwsError(call(), "DisabledException", `${key.Arn} is disabled.`);
      // The state check comes before the usage check.
      await expectAwsError(
        kms.send(new SignCommand({ KeyId: mac.KeyId, SigningAlgorithm: "ECDSA_SHA_256", Message: message })),
        "DisabledException",
        `${mac.Arn} is disabled.`,
      );
      const described = await kms.send(new DescribeKeyCommand({ KeyId: signing.KeyId }));
      assert.equal(described.KeyMetadata?.KeyState, "Disabled");
      assert.deepEqual(described.KeyMetadata?.SigningAlgorithms, ["ECDSA_SHA_256"]);
      for (const key of [signing, mac, agreement, rsa]) await kms.send(new EnableKeyCommand({ KeyId: key.KeyId }));
      for (const [, call] of calls) await call();
    });

    void it("a key pending deletion refuses Sign, GetPublicKey, GenerateMac and DeriveSharedSecret with KMSInvalidStateException", async () => {
      const signing = await createKey(kms, "ECC_NIST_P384", "SIGN_VERIFY");
      const mac = await createKey(kms, "HMAC_384", "GENERATE_VERIFY_MAC");
      const agreement = await createKey(kms, "ECC_NIST_P384", "KEY_AGREEMENT");
      const peer = generateKeyPairSync("ec", { namedCurve: "secp384r1" }).publicKey.export({ type: "spki", format: "der" });
      for (const key of [signing, mac, agreement]) await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));
      const calls: Array<[Key, () => Promise<unknown>]> = [
        [signing, () => kms.send(new SignCommand({ KeyId: signing.KeyId, SigningAlgorithm: "ECDSA_SHA_384", Message: message }))],
        [signing, () => kms.send(new GetPublicKeyCommand({ KeyId: signing.KeyId }))],
        [mac, () => kms.send(new GenerateMacCommand({ KeyId: mac.KeyId, MacAlgorithm: "HMAC_SHA_384", Message: message }))],
        [agreement, () => kms.send(new DeriveSharedSecretCommand({ KeyId: agreement.KeyId, KeyAgreementAlgorithm: "ECDH", PublicKey: peer }))],
      ];
      for (const [key, call] of calls) await expectAwsError(call(), "KMSInvalidStateException", `${key.Arn} is pending deletion.`);
    });
  });
});

void describe("asymmetric and HMAC keys across a restart, and at rest", () => {
  let kmsd: Kmsd;
  let dataDir: string;
  before(async () => {
    kmsd = await startKmsd();
    dataDir = kmsd.dataDir;
  });
  after(async () => {
    await kmsd.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  void it("signatures, MACs, RSA ciphertexts and shared secrets made before a restart still verify, compare, decrypt and match after it", async () => {
    let kms = kmsd.kms();
    const specs: Array<[KeySpec, KeyUsageType]> = [
      ["ECC_NIST_P256", "SIGN_VERIFY"],
      ["RSA_2048", "SIGN_VERIFY"],
      ["ECC_NIST_EDWARDS25519", "SIGN_VERIFY"],
      ["ML_DSA_44", "SIGN_VERIFY"],
      ["HMAC_256", "GENERATE_VERIFY_MAC"],
      ["ECC_NIST_P256", "KEY_AGREEMENT"],
      ["RSA_2048", "ENCRYPT_DECRYPT"],
    ];
    const [ecdsa, rsaSigning, ed25519, mlDsa, hmac, agreement, rsa] = await Promise.all(specs.map(([spec, usage]) => createKey(kms, spec, usage)));
    if (!ecdsa || !rsaSigning || !ed25519 || !mlDsa || !hmac || !agreement || !rsa) throw new Error("missing key");
    const signers: Array<[Key, SigningAlgorithmSpec]> = [
      [ecdsa, "ECDSA_SHA_256"],
      [rsaSigning, "RSASSA_PSS_SHA_256"],
      [ed25519, "ED25519_SHA_512"],
      [mlDsa, "ML_DSA_SHAKE_256"],
    ];
    const peer = generateKeyPairSync("ec", { namedCurve: "prime256v1" }).publicKey.export({ type: "spki", format: "der" });
    const snapshot = async (client: KMSClient) => ({
      publicKeys: await Promise.all([...signers.map(([key]) => key), agreement, rsa].map(async (key) => bytes((await client.send(new GetPublicKeyCommand({ KeyId: key.KeyId }))).PublicKey))),
      mac: bytes((await client.send(new GenerateMacCommand({ KeyId: hmac.KeyId, MacAlgorithm: "HMAC_SHA_256", Message: message }))).Mac),
      secret: bytes((await client.send(new DeriveSharedSecretCommand({ KeyId: agreement.KeyId, KeyAgreementAlgorithm: "ECDH", PublicKey: peer }))).SharedSecret),
    });
    const before = await snapshot(kms);
    const signatures = await Promise.all(
      signers.map(async ([key, algorithm]) => bytes((await kms.send(new SignCommand({ KeyId: key.KeyId, SigningAlgorithm: algorithm, Message: message }))).Signature)),
    );
    const ciphertext = bytes(
      (await kms.send(new EncryptCommand({ KeyId: rsa.KeyId, EncryptionAlgorithm: "RSAES_OAEP_SHA_1", Plaintext: message }))).CiphertextBlob,
    );

    await kmsd.stop();
    kmsd = await startKmsd({ dataDir });
    kms = kmsd.kms();

    assert.deepEqual(await snapshot(kms), before, "same public keys, same MAC, same shared secret");
    for (const [i, [key, algorithm]] of signers.entries()) {
      const old = await kms.send(new VerifyCommand({ KeyId: key.KeyId, SigningAlgorithm: algorithm, Message: message, Signature: signatures[i] }));
      assert.equal(old.SignatureValid, true, `${key.KeySpec}: a signature from before the restart verifies`);
      const fresh = bytes((await kms.send(new SignCommand({ KeyId: key.KeyId, SigningAlgorithm: algorithm, Message: message }))).Signature);
      assert.ok(nodeVerifies(before.publicKeys[i] ?? Buffer.alloc(0), algorithm, message, fresh), `${key.KeySpec}: a new signature verifies with the old public key`);
    }
    assert.equal((await kms.send(new VerifyMacCommand({ KeyId: hmac.KeyId, MacAlgorithm: "HMAC_SHA_256", Message: message, Mac: before.mac }))).MacValid, true);
    const decrypted = await kms.send(new DecryptCommand({ KeyId: rsa.KeyId, EncryptionAlgorithm: "RSAES_OAEP_SHA_1", CiphertextBlob: ciphertext }));
    assert.deepEqual(bytes(decrypted.Plaintext), message);
  });

  void it("private keys and HMAC keys are stored wrapped: unwrapped (with the stolen root key) they are the keys' own, and are nowhere in the database file", async () => {
    const kms = kmsd.kms();
    const signing = await createKey(kms, "ECC_NIST_P256", "SIGN_VERIFY");
    const hmac = await createKey(kms, "HMAC_512", "GENERATE_VERIFY_MAC");
    const symmetric = await createKey(kms);
    const dataKeyPair = await kms.send(new GenerateDataKeyPairCommand({ KeyId: symmetric.KeyId, KeyPairSpec: "ECC_NIST_P384" }));
    const spki = bytes((await kms.send(new GetPublicKeyCommand({ KeyId: signing.KeyId }))).PublicKey);
    const mac = bytes((await kms.send(new GenerateMacCommand({ KeyId: hmac.KeyId, MacAlgorithm: "HMAC_SHA_512", Message: message }))).Mac);

    const rootKey = FileRootKey.load(join(dataDir, "root.key"));
    const unwrap = (key: Key): Buffer => {
      const reader = new DatabaseSync(join(dataDir, "kmsd.db"), { readOnly: true });
      try {
        const rows = reader.prepare("SELECT key_material_id, wrapped FROM key_materials WHERE key_id = ?").all(key.KeyId) as Array<{
          key_material_id: string;
          wrapped: Uint8Array;
        }>;
        assert.equal(rows.length, 1);
        const row = rows[0] as (typeof rows)[number];
        return rootKey.unwrap(Buffer.from(row.wrapped), Buffer.from(`${key.Arn}\n${row.key_material_id}`, "utf8"));
      } finally {
        reader.close();
      }
    };
    const privateKey = unwrap(signing);
    assert.deepEqual(
      createPublicKey(createPrivateKey({ key: privateKey, format: "der", type: "pkcs8" })).export({ type: "spki", format: "der" }),
      spki,
      "the unwrapped PKCS#8 is the private half of the key GetPublicKey shows",
    );
    const hmacKey = unwrap(hmac);
    assert.equal(hmacKey.length, 64);
    assert.deepEqual(createHmac("sha512", hmacKey).update(message).digest(), mac, "GenerateMac is RFC 2104 HMAC-SHA-512 under that key");

    const files = ["kmsd.db", "kmsd.db-wal"].map((name) => {
      try {
        return readFileSync(join(dataDir, name));
      } catch {
        return Buffer.alloc(0);
      }
    });
    const database = Buffer.concat(files);
    assert.ok(database.length > 0);
    const secrets = [privateKey, hmacKey, bytes(dataKeyPair.PrivateKeyPlaintext)];
    for (const secret of secrets) {
      // PKCS#8 starts with a fixed header: search a window from the secret's end.
      assert.equal(database.indexOf(secret.subarray(secret.length - 24)), -1, "a secret key is in the database file unwrapped");
    }
  });
});

/** The bare EC point of a SubjectPublicKeyInfo (not an SPKI itself). */
function rawPoint(spki: Buffer): Buffer {
  return spki.subarray(spki.length - 65);
}
