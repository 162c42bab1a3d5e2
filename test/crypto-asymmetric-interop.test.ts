/**
 * The primitives checked from outside: signatures against the OpenSSL command line (both
 * directions), RSA-OAEP ciphertexts and ECDH secrets against OpenSSL, ML-DSA and ML-KEM
 * against an implementation other than the one that produced them, and Ed25519ph (which the
 * OpenSSL 3.0 CLI lacks) against a small RFC 8032 verifier written here from the spec.
 * (`void`: node:test returns promises that the runner itself awaits.)
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  createHash,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  sign as nodeSign,
  verify as nodeVerify,
} from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { ED25519PH_DOMAIN, rfc8032Verify } from "./support/asymmetric.ts";
import type { DataKeyPairSpec, EncryptionAlgorithmSpec, MessageType, SigningAlgorithmSpec } from "@aws-sdk/client-kms";
import { ml_dsa44, ml_dsa65, ml_dsa87 } from "@noble/post-quantum/ml-dsa.js";
import { ml_kem512, ml_kem768, ml_kem1024 } from "@noble/post-quantum/ml-kem.js";
import {
  deriveSharedSecret,
  generateDataKeyPair,
  generateKeyPairFor,
  maxRsaPlaintextBytes,
  prepareAsymmetricKey,
  rsaDecrypt,
  rsaEncrypt,
  sign,
  verify,
  type SupportedAsymmetricKeySpec,
} from "../src/crypto/asymmetric/index.ts";

const workDirectory = mkdtempSync(join(tmpdir(), "kmsd-crypto-interop-"));
after(() => rmSync(workDirectory, { recursive: true, force: true }));

let fileCounter = 0;
/** Writes bytes to a fresh file in the work directory and returns its path. */
function writeTemp(bytes: Uint8Array | string): string {
  const path = join(workDirectory, `f${fileCounter++}`);
  writeFileSync(path, bytes);
  return path;
}

/** PEM armour built by hand from DER, so that OpenSSL sees exactly the bytes KMS returns. */
function pem(label: string, der: Uint8Array): string {
  const lines = Buffer.from(der).toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/** Runs the openssl CLI; returns stdout, throws on a non-zero exit. */
function openssl(args: readonly string[]): Buffer {
  return execFileSync("openssl", args, { stdio: ["ignore", "pipe", "pipe"] });
}

/** Whether an openssl command exits 0 (how `-verify` reports success). */
function opensslSucceeds(args: readonly string[]): boolean {
  try {
    openssl(args);
    return true;
  } catch {
    return false;
  }
}

/** Files for a key: its SPKI as a PEM public key and its PKCS#8 as a PEM private key. */
function keyFiles(pair: { publicKeySpkiDer: Uint8Array; privateKeyPkcs8Der: Uint8Array }) {
  return {
    publicPem: writeTemp(pem("PUBLIC KEY", pair.publicKeySpkiDer)),
    privatePem: writeTemp(pem("PRIVATE KEY", pair.privateKeyPkcs8Der)),
  };
}

/** One key per spec, generated concurrently; RSA-4096 only once. */
const SPECS: readonly SupportedAsymmetricKeySpec[] = [
  "RSA_2048",
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
const generated = await Promise.all(SPECS.map((spec) => generateKeyPairFor(spec)));
const fixtures = new Map(
  SPECS.map((spec, i) => {
    const pair = generated[i]!;
    return [spec, { pair, key: prepareAsymmetricKey(spec, pair.privateKeyPkcs8Der), files: keyFiles(pair) }] as const;
  }),
);
/** The generated key, its DER pair and its PEM files. */
function fixture(spec: SupportedAsymmetricKeySpec) {
  const found = fixtures.get(spec);
  assert.ok(found, `no key for ${spec}`);
  return found;
}

const message = Buffer.from("Interoperability means someone else's verifier agrees.");

/** OpenSSL's view of a signing algorithm: its digest and, for RSA, the padding options. */
type OpensslAlgorithm = { digest: "sha256" | "sha384" | "sha512"; rsaOptions: string[] };
function opensslAlgorithm(algorithm: SigningAlgorithmSpec): OpensslAlgorithm {
  const digest = `sha${algorithm.slice(-3)}` as OpensslAlgorithm["digest"];
  const saltLength = String({ sha256: 32, sha384: 48, sha512: 64 }[digest]);
  if (algorithm.startsWith("RSASSA_PSS")) return { digest, rsaOptions: ["rsa_padding_mode:pss", `rsa_pss_saltlen:${saltLength}`] };
  if (algorithm.startsWith("RSASSA_PKCS1")) return { digest, rsaOptions: ["rsa_padding_mode:pkcs1"] };
  return { digest, rsaOptions: [] };
}

/** Verifies with the OpenSSL CLI: `dgst -verify` for a RAW message, `pkeyutl -verify` for a DIGEST. */
function opensslVerifies(
  publicPem: string,
  algorithm: SigningAlgorithmSpec,
  messageType: MessageType,
  input: Uint8Array,
  signature: Uint8Array,
): boolean {
  const { digest, rsaOptions } = opensslAlgorithm(algorithm);
  const signatureFile = writeTemp(signature);
  const inputFile = writeTemp(input);
  if (messageType === "RAW") {
    const sigopts = rsaOptions.flatMap((option) => ["-sigopt", option]);
    return opensslSucceeds(["dgst", `-${digest}`, "-verify", publicPem, ...sigopts, "-signature", signatureFile, inputFile]);
  }
  const pkeyopts = [`digest:${digest}`, ...rsaOptions].flatMap((option) => ["-pkeyopt", option]);
  return opensslSucceeds(["pkeyutl", "-verify", "-pubin", "-inkey", publicPem, ...pkeyopts, "-in", inputFile, "-sigfile", signatureFile]);
}

/** Signs with the OpenSSL CLI (the reverse direction). */
function opensslSign(privatePem: string, algorithm: SigningAlgorithmSpec, messageType: MessageType, input: Uint8Array): Buffer {
  const { digest, rsaOptions } = opensslAlgorithm(algorithm);
  const inputFile = writeTemp(input);
  if (messageType === "RAW") {
    return openssl(["dgst", `-${digest}`, "-sign", privatePem, ...rsaOptions.flatMap((o) => ["-sigopt", o]), inputFile]);
  }
  const pkeyopts = [`digest:${digest}`, ...rsaOptions].flatMap((option) => ["-pkeyopt", option]);
  return openssl(["pkeyutl", "-sign", "-inkey", privatePem, ...pkeyopts, "-in", inputFile]);
}

const RSA_ALGORITHMS: readonly SigningAlgorithmSpec[] = [
  "RSASSA_PKCS1_V1_5_SHA_256",
  "RSASSA_PKCS1_V1_5_SHA_384",
  "RSASSA_PKCS1_V1_5_SHA_512",
  "RSASSA_PSS_SHA_256",
  "RSASSA_PSS_SHA_384",
  "RSASSA_PSS_SHA_512",
];
const RSA_AND_ECDSA_CASES: ReadonlyArray<[SupportedAsymmetricKeySpec, SigningAlgorithmSpec]> = [
  ...RSA_ALGORITHMS.map((algorithm) => ["RSA_2048", algorithm] as [SupportedAsymmetricKeySpec, SigningAlgorithmSpec]),
  ...RSA_ALGORITHMS.map((algorithm) => ["RSA_4096", algorithm] as [SupportedAsymmetricKeySpec, SigningAlgorithmSpec]),
  ["ECC_NIST_P256", "ECDSA_SHA_256"],
  ["ECC_NIST_P384", "ECDSA_SHA_384"],
  ["ECC_NIST_P521", "ECDSA_SHA_512"],
  ["ECC_SECG_P256K1", "ECDSA_SHA_256"],
];

void describe("RSA and ECDSA signatures agree with the OpenSSL CLI", () => {
  for (const [spec, algorithm] of RSA_AND_ECDSA_CASES) {
    for (const messageType of ["RAW", "DIGEST"] as const) {
      void it(`${spec} ${algorithm} ${messageType}`, () => {
        const { key, files } = fixture(spec);
        const input = messageType === "RAW" ? message : createHash(opensslAlgorithm(algorithm).digest).update(message).digest();
        const ours = sign(key, algorithm, messageType, input);
        assert.ok(opensslVerifies(files.publicPem, algorithm, messageType, input, ours), "OpenSSL verifies our signature");
        // The harness must be able to say no, or the line above proves nothing.
        const tampered = Buffer.from(ours);
        tampered[tampered.length - 2] = (tampered[tampered.length - 2] ?? 0) ^ 0x10;
        assert.ok(!opensslVerifies(files.publicPem, algorithm, messageType, input, tampered), "OpenSSL rejects a tampered one");
        const theirs = opensslSign(files.privatePem, algorithm, messageType, input);
        assert.ok(verify(key, algorithm, messageType, input, theirs), "we verify OpenSSL's signature");
      });
    }
  }
});

void describe("Ed25519 signatures", () => {
  void it("ED25519_SHA_512 (pure Ed25519, RAW) verifies with the OpenSSL CLI, and OpenSSL's with us", () => {
    const { key, files } = fixture("ECC_NIST_EDWARDS25519");
    const ours = sign(key, "ED25519_SHA_512", "RAW", message);
    const verifyArgs = (signature: Uint8Array) => [
      "pkeyutl", "-verify", "-pubin", "-inkey", files.publicPem, "-rawin", "-in", writeTemp(message), "-sigfile", writeTemp(signature),
    ];
    assert.ok(opensslSucceeds(verifyArgs(ours)));
    assert.ok(!opensslSucceeds(verifyArgs(Buffer.concat([ours.subarray(0, 63), Buffer.from([(ours[63] ?? 0) ^ 1])]))));
    const theirs = openssl(["pkeyutl", "-sign", "-inkey", files.privatePem, "-rawin", "-in", writeTemp(message)]);
    assert.ok(verify(key, "ED25519_SHA_512", "RAW", message, theirs));
  });

  void it("the RFC 8032 verifier below accepts node's pure Ed25519 and the RFC's Ed25519ph vector (it is sound)", () => {
    const pair = generateKeyPairSync("ed25519");
    const publicKey = rawPublicKey(pair.publicKey.export({ type: "spki", format: "der" }));
    const signature = nodeSign(null, message, pair.privateKey);
    assert.ok(rfc8032Verify(publicKey, signature, Buffer.alloc(0), message));
    assert.ok(!rfc8032Verify(publicKey, signature, Buffer.alloc(0), Buffer.from("other")));
    // RFC 8032 §7.3, Ed25519ph, message "abc".
    assert.ok(
      rfc8032Verify(
        Buffer.from("ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf", "hex"),
        Buffer.from(
          "98a70222f0b8121aa9d30f813d683f809e462b469c7ff87639499bb94e6dae41" +
            "31f85042463c2a355a2003d062adf5aaa10b8c61e636062aaad11c2a26083406",
          "hex",
        ),
        ED25519PH_DOMAIN,
        createHash("sha512").update("abc").digest(),
      ),
    );
  });

  void it("ED25519_PH_SHA_512 over a DIGEST is standard Ed25519ph of that digest (KMS pre-hashes it once more)", () => {
    const { key } = fixture("ECC_NIST_EDWARDS25519");
    const publicKey = rawPublicKey(key.publicKeySpkiDer);
    const digest = createHash("sha512").update(message).digest();
    const signature = sign(key, "ED25519_PH_SHA_512", "DIGEST", digest);
    // Ed25519ph(M = digest): PH(M) = SHA-512(digest), the double hash AWS documents for this algorithm.
    assert.ok(rfc8032Verify(publicKey, signature, ED25519PH_DOMAIN, createHash("sha512").update(digest).digest()));
    // It is not a single-hash Ed25519ph of the message.
    assert.ok(!rfc8032Verify(publicKey, signature, ED25519PH_DOMAIN, digest));
  });
});

void describe("RSA-OAEP agrees with the OpenSSL CLI", () => {
  const CASES: ReadonlyArray<[SupportedAsymmetricKeySpec, EncryptionAlgorithmSpec, "sha1" | "sha256"]> = [
    ["RSA_2048", "RSAES_OAEP_SHA_1", "sha1"],
    ["RSA_2048", "RSAES_OAEP_SHA_256", "sha256"],
    ["RSA_4096", "RSAES_OAEP_SHA_1", "sha1"],
    ["RSA_4096", "RSAES_OAEP_SHA_256", "sha256"],
  ];
  for (const [spec, algorithm, hash] of CASES) {
    void it(`${spec} ${algorithm}: OpenSSL's ciphertexts decrypt here and ours decrypt there`, () => {
      const { key, files } = fixture(spec);
      const options = ["rsa_padding_mode:oaep", `rsa_oaep_md:${hash}`, `rsa_mgf1_md:${hash}`].flatMap((o) => ["-pkeyopt", o]);
      for (const plaintext of [Buffer.from("x"), randomBytes(maxRsaPlaintextBytes(key, algorithm))]) {
        const theirs = openssl(["pkeyutl", "-encrypt", "-pubin", "-inkey", files.publicPem, ...options, "-in", writeTemp(plaintext)]);
        assert.deepEqual(rsaDecrypt(key, algorithm, theirs), plaintext);
        const ours = rsaEncrypt(key, algorithm, plaintext);
        assert.deepEqual(openssl(["pkeyutl", "-decrypt", "-inkey", files.privatePem, ...options, "-in", writeTemp(ours)]), plaintext);
      }
    });
  }
});

void describe("ECDH agrees with `openssl pkeyutl -derive`", () => {
  for (const spec of ["ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521"] as const) {
    void it(spec, async () => {
      const { key, files } = fixture(spec);
      const peer = await generateKeyPairFor(spec);
      const peerFiles = keyFiles(peer);
      const expected = openssl(["pkeyutl", "-derive", "-inkey", files.privatePem, "-peerkey", peerFiles.publicPem]);
      assert.deepEqual(deriveSharedSecret(key, peer.publicKeySpkiDer), expected);
      const fromPeerSide = openssl(["pkeyutl", "-derive", "-inkey", peerFiles.privatePem, "-peerkey", files.publicPem]);
      assert.deepEqual(fromPeerSide, expected);
    });
  }
});

void describe("ML-DSA against an independent implementation", () => {
  const NOBLE = { ML_DSA_44: ml_dsa44, ML_DSA_65: ml_dsa65, ML_DSA_87: ml_dsa87 } as const;
  for (const spec of ["ML_DSA_44", "ML_DSA_65", "ML_DSA_87"] as const) {
    void it(`${spec}: RAW (OpenSSL via node) verifies with @noble; EXTERNAL_MU (@noble) verifies with OpenSSL via node`, () => {
      const { key } = fixture(spec);
      const publicKey = rawPublicKey(key.publicKeySpkiDer);
      const nodePublicKey = createPublicKey({ key: key.publicKeySpkiDer, format: "der", type: "spki" });

      const raw = sign(key, "ML_DSA_SHAKE_256", "RAW", message);
      assert.ok(NOBLE[spec].verify(raw, message, publicKey), "@noble verifies the RAW signature");
      assert.ok(!NOBLE[spec].verify(raw, Buffer.from("other"), publicKey));

      // FIPS 204: mu = SHAKE256(tr || 0x00 || len(ctx)=0 || M, 64) with tr = SHAKE256(pk, 64).
      const tr = createHash("shake256", { outputLength: 64 }).update(publicKey).digest();
      const mu = createHash("shake256", { outputLength: 64 }).update(tr).update(Buffer.from([0, 0])).update(message).digest();
      const external = sign(key, "ML_DSA_SHAKE_256", "EXTERNAL_MU", mu);
      assert.ok(nodeVerify(null, message, nodePublicKey, external), "OpenSSL verifies the EXTERNAL_MU signature over the message");
      assert.ok(NOBLE[spec].verify(external, message, publicKey), "@noble agrees");
      assert.ok(!nodeVerify(null, Buffer.from("other"), nodePublicKey, external));
    });
  }
});

void describe("data key pairs: the private key matches the public key", () => {
  const OPENSSL_SPECS: readonly DataKeyPairSpec[] = [
    "RSA_2048",
    "RSA_3072",
    "ECC_NIST_P256",
    "ECC_NIST_P384",
    "ECC_NIST_P521",
    "ECC_SECG_P256K1",
    "ECC_NIST_EDWARDS25519",
  ];
  for (const spec of OPENSSL_SPECS) {
    void it(`${spec}: OpenSSL derives the returned public key from the returned private key`, async () => {
      const pair = await generateDataKeyPair(spec);
      const derived = openssl(["pkey", "-in", writeTemp(pem("PRIVATE KEY", pair.privateKeyPkcs8Der)), "-pubout", "-outform", "DER"]);
      assert.deepEqual(derived, pair.publicKeySpkiDer);
    });
  }

  const ML_KEM = { ML_KEM_512: ml_kem512, ML_KEM_768: ml_kem768, ML_KEM_1024: ml_kem1024 } as const;
  for (const spec of ["ML_KEM_512", "ML_KEM_768", "ML_KEM_1024"] as const) {
    void it(`${spec}: @noble derives the returned public key from the private key's seed, and decapsulation works`, async () => {
      const pair = await generateDataKeyPair(spec);
      const seed = mlKemSeed(pair.privateKeyPkcs8Der);
      const { publicKey, secretKey } = ML_KEM[spec].keygen(seed);
      assert.deepEqual(Buffer.from(publicKey), rawPublicKey(pair.publicKeySpkiDer));
      const { cipherText, sharedSecret } = ML_KEM[spec].encapsulate(rawPublicKey(pair.publicKeySpkiDer));
      assert.deepEqual(ML_KEM[spec].decapsulate(cipherText, secretKey), sharedSecret);
    });
  }
});

// ---- helpers written from the specifications, independent of the code under test ----

/** Reads one DER element: its tag, its content and where it ends. */
function readDer(der: Buffer, offset: number): { tag: number; content: Buffer; end: number } {
  const tag = der[offset]!;
  let length = der[offset + 1]!;
  let cursor = offset + 2;
  if (length & 0x80) {
    const octets = length & 0x7f;
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + der[cursor++]!;
  }
  return { tag, content: der.subarray(cursor, cursor + length), end: cursor + length };
}

/** The key bytes inside a SubjectPublicKeyInfo's BIT STRING. */
function rawPublicKey(spki: Buffer): Buffer {
  const body = readDer(spki, 0).content;
  const algorithm = readDer(body, 0);
  return readDer(body, algorithm.end).content.subarray(1);
}

/** The 64-byte (d || z) seed of an ML-KEM PKCS#8 key in OpenSSL's default "both" form. */
function mlKemSeed(pkcs8: Buffer): Buffer {
  const body = readDer(pkcs8, 0).content;
  const version = readDer(body, 0);
  const algorithm = readDer(body, version.end);
  const privateKey = readDer(body, algorithm.end).content;
  const both = readDer(privateKey, 0);
  assert.equal(both.tag, 0x30, "expected the seed-and-expanded-key form");
  return readDer(both.content, 0).content;
}
