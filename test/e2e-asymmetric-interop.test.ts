/**
 * Interoperability from outside, end to end: what a running kmsd produces through
 * @aws-sdk/client-kms is checked by other implementations, using only the public key
 * GetPublicKey hands out. Signatures against the OpenSSL command line and node:crypto,
 * ML-DSA against @noble/post-quantum, Ed25519ph against RFC 8032 arithmetic written in the
 * test support; RSA-OAEP ciphertexts made by `openssl pkeyutl -encrypt` decrypt in kmsd;
 * DeriveSharedSecret equals `openssl pkeyutl -derive`; data key pairs match per OpenSSL.
 * (`void`: node:test returns promises that the runner itself awaits.)
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import {
  DecryptCommand,
  DeriveSharedSecretCommand,
  GenerateDataKeyPairCommand,
  GenerateDataKeyPairWithoutPlaintextCommand,
  GetPublicKeyCommand,
  SignCommand,
  type DataKeyPairSpec,
  type EncryptionAlgorithmSpec,
  type KMSClient,
  type KeySpec,
  type MessageType,
  type SigningAlgorithmSpec,
} from "@aws-sdk/client-kms";
import { ml_dsa44, ml_dsa65, ml_dsa87 } from "@noble/post-quantum/ml-dsa.js";
import { startKmsd, type Kmsd } from "./support/kmsd.ts";
import {
  ED25519PH_DOMAIN,
  bytes,
  hashOf,
  keyFixtures,
  messageFor,
  nodeVerifies,
  openssl,
  opensslSucceeds,
  pem,
  rawPublicKey,
  rfc8032Verify,
  scratchDirectory,
  signingCases,
  type Key,
} from "./support/asymmetric.ts";

const message = Buffer.from("Interoperability means someone else's verifier agrees.");

/** OpenSSL's options for an RSA signing algorithm (PSS salt as long as the digest, as AWS signs). */
function rsaSigningOptions(algorithm: SigningAlgorithmSpec): string[] {
  const hash = hashOf(algorithm);
  if (algorithm.startsWith("RSASSA_PSS")) {
    return ["rsa_padding_mode:pss", `rsa_pss_saltlen:${{ sha256: 32, sha384: 48, sha512: 64 }[hash ?? "sha256"]}`];
  }
  if (algorithm.startsWith("RSASSA_PKCS1")) return ["rsa_padding_mode:pkcs1"];
  return [];
}

void describe("kmsd interoperability, checked from outside", () => {
  let kmsd: Kmsd;
  let kms: KMSClient;
  const keys = keyFixtures(() => kms);
  const scratch = scratchDirectory();

  before(async () => {
    kmsd = await startKmsd();
    kms = kmsd.kms();
  });
  after(async () => {
    await kmsd.dispose();
    scratch.remove();
  });

  /** The key's public key as GetPublicKey returns it, and as a PEM file made from that DER. */
  async function publicKeyOf(key: Key): Promise<{ der: Buffer; pemFile: string }> {
    const der = bytes((await kms.send(new GetPublicKeyCommand({ KeyId: key.KeyId }))).PublicKey);
    return { der, pemFile: scratch.write(pem("PUBLIC KEY", der)) };
  }
  async function kmsSign(key: Key, algorithm: SigningAlgorithmSpec, messageType: MessageType, input: Uint8Array): Promise<Buffer> {
    return bytes((await kms.send(new SignCommand({ KeyId: key.KeyId, SigningAlgorithm: algorithm, MessageType: messageType, Message: input }))).Signature);
  }

  /** `openssl dgst -verify` over the whole message. */
  function opensslVerifiesMessage(pemFile: string, algorithm: SigningAlgorithmSpec, signature: Uint8Array): boolean {
    const sigopts = rsaSigningOptions(algorithm).flatMap((option) => ["-sigopt", option]);
    return opensslSucceeds([
      "dgst", `-${hashOf(algorithm)}`, "-verify", pemFile, ...sigopts, "-signature", scratch.write(signature), scratch.write(message),
    ]);
  }
  /** `openssl pkeyutl -verify` over a digest. */
  function opensslVerifiesDigest(pemFile: string, algorithm: SigningAlgorithmSpec, digest: Uint8Array, signature: Uint8Array): boolean {
    const pkeyopts = [`digest:${hashOf(algorithm)}`, ...rsaSigningOptions(algorithm)].flatMap((option) => ["-pkeyopt", option]);
    return opensslSucceeds([
      "pkeyutl", "-verify", "-pubin", "-inkey", pemFile, ...pkeyopts, "-in", scratch.write(digest), "-sigfile", scratch.write(signature),
    ]);
  }

  void describe("RSA and ECDSA signatures verify with the OpenSSL command line and node:crypto", () => {
    const SPECS: KeySpec[] = ["RSA_2048", "RSA_3072", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1"];
    for (const { spec, algorithm, messageTypes } of signingCases(SPECS)) {
      for (const messageType of messageTypes) {
        void it(`${spec} ${algorithm} ${messageType}: openssl dgst -verify, openssl pkeyutl -verify and node:crypto accept it; a changed bit is rejected`, async () => {
          const key = await keys.get(spec, "SIGN_VERIFY");
          const { der, pemFile } = await publicKeyOf(key);
          const input = messageFor(algorithm, messageType, message, der);
          const signature = await kmsSign(key, algorithm, messageType, input);
          const digest = createHash(hashOf(algorithm) ?? "").update(message).digest();
          assert.ok(opensslVerifiesMessage(pemFile, algorithm, signature), "openssl dgst -verify over the message");
          assert.ok(opensslVerifiesDigest(pemFile, algorithm, digest, signature), "openssl pkeyutl -verify over the digest");
          assert.ok(nodeVerifies(der, algorithm, message, signature), "node:crypto");
          // The checker must be able to say no, or the lines above prove nothing.
          const tampered = Buffer.from(signature);
          tampered[tampered.length - 2] = (tampered[tampered.length - 2] ?? 0) ^ 0x10;
          assert.ok(!opensslVerifiesMessage(pemFile, algorithm, tampered), "openssl rejects a changed signature");
          assert.ok(!nodeVerifies(der, algorithm, message, tampered));
        });
      }
    }
  });

  void describe("Ed25519 signatures", () => {
    void it("ED25519_SHA_512 RAW verifies with openssl pkeyutl -verify -rawin and node:crypto", async () => {
      const key = await keys.get("ECC_NIST_EDWARDS25519", "SIGN_VERIFY");
      const { der, pemFile } = await publicKeyOf(key);
      const signature = await kmsSign(key, "ED25519_SHA_512", "RAW", message);
      assert.equal(signature.length, 64);
      const opensslVerify = (sig: Uint8Array) =>
        opensslSucceeds(["pkeyutl", "-verify", "-pubin", "-inkey", pemFile, "-rawin", "-in", scratch.write(message), "-sigfile", scratch.write(sig)]);
      assert.ok(opensslVerify(signature), "openssl");
      assert.ok(nodeVerifies(der, "ED25519_SHA_512", message, signature), "node:crypto");
      assert.ok(rfc8032Verify(rawPublicKey(der), signature, Buffer.alloc(0), message), "RFC 8032 arithmetic");
      const tampered = Buffer.from(signature);
      tampered[63] = (tampered[63] ?? 0) ^ 0x01;
      assert.ok(!opensslVerify(tampered));
    });

    void it("the RFC 8032 verifier of the test support is sound: it accepts the RFC's Ed25519ph vector and rejects another message", () => {
      // RFC 8032 §7.3, Ed25519ph, message "abc".
      const publicKey = Buffer.from("ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf", "hex");
      const signature = Buffer.from(
        "98a70222f0b8121aa9d30f813d683f809e462b469c7ff87639499bb94e6dae4131f85042463c2a355a2003d062adf5aaa10b8c61e636062aaad11c2a26083406",
        "hex",
      );
      assert.ok(rfc8032Verify(publicKey, signature, ED25519PH_DOMAIN, createHash("sha512").update("abc").digest()));
      assert.ok(!rfc8032Verify(publicKey, signature, ED25519PH_DOMAIN, createHash("sha512").update("abd").digest()));
    });

    void it("ED25519_PH_SHA_512 over a DIGEST is RFC 8032 Ed25519ph of that digest, which KMS pre-hashes once more (as AWS documents)", async () => {
      const key = await keys.get("ECC_NIST_EDWARDS25519", "SIGN_VERIFY");
      const { der } = await publicKeyOf(key);
      const digest = createHash("sha512").update(message).digest();
      const signature = await kmsSign(key, "ED25519_PH_SHA_512", "DIGEST", digest);
      const publicKey = rawPublicKey(der);
      assert.ok(rfc8032Verify(publicKey, signature, ED25519PH_DOMAIN, createHash("sha512").update(digest).digest()));
      assert.ok(!rfc8032Verify(publicKey, signature, ED25519PH_DOMAIN, digest), "not a single-hash Ed25519ph of the message");
    });
  });

  void describe("ML-DSA signatures verify with @noble/post-quantum (and node:crypto)", () => {
    const NOBLE = { ML_DSA_44: ml_dsa44, ML_DSA_65: ml_dsa65, ML_DSA_87: ml_dsa87 } as const;
    for (const spec of ["ML_DSA_44", "ML_DSA_65", "ML_DSA_87"] as const) {
      for (const messageType of ["RAW", "EXTERNAL_MU"] as const) {
        void it(`${spec} ${messageType}: @noble/post-quantum and node:crypto verify it over the message`, async () => {
          const key = await keys.get(spec, "SIGN_VERIFY");
          const { der } = await publicKeyOf(key);
          const signature = await kmsSign(key, "ML_DSA_SHAKE_256", messageType, messageFor("ML_DSA_SHAKE_256", messageType, message, der));
          const publicKey = rawPublicKey(der);
          assert.ok(NOBLE[spec].verify(signature, message, publicKey), "@noble/post-quantum");
          assert.ok(!NOBLE[spec].verify(signature, Buffer.from("another message"), publicKey));
          assert.ok(nodeVerifies(der, "ML_DSA_SHAKE_256", message, signature), "node:crypto");
        });
      }
    }
  });

  void describe("RSA ciphertexts made by openssl pkeyutl -encrypt with the downloaded public key decrypt in kmsd", () => {
    const CASES: Array<[KeySpec, EncryptionAlgorithmSpec, "sha1" | "sha256", number]> = [
      ["RSA_2048", "RSAES_OAEP_SHA_1", "sha1", 214],
      ["RSA_2048", "RSAES_OAEP_SHA_256", "sha256", 190],
      ["RSA_3072", "RSAES_OAEP_SHA_1", "sha1", 342],
      ["RSA_3072", "RSAES_OAEP_SHA_256", "sha256", 318],
    ];
    for (const [spec, algorithm, hash, limit] of CASES) {
      void it(`${spec} ${algorithm}: OAEP with ${hash} (MGF1 ${hash}), 1 and ${limit} bytes`, async () => {
        const key = await keys.get(spec, "ENCRYPT_DECRYPT");
        const { pemFile } = await publicKeyOf(key);
        const options = ["rsa_padding_mode:oaep", `rsa_oaep_md:${hash}`, `rsa_mgf1_md:${hash}`].flatMap((option) => ["-pkeyopt", option]);
        for (const plaintext of [Buffer.from("x"), randomBytes(limit)]) {
          const ciphertext = openssl(["pkeyutl", "-encrypt", "-pubin", "-inkey", pemFile, ...options, "-in", scratch.write(plaintext)]);
          const decrypted = await kms.send(new DecryptCommand({ KeyId: key.KeyId, EncryptionAlgorithm: algorithm, CiphertextBlob: ciphertext }));
          assert.deepEqual(bytes(decrypted.Plaintext), plaintext);
        }
      });
    }
  });

  void describe("DeriveSharedSecret equals openssl pkeyutl -derive", () => {
    for (const [spec, curve] of [
      ["ECC_NIST_P256", "P-256"],
      ["ECC_NIST_P384", "P-384"],
      ["ECC_NIST_P521", "P-521"],
    ] as const) {
      void it(`${spec}: a peer key made by openssl genpkey, derived on both sides`, async () => {
        const key = await keys.get(spec, "KEY_AGREEMENT");
        const { pemFile } = await publicKeyOf(key);
        const peerPrivate = scratch.write(openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", `ec_paramgen_curve:${curve}`]));
        const peerPublicDer = openssl(["pkey", "-in", peerPrivate, "-pubout", "-outform", "DER"]);
        const answer = await kms.send(new DeriveSharedSecretCommand({ KeyId: key.KeyId, KeyAgreementAlgorithm: "ECDH", PublicKey: peerPublicDer }));
        const expected = openssl(["pkeyutl", "-derive", "-inkey", peerPrivate, "-peerkey", pemFile]);
        assert.deepEqual(bytes(answer.SharedSecret), expected);
      });
    }
  });

  void describe("data key pairs: OpenSSL agrees the private key matches the public key", () => {
    const SPECS: DataKeyPairSpec[] = ["RSA_2048", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1", "ECC_NIST_EDWARDS25519"];
    /** OpenSSL derives the public key from the private one, and verifies with the returned public key what the private key signs. */
    function assertOpensslMatches(spec: DataKeyPairSpec, privateDer: Buffer, publicDer: Buffer): void {
      const privatePem = scratch.write(pem("PRIVATE KEY", privateDer));
      const publicPem = scratch.write(pem("PUBLIC KEY", publicDer));
      assert.deepEqual(openssl(["pkey", "-in", privatePem, "-pubout", "-outform", "DER"]), publicDer);
      const input = scratch.write(message);
      if (spec === "ECC_NIST_EDWARDS25519") {
        const signature = scratch.write(openssl(["pkeyutl", "-sign", "-inkey", privatePem, "-rawin", "-in", input]));
        assert.ok(opensslSucceeds(["pkeyutl", "-verify", "-pubin", "-inkey", publicPem, "-rawin", "-in", input, "-sigfile", signature]));
      } else {
        const signature = scratch.write(openssl(["dgst", "-sha256", "-sign", privatePem, input]));
        assert.ok(opensslSucceeds(["dgst", "-sha256", "-verify", publicPem, "-signature", signature, input]));
      }
    }
    for (const spec of SPECS) {
      void it(`${spec}: GenerateDataKeyPair's plaintext private key, and WithoutPlaintext's decrypted one`, async () => {
        const symmetric = await keys.get("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT");
        const withPlaintext = await kms.send(new GenerateDataKeyPairCommand({ KeyId: symmetric.KeyId, KeyPairSpec: spec }));
        assertOpensslMatches(spec, bytes(withPlaintext.PrivateKeyPlaintext), bytes(withPlaintext.PublicKey));
        const without = await kms.send(new GenerateDataKeyPairWithoutPlaintextCommand({ KeyId: symmetric.KeyId, KeyPairSpec: spec }));
        const decrypted = await kms.send(new DecryptCommand({ CiphertextBlob: without.PrivateKeyCiphertextBlob }));
        assertOpensslMatches(spec, bytes(decrypted.Plaintext), bytes(without.PublicKey));
      });
    }
  });
});
