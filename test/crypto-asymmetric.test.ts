/**
 * Behaviour of the asymmetric, HMAC and key-agreement primitives against AWS KMS semantics:
 * the capability table, key generation, Sign/Verify over every (spec, algorithm, message type),
 * RSA encryption limits, HMAC and ECDH, with AWS's exact errors.
 * (`void`: node:test returns promises that the runner itself awaits.)
 */
import assert from "node:assert/strict";
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import type {
  DataKeyPairSpec,
  EncryptionAlgorithmSpec,
  KeySpec,
  KeyUsageType,
  MacAlgorithmSpec,
  MessageType,
  SigningAlgorithmSpec,
} from "@aws-sdk/client-kms";
import {
  ALL_KEY_SPECS,
  algorithmsFor,
  allowedKeyUsages,
  canAgreeKeys,
  canEncapsulate,
  canEncrypt,
  canGenerateMac,
  canSign,
  deriveSharedSecret,
  generateDataKeyPair,
  generateHmacKey,
  generateKeyPairFor,
  generateMac,
  isAsymmetricKeySpec,
  isHmacKeySpec,
  isKnownKeySpec,
  KeyMaterialMismatchError,
  maxRsaPlaintextBytes,
  prepareAsymmetricKey,
  rsaDecrypt,
  rsaEncrypt,
  sign,
  validateCreateKeySpecAndUsage,
  verify,
  verifyMac,
  type PreparedAsymmetricKey,
  type SupportedAsymmetricKeySpec,
} from "../src/crypto/asymmetric/index.ts";

/** Asserts that `run` throws the AWS error `code` with exactly `message`. */
function assertAwsError(run: () => unknown, code: string, message: string): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof Error, "expected an Error");
    assert.equal((error as Error & { code?: string }).code, code);
    assert.equal(error.message, message);
    return true;
  });
}

/** Flips one bit of a copy (a tampered message or signature). */
function flipLastBit(bytes: Uint8Array): Buffer {
  const copy = Buffer.from(bytes);
  copy[copy.length - 1] = (copy[copy.length - 1] ?? 0) ^ 0x01;
  return copy;
}

const USAGES: readonly KeyUsageType[] = [
  "ENCRYPT_DECRYPT",
  "SIGN_VERIFY",
  "GENERATE_VERIFY_MAC",
  "KEY_AGREEMENT",
  "ENCAPSULATE_DECAPSULATE",
];

/** The CreateKey matrix, written out from the AWS documentation rather than read from the implementation. */
const EXPECTED_USAGES: Readonly<Record<KeySpec, readonly KeyUsageType[]>> = {
  SYMMETRIC_DEFAULT: ["ENCRYPT_DECRYPT"],
  RSA_2048: ["ENCRYPT_DECRYPT", "SIGN_VERIFY"],
  RSA_3072: ["ENCRYPT_DECRYPT", "SIGN_VERIFY"],
  RSA_4096: ["ENCRYPT_DECRYPT", "SIGN_VERIFY"],
  ECC_NIST_P256: ["SIGN_VERIFY", "KEY_AGREEMENT"],
  ECC_NIST_P384: ["SIGN_VERIFY", "KEY_AGREEMENT"],
  ECC_NIST_P521: ["SIGN_VERIFY", "KEY_AGREEMENT"],
  ECC_SECG_P256K1: ["SIGN_VERIFY"],
  ECC_NIST_EDWARDS25519: ["SIGN_VERIFY"],
  ML_DSA_44: ["SIGN_VERIFY"],
  ML_DSA_65: ["SIGN_VERIFY"],
  ML_DSA_87: ["SIGN_VERIFY"],
  ML_KEM_512: ["ENCAPSULATE_DECAPSULATE"],
  ML_KEM_768: ["ENCAPSULATE_DECAPSULATE"],
  ML_KEM_1024: ["ENCAPSULATE_DECAPSULATE"],
  HMAC_224: ["GENERATE_VERIFY_MAC"],
  HMAC_256: ["GENERATE_VERIFY_MAC"],
  HMAC_384: ["GENERATE_VERIFY_MAC"],
  HMAC_512: ["GENERATE_VERIFY_MAC"],
  SM2: ["ENCRYPT_DECRYPT", "SIGN_VERIFY", "KEY_AGREEMENT"],
};

const RSA_SIGNING: readonly SigningAlgorithmSpec[] = [
  "RSASSA_PKCS1_V1_5_SHA_256",
  "RSASSA_PKCS1_V1_5_SHA_384",
  "RSASSA_PKCS1_V1_5_SHA_512",
  "RSASSA_PSS_SHA_256",
  "RSASSA_PSS_SHA_384",
  "RSASSA_PSS_SHA_512",
];

/** Every signing (spec, algorithm) AWS offers outside China, with the message types each accepts and its hash. */
const SIGNING_CASES: ReadonlyArray<{
  spec: SupportedAsymmetricKeySpec;
  algorithm: SigningAlgorithmSpec;
  messageTypes: readonly MessageType[];
  hash: "sha256" | "sha384" | "sha512" | undefined;
}> = [
  ...(["RSA_2048", "RSA_3072", "RSA_4096"] as const).flatMap((spec) =>
    RSA_SIGNING.map((algorithm) => ({
      spec,
      algorithm,
      messageTypes: ["RAW", "DIGEST"] as const,
      hash: `sha${algorithm.slice(-3)}` as "sha256" | "sha384" | "sha512",
    })),
  ),
  { spec: "ECC_NIST_P256", algorithm: "ECDSA_SHA_256", messageTypes: ["RAW", "DIGEST"], hash: "sha256" },
  { spec: "ECC_NIST_P384", algorithm: "ECDSA_SHA_384", messageTypes: ["RAW", "DIGEST"], hash: "sha384" },
  { spec: "ECC_NIST_P521", algorithm: "ECDSA_SHA_512", messageTypes: ["RAW", "DIGEST"], hash: "sha512" },
  { spec: "ECC_SECG_P256K1", algorithm: "ECDSA_SHA_256", messageTypes: ["RAW", "DIGEST"], hash: "sha256" },
  { spec: "ECC_NIST_EDWARDS25519", algorithm: "ED25519_SHA_512", messageTypes: ["RAW"], hash: "sha512" },
  { spec: "ECC_NIST_EDWARDS25519", algorithm: "ED25519_PH_SHA_512", messageTypes: ["DIGEST"], hash: "sha512" },
  ...(["ML_DSA_44", "ML_DSA_65", "ML_DSA_87"] as const).map((spec) => ({
    spec,
    algorithm: "ML_DSA_SHAKE_256" as const,
    messageTypes: ["RAW", "EXTERNAL_MU"] as const,
    hash: undefined,
  })),
];

const ASYMMETRIC_SPECS_IN_USE: readonly SupportedAsymmetricKeySpec[] = [
  "RSA_2048",
  "RSA_3072",
  "RSA_4096",
  "ECC_NIST_P256",
  "ECC_NIST_P384",
  "ECC_NIST_P521",
  "ECC_SECG_P256K1",
  "ECC_NIST_EDWARDS25519",
  "ML_DSA_44",
  "ML_DSA_65",
  "ML_DSA_87",
];

// One key per spec for the whole file, generated concurrently: RSA-4096 is generated once.
// While it runs, an interval timer counts event-loop turns to prove generation is off the loop.
let eventLoopTurnsDuringGeneration = 0;
const ticker = setInterval(() => eventLoopTurnsDuringGeneration++, 1);
const generationStarted = performance.now();
const generatedPairs = await Promise.all(ASYMMETRIC_SPECS_IN_USE.map((spec) => generateKeyPairFor(spec)));
const generationMilliseconds = performance.now() - generationStarted;
clearInterval(ticker);

const pairs = new Map(ASYMMETRIC_SPECS_IN_USE.map((spec, i) => [spec, generatedPairs[i]!]));
const keys = new Map<SupportedAsymmetricKeySpec, PreparedAsymmetricKey>(
  ASYMMETRIC_SPECS_IN_USE.map((spec) => [spec, prepareAsymmetricKey(spec, pairs.get(spec)!.privateKeyPkcs8Der)]),
);
/** The prepared key of a spec generated above. */
function keyOf(spec: SupportedAsymmetricKeySpec): PreparedAsymmetricKey {
  const key = keys.get(spec);
  assert.ok(key, `no key generated for ${spec}`);
  return key;
}

const otherKeys = new Map<SupportedAsymmetricKeySpec, Promise<PreparedAsymmetricKey>>();
/** A second key of a spec, generated on first use, for checks across keys. */
function otherKeyOf(spec: SupportedAsymmetricKeySpec): Promise<PreparedAsymmetricKey> {
  let key = otherKeys.get(spec);
  if (!key) {
    key = generateKeyPairFor(spec).then((pair) => prepareAsymmetricKey(spec, pair.privateKeyPkcs8Der));
    otherKeys.set(spec, key);
  }
  return key;
}

/** The message a case signs for a message type: the text, its digest, or a 64-byte mu. */
function inputFor(messageType: MessageType, hash: string | undefined, text: Buffer): Buffer {
  if (messageType === "DIGEST") return createHash(hash ?? "sha256").update(text).digest();
  if (messageType === "EXTERNAL_MU") return createHash("shake256", { outputLength: 64 }).update(text).digest();
  return text;
}

void describe("capability table", () => {
  void it("knows every KeySpec of the current KMS model", () => {
    assert.deepEqual([...ALL_KEY_SPECS].sort(), Object.keys(EXPECTED_USAGES).sort());
    assert.ok(isKnownKeySpec("ECC_NIST_P256"));
    assert.ok(!isKnownKeySpec("HMAC_random"));
    assert.ok(!isKnownKeySpec("toString"));
  });

  for (const spec of Object.keys(EXPECTED_USAGES) as KeySpec[]) {
    void it(`${spec}: CreateKey accepts exactly ${EXPECTED_USAGES[spec].join(", ")}`, () => {
      assert.deepEqual(allowedKeyUsages(spec), EXPECTED_USAGES[spec]);
      for (const usage of USAGES) {
        if (spec === "SM2") {
          assertAwsError(() => validateCreateKeySpecAndUsage(spec, usage), "UnsupportedOperationException", "KeySpec SM2 is not supported in this Region");
        } else if (EXPECTED_USAGES[spec].includes(usage)) {
          assert.deepEqual(validateCreateKeySpecAndUsage(spec, usage), { keySpec: spec, keyUsage: usage });
        } else {
          assertAwsError(
            () => validateCreateKeySpecAndUsage(spec, usage),
            "ValidationException",
            `KeyUsage ${usage} is not compatible with KeySpec ${spec}`,
          );
        }
      }
    });
  }

  void it("defaults to a symmetric encryption key and demands KeyUsage for every other spec", () => {
    assert.deepEqual(validateCreateKeySpecAndUsage(undefined, undefined), { keySpec: "SYMMETRIC_DEFAULT", keyUsage: "ENCRYPT_DECRYPT" });
    assert.deepEqual(validateCreateKeySpecAndUsage("SYMMETRIC_DEFAULT", undefined), {
      keySpec: "SYMMETRIC_DEFAULT",
      keyUsage: "ENCRYPT_DECRYPT",
    });
    for (const spec of ["HMAC_256", "RSA_2048", "ECC_NIST_P256", "ML_DSA_44"] as const) {
      assertAwsError(
        () => validateCreateKeySpecAndUsage(spec, undefined),
        "ValidationException",
        "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.",
      );
    }
    assertAwsError(
      () => validateCreateKeySpecAndUsage(undefined, "SIGN_VERIFY"),
      "ValidationException",
      "KeyUsage SIGN_VERIFY is not compatible with KeySpec SYMMETRIC_DEFAULT",
    );
  });

  const DESCRIBE_KEY_LISTS: ReadonlyArray<[KeySpec, KeyUsageType, object]> = [
    ["SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", { EncryptionAlgorithms: ["SYMMETRIC_DEFAULT"] }],
    ["RSA_4096", "ENCRYPT_DECRYPT", { EncryptionAlgorithms: ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"] }],
    ["RSA_2048", "SIGN_VERIFY", { SigningAlgorithms: RSA_SIGNING }],
    ["ECC_NIST_P256", "SIGN_VERIFY", { SigningAlgorithms: ["ECDSA_SHA_256"] }],
    ["ECC_NIST_P384", "SIGN_VERIFY", { SigningAlgorithms: ["ECDSA_SHA_384"] }],
    ["ECC_NIST_P521", "SIGN_VERIFY", { SigningAlgorithms: ["ECDSA_SHA_512"] }],
    ["ECC_SECG_P256K1", "SIGN_VERIFY", { SigningAlgorithms: ["ECDSA_SHA_256"] }],
    ["ECC_NIST_P256", "KEY_AGREEMENT", { KeyAgreementAlgorithms: ["ECDH"] }],
    ["ECC_NIST_EDWARDS25519", "SIGN_VERIFY", { SigningAlgorithms: ["ED25519_SHA_512", "ED25519_PH_SHA_512"] }],
    ["ML_DSA_65", "SIGN_VERIFY", { SigningAlgorithms: ["ML_DSA_SHAKE_256"] }],
    ["ML_KEM_768", "ENCAPSULATE_DECAPSULATE", { EncapsulationAlgorithms: ["ML_KEM"] }],
    ["HMAC_224", "GENERATE_VERIFY_MAC", { MacAlgorithms: ["HMAC_SHA_224"] }],
    ["HMAC_512", "GENERATE_VERIFY_MAC", { MacAlgorithms: ["HMAC_SHA_512"] }],
    ["RSA_2048", "KEY_AGREEMENT", {}],
  ];
  for (const [spec, usage, lists] of DESCRIBE_KEY_LISTS) {
    void it(`DescribeKey lists for ${spec}/${usage}`, () => {
      assert.deepEqual(algorithmsFor(spec, usage), lists);
    });
  }

  void it("answers the capability predicates", () => {
    assert.ok(canEncrypt("RSA_2048") && canSign("RSA_2048") && !canAgreeKeys("RSA_2048"));
    assert.ok(canSign("ECC_NIST_P256") && canAgreeKeys("ECC_NIST_P256") && !canEncrypt("ECC_NIST_P256"));
    assert.ok(canSign("ECC_SECG_P256K1") && !canAgreeKeys("ECC_SECG_P256K1"));
    assert.ok(canGenerateMac("HMAC_384") && !canSign("HMAC_384") && isHmacKeySpec("HMAC_384"));
    assert.ok(canEncapsulate("ML_KEM_512") && !canSign("ML_KEM_512"));
    assert.ok(isAsymmetricKeySpec("ML_DSA_44") && !isAsymmetricKeySpec("HMAC_256") && !isAsymmetricKeySpec("SYMMETRIC_DEFAULT"));
  });
});

void describe("key generation", () => {
  void it("runs off the event loop (RSA-4096 among others)", () => {
    // A blocked loop would see at most a couple of turns over the whole generation.
    assert.ok(generationMilliseconds < 50 || eventLoopTurnsDuringGeneration >= 10, `only ${eventLoopTurnsDuringGeneration} turns`);
  });

  const EXPECTED_SHAPES: ReadonlyArray<[SupportedAsymmetricKeySpec, string, Record<string, unknown>]> = [
    ["RSA_2048", "rsa", { modulusLength: 2048, publicExponent: 65537n }],
    ["RSA_3072", "rsa", { modulusLength: 3072 }],
    ["RSA_4096", "rsa", { modulusLength: 4096 }],
    ["ECC_NIST_P256", "ec", { namedCurve: "prime256v1" }],
    ["ECC_NIST_P384", "ec", { namedCurve: "secp384r1" }],
    ["ECC_NIST_P521", "ec", { namedCurve: "secp521r1" }],
    ["ECC_SECG_P256K1", "ec", { namedCurve: "secp256k1" }],
    ["ECC_NIST_EDWARDS25519", "ed25519", {}],
    ["ML_DSA_44", "ml-dsa-44", {}],
    ["ML_DSA_65", "ml-dsa-65", {}],
    ["ML_DSA_87", "ml-dsa-87", {}],
  ];
  for (const [spec, type, details] of EXPECTED_SHAPES) {
    void it(`${spec} gives a PKCS#8 ${type} private key whose public half is the SPKI`, () => {
      const pair = pairs.get(spec)!;
      const privateKey = createPrivateKey({ key: pair.privateKeyPkcs8Der, format: "der", type: "pkcs8" });
      assert.equal(privateKey.asymmetricKeyType, type);
      for (const [name, value] of Object.entries(details)) {
        assert.equal((privateKey.asymmetricKeyDetails as Record<string, unknown>)[name], value);
      }
      assert.deepEqual(createPublicKey(privateKey).export({ type: "spki", format: "der" }), pair.publicKeySpkiDer);
      assert.deepEqual(keyOf(spec).publicKeySpkiDer, pair.publicKeySpkiDer);
    });
  }

  void it("refuses SM2 as AWS does outside China, and specs without key pairs", async () => {
    await assert.rejects(generateKeyPairFor("SM2"), { code: "UnsupportedOperationException", message: "KeySpec SM2 is not supported in this Region" });
    await assert.rejects(generateKeyPairFor("HMAC_256"), TypeError);
    await assert.rejects(generateKeyPairFor("SYMMETRIC_DEFAULT"), TypeError);
  });

  for (const [spec, length] of [["HMAC_224", 28], ["HMAC_256", 32], ["HMAC_384", 48], ["HMAC_512", 64]] as const) {
    void it(`${spec} keys are ${length} random bytes`, () => {
      const first = generateHmacKey(spec);
      assert.equal(first.length, length);
      assert.notDeepEqual(first, generateHmacKey(spec));
    });
  }

  const DATA_KEY_PAIR_TYPES: ReadonlyArray<[DataKeyPairSpec, string]> = [
    ["RSA_2048", "rsa"],
    ["ECC_NIST_P256", "ec"],
    ["ECC_NIST_P384", "ec"],
    ["ECC_NIST_P521", "ec"],
    ["ECC_SECG_P256K1", "ec"],
    ["ECC_NIST_EDWARDS25519", "ed25519"],
    ["ML_KEM_512", "ml-kem-512"],
    ["ML_KEM_768", "ml-kem-768"],
    ["ML_KEM_1024", "ml-kem-1024"],
  ];
  for (const [spec, type] of DATA_KEY_PAIR_TYPES) {
    void it(`data key pair ${spec} is a matching ${type} pair`, async () => {
      const pair = await generateDataKeyPair(spec);
      const privateKey = createPrivateKey({ key: pair.privateKeyPkcs8Der, format: "der", type: "pkcs8" });
      assert.equal(privateKey.asymmetricKeyType, type);
      assert.deepEqual(createPublicKey(privateKey).export({ type: "spki", format: "der" }), pair.publicKeySpkiDer);
    });
  }

  void it("refuses the China-only data key pair spec SM2", async () => {
    await assert.rejects(generateDataKeyPair("SM2"), {
      code: "UnsupportedOperationException",
      message: "KeyPairSpec SM2 is not supported in this Region",
    });
  });
});

void describe("prepared keys", () => {
  const MISMATCHES: ReadonlyArray<[string, KeySpec, SupportedAsymmetricKeySpec]> = [
    ["a P-256 key prepared as P-384", "ECC_NIST_P384", "ECC_NIST_P256"],
    ["a secp256k1 key prepared as P-256", "ECC_NIST_P256", "ECC_SECG_P256K1"],
    ["an RSA-2048 key prepared as RSA-3072", "RSA_3072", "RSA_2048"],
    ["an Ed25519 key prepared as ML-DSA-44", "ML_DSA_44", "ECC_NIST_EDWARDS25519"],
    ["an ML-DSA-44 key prepared as ML-DSA-65", "ML_DSA_65", "ML_DSA_44"],
  ];
  for (const [name, claimedSpec, actualSpec] of MISMATCHES) {
    void it(`rejects ${name} without echoing key material`, () => {
      const der = pairs.get(actualSpec)!.privateKeyPkcs8Der;
      assert.throws(() => prepareAsymmetricKey(claimedSpec, der), (error: unknown) => {
        assert.ok(error instanceof KeyMaterialMismatchError);
        assert.equal(error.message, `The key material is not a valid ${claimedSpec} private key.`);
        return true;
      });
    });
  }

  void it("rejects bytes that are not PKCS#8 at all", () => {
    assert.throws(() => prepareAsymmetricKey("RSA_2048", randomBytes(64)), KeyMaterialMismatchError);
  });

  /** DER tag-length-value, for hand-building the other RFC 9881 private key forms. */
  function der(tag: number, content: Buffer): Buffer {
    const length = content.length;
    const lengthBytes =
      length < 0x80 ? [length] : length < 0x100 ? [0x81, length] : [0x82, length >> 8, length & 0xff];
    return Buffer.concat([Buffer.from([tag, ...lengthBytes]), content]);
  }
  const ML_DSA_44_ALGORITHM = Buffer.from("300b0609608648016503040311", "hex");
  /** PKCS#8 around one ML-DSA-44 private key CHOICE. */
  const mlDsa44Pkcs8 = (privateKeyChoice: Buffer) =>
    der(0x30, Buffer.concat([Buffer.from("020100", "hex"), ML_DSA_44_ALGORITHM, der(0x04, privateKeyChoice)]));

  void it("accepts an ML-DSA key stored seed-only or expanded-only (RFC 9881 forms) and signs with it", () => {
    // node writes the "both" form, ending in 04 20 <seed> 04 82 0a00 <expanded key>.
    const bothDer = pairs.get("ML_DSA_44")!.privateKeyPkcs8Der;
    const expandedKey = bothDer.subarray(bothDer.length - 2560);
    const seed = bothDer.subarray(bothDer.length - 2560 - 4 - 32, bothDer.length - 2560 - 4);
    for (const form of [mlDsa44Pkcs8(der(0x80, seed)), mlDsa44Pkcs8(der(0x04, expandedKey))]) {
      const key = prepareAsymmetricKey("ML_DSA_44", form);
      assert.deepEqual(key.publicKeySpkiDer, pairs.get("ML_DSA_44")!.publicKeySpkiDer);
      const mu = randomBytes(64);
      assert.ok(verify(keyOf("ML_DSA_44"), "ML_DSA_SHAKE_256", "EXTERNAL_MU", mu, sign(key, "ML_DSA_SHAKE_256", "EXTERNAL_MU", mu)));
      assert.ok(verify(keyOf("ML_DSA_44"), "ML_DSA_SHAKE_256", "RAW", mu, sign(key, "ML_DSA_SHAKE_256", "RAW", mu)));
    }
  });

  void it("does not expose raw secret bytes when printed or serialised", () => {
    const key = keyOf("ECC_NIST_P256");
    const printed = JSON.stringify(key) + String(Object.values(key));
    const scalar = createPrivateKey({ key: pairs.get("ECC_NIST_P256")!.privateKeyPkcs8Der, format: "der", type: "pkcs8" }).export({
      format: "jwk",
    }).d!;
    assert.ok(!printed.includes(scalar));
    assert.ok(!printed.includes(Buffer.from(scalar, "base64url").toString("hex")));
  });
});

void describe("sign and verify", () => {
  const text = Buffer.from("The quick brown fox jumps over the lazy dog");

  for (const { spec, algorithm, messageTypes, hash } of SIGNING_CASES) {
    for (const messageType of messageTypes) {
      void it(`${spec} ${algorithm} ${messageType}: round trip, tampering and malformed signatures`, () => {
        const key = keyOf(spec);
        const message = inputFor(messageType, hash, text);
        const signature = sign(key, algorithm, messageType, message);
        assert.ok(verify(key, algorithm, messageType, message, signature), "own signature verifies");
        assert.ok(!verify(key, algorithm, messageType, flipLastBit(message), signature), "tampered message fails");
        assert.ok(!verify(key, algorithm, messageType, message, flipLastBit(signature)), "tampered signature fails");
        assert.ok(!verify(key, algorithm, messageType, message, signature.subarray(1)), "truncated signature fails");
        assert.ok(!verify(key, algorithm, messageType, message, Buffer.alloc(0)), "empty signature fails");
        assert.ok(!verify(key, algorithm, messageType, message, randomBytes(signature.length)), "random bytes fail");
      });
    }

    void it(`${spec} ${algorithm}: a signature does not verify under another key of the same spec`, async () => {
      const messageType = SIGNING_CASES.find((c) => c.algorithm === algorithm)!.messageTypes[0]!;
      const message = inputFor(messageType, hash, text);
      const signature = sign(keyOf(spec), algorithm, messageType, message);
      assert.ok(verify(keyOf(spec), algorithm, messageType, message, signature), "it verifies under its own key");
      assert.ok(!verify(await otherKeyOf(spec), algorithm, messageType, message, signature));
    });
  }

  for (const { spec, algorithm, hash } of SIGNING_CASES.filter((c) => c.messageTypes.includes("RAW") && c.messageTypes.includes("DIGEST"))) {
    void it(`${spec} ${algorithm}: a RAW signature verifies as DIGEST of the message and vice versa`, () => {
      const key = keyOf(spec);
      const digest = createHash(hash!).update(text).digest();
      assert.ok(verify(key, algorithm, "DIGEST", digest, sign(key, algorithm, "RAW", text)));
      assert.ok(verify(key, algorithm, "RAW", text, sign(key, algorithm, "DIGEST", digest)));
    });
  }

  void it("ML-DSA: an EXTERNAL_MU signature over mu verifies as a RAW signature over the message", () => {
    for (const spec of ["ML_DSA_44", "ML_DSA_65", "ML_DSA_87"] as const) {
      const key = keyOf(spec);
      const publicKey = key.publicKeySpkiDer.subarray(key.publicKeySpkiDer.length - ({ ML_DSA_44: 1312, ML_DSA_65: 1952, ML_DSA_87: 2592 } as const)[spec]);
      const tr = createHash("shake256", { outputLength: 64 }).update(publicKey).digest();
      const mu = createHash("shake256", { outputLength: 64 }).update(tr).update(Buffer.from([0, 0])).update(text).digest();
      assert.ok(verify(key, "ML_DSA_SHAKE_256", "RAW", text, sign(key, "ML_DSA_SHAKE_256", "EXTERNAL_MU", mu)), spec);
      assert.ok(verify(key, "ML_DSA_SHAKE_256", "EXTERNAL_MU", mu, sign(key, "ML_DSA_SHAKE_256", "RAW", text)), spec);
    }
  });

  for (const { spec, algorithm, messageTypes, hash } of SIGNING_CASES.filter((c) => c.messageTypes.includes("DIGEST"))) {
    void it(`${spec} ${algorithm}: a DIGEST of the wrong length is refused on Sign and Verify`, () => {
      const key = keyOf(spec);
      const good = inputFor("DIGEST", hash, text);
      assert.ok(messageTypes.includes("DIGEST"));
      for (const wrong of [good.subarray(1), Buffer.concat([good, Buffer.from([0])]), Buffer.alloc(20)]) {
        const expected = `Digest is invalid length for algorithm ${algorithm}.`;
        assertAwsError(() => sign(key, algorithm, "DIGEST", wrong), "ValidationException", expected);
        assertAwsError(() => verify(key, algorithm, "DIGEST", wrong, Buffer.alloc(64)), "ValidationException", expected);
      }
    });
  }

  void it("ML-DSA: an EXTERNAL_MU that is not 64 bytes is refused", () => {
    assertAwsError(
      () => sign(keyOf("ML_DSA_44"), "ML_DSA_SHAKE_256", "EXTERNAL_MU", Buffer.alloc(32)),
      "ValidationException",
      "External Mu is invalid length for algorithm ML_DSA_SHAKE_256.",
    );
  });

  const MESSAGE_TYPE_REFUSALS: ReadonlyArray<[SupportedAsymmetricKeySpec, SigningAlgorithmSpec, MessageType, string]> = [
    ["ECC_NIST_EDWARDS25519", "ED25519_SHA_512", "DIGEST", "Message type DIGEST is incompatible with algorithm ED25519_SHA_512."],
    ["ECC_NIST_EDWARDS25519", "ED25519_PH_SHA_512", "RAW", "Message type RAW is incompatible with algorithm ED25519_PH_SHA_512."],
    ["ECC_NIST_EDWARDS25519", "ED25519_SHA_512", "EXTERNAL_MU", "Message type EXTERNAL_MU is incompatible with algorithm ED25519_SHA_512."],
    ["ML_DSA_44", "ML_DSA_SHAKE_256", "DIGEST", "Message type DIGEST is incompatible with key spec ML_DSA_44."],
    ["ML_DSA_87", "ML_DSA_SHAKE_256", "DIGEST", "Message type DIGEST is incompatible with key spec ML_DSA_87."],
    ["RSA_2048", "RSASSA_PSS_SHA_256", "EXTERNAL_MU", "Message type EXTERNAL_MU is incompatible with key spec RSA_2048."],
    ["ECC_NIST_P256", "ECDSA_SHA_256", "EXTERNAL_MU", "Message type EXTERNAL_MU is incompatible with key spec ECC_NIST_P256."],
  ];
  for (const [spec, algorithm, messageType, message] of MESSAGE_TYPE_REFUSALS) {
    void it(`${spec} ${algorithm} refuses MessageType ${messageType}`, () => {
      const input = Buffer.alloc(64, 1);
      assertAwsError(() => sign(keyOf(spec), algorithm, messageType, input), "ValidationException", message);
      assertAwsError(() => verify(keyOf(spec), algorithm, messageType, input, Buffer.alloc(64)), "ValidationException", message);
    });
  }

  const ALGORITHM_REFUSALS: ReadonlyArray<[SupportedAsymmetricKeySpec, SigningAlgorithmSpec]> = [
    ["ECC_NIST_P521", "ECDSA_SHA_256"],
    ["ECC_NIST_P256", "ECDSA_SHA_384"],
    ["ECC_SECG_P256K1", "ECDSA_SHA_512"],
    ["RSA_2048", "ECDSA_SHA_256"],
    ["ECC_NIST_P256", "RSASSA_PSS_SHA_256"],
    ["ECC_NIST_EDWARDS25519", "ECDSA_SHA_512"],
    ["ML_DSA_65", "ED25519_SHA_512"],
    ["RSA_4096", "ML_DSA_SHAKE_256"],
    ["ECC_NIST_P256", "SM2DSA"],
  ];
  for (const [spec, algorithm] of ALGORITHM_REFUSALS) {
    void it(`${spec} refuses ${algorithm} with InvalidKeyUsageException`, () => {
      const expected = `Algorithm ${algorithm} is incompatible with key spec ${spec}.`;
      assertAwsError(() => sign(keyOf(spec), algorithm, "RAW", text), "InvalidKeyUsageException", expected);
      assertAwsError(() => verify(keyOf(spec), algorithm, "RAW", text, Buffer.alloc(64)), "InvalidKeyUsageException", expected);
    });
  }

  void it("limits a Message to 1..4096 bytes with AWS's schema wording", () => {
    const key = keyOf("ECC_NIST_P256");
    assert.ok(verify(key, "ECDSA_SHA_256", "RAW", Buffer.alloc(4096, 7), sign(key, "ECDSA_SHA_256", "RAW", Buffer.alloc(4096, 7))));
    assertAwsError(
      () => sign(key, "ECDSA_SHA_256", "RAW", Buffer.alloc(4097)),
      "ValidationException",
      "1 validation error detected: Value at 'message' failed to satisfy constraint: Member must have length less than or equal to 4096",
    );
    assertAwsError(
      () => sign(key, "ECDSA_SHA_256", "RAW", Buffer.alloc(0)),
      "ValidationException",
      "1 validation error detected: Value at 'message' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
  });

  void it("PSS signatures are randomised (fresh salt), PKCS#1 v1.5 ones deterministic", () => {
    const key = keyOf("RSA_2048");
    assert.notDeepEqual(sign(key, "RSASSA_PSS_SHA_256", "RAW", text), sign(key, "RSASSA_PSS_SHA_256", "RAW", text));
    const digest = createHash("sha256").update(text).digest();
    assert.deepEqual(sign(key, "RSASSA_PKCS1_V1_5_SHA_256", "DIGEST", digest), sign(key, "RSASSA_PKCS1_V1_5_SHA_256", "RAW", text));
  });

  void it("an RSA signature whose first byte is 0 does not verify with that byte cut off (RFC 8017: exactly k bytes)", () => {
    const key = keyOf("RSA_2048");
    for (const messageType of ["RAW", "DIGEST"] as const) {
      const message = messageType === "RAW" ? text : createHash("sha256").update(text).digest();
      // One PSS signature in 256 starts with a zero byte; 4,000 tries miss one with odds of about e^-15.
      let signature: Buffer | undefined;
      for (let i = 0; i < 4000 && signature === undefined; i++) {
        const candidate = sign(key, "RSASSA_PSS_SHA_256", messageType, message);
        if (candidate[0] === 0) signature = candidate;
      }
      assert.ok(signature, "found a signature with a leading zero byte");
      assert.ok(verify(key, "RSASSA_PSS_SHA_256", messageType, message, signature), `${messageType}: the whole signature verifies`);
      assert.ok(!verify(key, "RSASSA_PSS_SHA_256", messageType, message, signature.subarray(1)), `${messageType}: the shortened one does not`);
    }
  });
});

void describe("RSA encryption", () => {
  const LIMITS: ReadonlyArray<[SupportedAsymmetricKeySpec, EncryptionAlgorithmSpec, number]> = [
    ["RSA_2048", "RSAES_OAEP_SHA_1", 214],
    ["RSA_2048", "RSAES_OAEP_SHA_256", 190],
    ["RSA_3072", "RSAES_OAEP_SHA_1", 342],
    ["RSA_3072", "RSAES_OAEP_SHA_256", 318],
    ["RSA_4096", "RSAES_OAEP_SHA_1", 470],
    ["RSA_4096", "RSAES_OAEP_SHA_256", 446],
  ];
  for (const [spec, algorithm, limit] of LIMITS) {
    void it(`${spec} ${algorithm}: ${limit} bytes encrypt and decrypt, ${limit + 1} are refused`, () => {
      const key = keyOf(spec);
      assert.equal(maxRsaPlaintextBytes(key, algorithm), limit);
      const plaintext = randomBytes(limit);
      const ciphertext = rsaEncrypt(key, algorithm, plaintext);
      assert.equal(ciphertext.length, Number(spec.slice(4)) / 8);
      assert.deepEqual(rsaDecrypt(key, algorithm, ciphertext), plaintext);
      assertAwsError(
        () => rsaEncrypt(key, algorithm, randomBytes(limit + 1)),
        "ValidationException",
        `Algorithm ${algorithm} and key spec ${spec} cannot encrypt data larger than ${limit} bytes.`,
      );
    });

    void it(`${spec} ${algorithm}: bad ciphertexts are InvalidCiphertextException with no message`, () => {
      const key = keyOf(spec);
      const ciphertext = rsaEncrypt(key, algorithm, Buffer.from("secret"));
      const otherAlgorithm: EncryptionAlgorithmSpec = algorithm === "RSAES_OAEP_SHA_1" ? "RSAES_OAEP_SHA_256" : "RSAES_OAEP_SHA_1";
      for (const bad of [flipLastBit(ciphertext), ciphertext.subarray(1), Buffer.concat([ciphertext, Buffer.from([0])]), Buffer.alloc(ciphertext.length, 0xff)]) {
        assertAwsError(() => rsaDecrypt(key, algorithm, bad), "InvalidCiphertextException", "");
      }
      assertAwsError(() => rsaDecrypt(key, otherAlgorithm, ciphertext), "InvalidCiphertextException", "");
    });
  }

  void it("refuses algorithms the key spec does not list", () => {
    assertAwsError(
      () => rsaEncrypt(keyOf("RSA_2048"), "SYMMETRIC_DEFAULT", Buffer.from("x")),
      "InvalidKeyUsageException",
      "Algorithm SYMMETRIC_DEFAULT is incompatible with key spec RSA_2048.",
    );
    assertAwsError(
      () => rsaDecrypt(keyOf("ECC_NIST_P256"), "RSAES_OAEP_SHA_256", Buffer.alloc(256)),
      "InvalidKeyUsageException",
      "Algorithm RSAES_OAEP_SHA_256 is incompatible with key spec ECC_NIST_P256.",
    );
  });

  void it("refuses an empty plaintext with AWS's schema wording", () => {
    assertAwsError(
      () => rsaEncrypt(keyOf("RSA_2048"), "RSAES_OAEP_SHA_256", Buffer.alloc(0)),
      "ValidationException",
      "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
  });
});

void describe("HMAC", () => {
  /** RFC 4231 test case 2 (key "Jefe"): the MACs are known, so the hash wiring is checked, not just self-consistency. */
  const RFC_4231_CASE_2: ReadonlyArray<[KeySpec, MacAlgorithmSpec, string]> = [
    ["HMAC_224", "HMAC_SHA_224", "a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44"],
    ["HMAC_256", "HMAC_SHA_256", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"],
    [
      "HMAC_384",
      "HMAC_SHA_384",
      "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649",
    ],
    [
      "HMAC_512",
      "HMAC_SHA_512",
      "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737",
    ],
  ];
  for (const [spec, algorithm, expectedHex] of RFC_4231_CASE_2) {
    void it(`${spec} ${algorithm}: known answer, round trip and wrong MACs`, () => {
      const key = Buffer.from("Jefe");
      const message = Buffer.from("what do ya want for nothing?");
      const mac = generateMac(key, spec, algorithm, message);
      assert.equal(mac.toString("hex"), expectedHex);
      verifyMac(key, spec, algorithm, message, mac);
      const fresh = generateHmacKey(spec);
      verifyMac(fresh, spec, algorithm, message, generateMac(fresh, spec, algorithm, message));
      for (const wrong of [flipLastBit(mac), mac.subarray(1), Buffer.concat([mac, Buffer.from([0])]), Buffer.alloc(0)]) {
        assertAwsError(() => verifyMac(key, spec, algorithm, message, wrong), "KMSInvalidMacException", "");
      }
      assertAwsError(() => verifyMac(key, spec, algorithm, flipLastBit(message), mac), "KMSInvalidMacException", "");
      assertAwsError(() => verifyMac(fresh, spec, algorithm, message, mac), "KMSInvalidMacException", "");
    });
  }

  const MISMATCHES: ReadonlyArray<[KeySpec, MacAlgorithmSpec]> = [
    ["HMAC_224", "HMAC_SHA_256"],
    ["HMAC_256", "HMAC_SHA_512"],
    ["HMAC_512", "HMAC_SHA_384"],
    ["RSA_2048", "HMAC_SHA_256"],
  ];
  for (const [spec, algorithm] of MISMATCHES) {
    void it(`${spec} refuses ${algorithm}`, () => {
      const expected = `Algorithm ${algorithm} is incompatible with key spec ${spec}.`;
      assertAwsError(() => generateMac(Buffer.alloc(32), spec, algorithm, Buffer.from("m")), "InvalidKeyUsageException", expected);
      assertAwsError(
        () => verifyMac(Buffer.alloc(32), spec, algorithm, Buffer.from("m"), Buffer.alloc(32)),
        "InvalidKeyUsageException",
        expected,
      );
    });
  }

  void it("limits the message to 4096 bytes", () => {
    const key = generateHmacKey("HMAC_256");
    assert.equal(generateMac(key, "HMAC_256", "HMAC_SHA_256", Buffer.alloc(4096)).length, 32);
    assertAwsError(
      () => generateMac(key, "HMAC_256", "HMAC_SHA_256", Buffer.alloc(4097)),
      "ValidationException",
      "1 validation error detected: Value at 'message' failed to satisfy constraint: Member must have length less than or equal to 4096",
    );
  });
});

void describe("ECDH key agreement", () => {
  for (const [spec, curve, secretBytes] of [
    ["ECC_NIST_P256", "prime256v1", 32],
    ["ECC_NIST_P384", "secp384r1", 48],
    ["ECC_NIST_P521", "secp521r1", 66],
  ] as const) {
    void it(`${spec}: both sides derive the same ${secretBytes}-byte secret`, async () => {
      const ours = keyOf(spec);
      const theirsPair = await generateKeyPairFor(spec);
      const theirs = prepareAsymmetricKey(spec, theirsPair.privateKeyPkcs8Der);
      const secret = deriveSharedSecret(ours, theirs.publicKeySpkiDer);
      assert.equal(secret.length, secretBytes);
      assert.deepEqual(deriveSharedSecret(theirs, ours.publicKeySpkiDer), secret);
      assert.deepEqual(deriveSharedSecret(ours, theirs.publicKeySpkiDer, "ECDH"), secret);
      // A peer key made elsewhere (node's own generator) agrees too.
      const peer = generateKeyPairSync("ec", { namedCurve: curve });
      assert.equal(deriveSharedSecret(ours, peer.publicKey.export({ type: "spki", format: "der" })).length, secretBytes);
    });
  }

  void it("answers an unparsable public key with an empty ValidationException (as recorded)", () => {
    for (const bad of [Buffer.from("not a key"), Buffer.alloc(0), flipLastBit(keyOf("ECC_NIST_P256").publicKeySpkiDer).subarray(0, 40)]) {
      assertAwsError(() => deriveSharedSecret(keyOf("ECC_NIST_P256"), bad), "ValidationException", "");
    }
  });

  for (const [name, peerSpki] of [
    ["a P-384 key", () => keyOf("ECC_NIST_P384").publicKeySpkiDer],
    ["a secp256k1 key", () => keyOf("ECC_SECG_P256K1").publicKeySpkiDer],
    ["an RSA key", () => keyOf("RSA_2048").publicKeySpkiDer],
    ["an X25519 key", () => generateKeyPairSync("x25519").publicKey.export({ type: "spki", format: "der" })],
  ] as const) {
    void it(`refuses ${name} as the peer of a P-256 key`, () => {
      assertAwsError(
        () => deriveSharedSecret(keyOf("ECC_NIST_P256"), peerSpki()),
        "ValidationException",
        "The public key must be an elliptic curve key on the same curve as key spec ECC_NIST_P256.",
      );
    });
  }

  for (const spec of ["ECC_SECG_P256K1", "RSA_2048", "ECC_NIST_EDWARDS25519", "ML_DSA_44"] as const) {
    void it(`${spec} cannot do ECDH`, () => {
      assertAwsError(
        () => deriveSharedSecret(keyOf(spec), keyOf("ECC_NIST_P256").publicKeySpkiDer),
        "InvalidKeyUsageException",
        `Algorithm ECDH is incompatible with key spec ${spec}.`,
      );
    });
  }
});
