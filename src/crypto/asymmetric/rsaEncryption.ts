/**
 * Encrypt and Decrypt with RSA KMS keys: RSAES-OAEP with SHA-1 or SHA-256, MGF1 over the same
 * hash and an empty label, with AWS's plaintext limits and error answers.
 */
import { constants, privateDecrypt, publicEncrypt } from "node:crypto";
import type { EncryptionAlgorithmSpec } from "@aws-sdk/client-kms";
import { InvalidCiphertextException, InvalidKeyUsageException, ValidationException } from "../../errors.ts";
import { assertMemberLength } from "./inputLimits.ts";
import { encryptionAlgorithmsFor } from "./keySpecs.ts";
import type { PreparedAsymmetricKey } from "./preparedKey.ts";

/** The OAEP hash and its output length, per RSA encryption algorithm. */
const OAEP_HASHES: Readonly<Partial<Record<EncryptionAlgorithmSpec, { readonly name: string; readonly length: number }>>> = {
  RSAES_OAEP_SHA_1: { name: "sha1", length: 20 },
  RSAES_OAEP_SHA_256: { name: "sha256", length: 32 },
};

/** The OAEP hash of an algorithm, after checking the key spec lists the algorithm. */
function oaepHashFor(key: PreparedAsymmetricKey, algorithm: EncryptionAlgorithmSpec) {
  const hash = Object.hasOwn(OAEP_HASHES, algorithm) ? OAEP_HASHES[algorithm] : undefined;
  if (hash === undefined || !encryptionAlgorithmsFor(key.keySpec).includes(algorithm)) {
    throw new InvalidKeyUsageException(`Algorithm ${algorithm} is incompatible with key spec ${key.keySpec}.`);
  }
  return hash;
}

/** The modulus length of the key in bytes (k in RFC 8017). */
function modulusBytes(key: PreparedAsymmetricKey): number {
  return Math.ceil((key.publicKey.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
}

/** The largest plaintext OAEP can carry: k - 2·hLen - 2 (214/190, 342/318, 470/446 bytes for RSA 2048/3072/4096). */
export function maxRsaPlaintextBytes(key: PreparedAsymmetricKey, algorithm: EncryptionAlgorithmSpec): number {
  return modulusBytes(key) - 2 * oaepHashFor(key, algorithm).length - 2;
}

/** Encrypts a plaintext as Encrypt does with an RSA key (the ciphertext is the bare k-byte OAEP block). */
export function rsaEncrypt(key: PreparedAsymmetricKey, algorithm: EncryptionAlgorithmSpec, plaintext: Uint8Array): Buffer {
  assertMemberLength("plaintext", plaintext);
  const hash = oaepHashFor(key, algorithm);
  const limit = maxRsaPlaintextBytes(key, algorithm);
  if (plaintext.length > limit) {
    throw new ValidationException(
      `Algorithm ${algorithm} and key spec ${key.keySpec} cannot encrypt data larger than ${limit} bytes.`,
    );
  }
  return publicEncrypt({ key: key.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash.name }, plaintext);
}

/** Decrypts an OAEP ciphertext as Decrypt does; anything that does not decrypt is InvalidCiphertextException with no message. */
export function rsaDecrypt(key: PreparedAsymmetricKey, algorithm: EncryptionAlgorithmSpec, ciphertext: Uint8Array): Buffer {
  const hash = oaepHashFor(key, algorithm);
  if (ciphertext.length !== modulusBytes(key)) throw new InvalidCiphertextException();
  try {
    return privateDecrypt({ key: key.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash.name }, ciphertext);
  } catch {
    // OpenSSL's reason (padding check, value too large) must not reach the client.
    throw new InvalidCiphertextException();
  }
}
