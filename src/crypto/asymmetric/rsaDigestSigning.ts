/**
 * RSA signatures over a digest the caller already computed (MessageType DIGEST).
 * node:crypto's sign/verify always hash their input, so the RFC 8017 encodings are done here
 * (EMSA-PKCS1-v1_5's DigestInfo, EMSA-PSS with MGF1 and salt length = digest length, as AWS
 * uses) and only the RSA private/public operation is left to OpenSSL.
 */
import {
  constants,
  createHash,
  privateEncrypt,
  publicDecrypt,
  randomBytes,
  timingSafeEqual,
  type KeyObject,
} from "node:crypto";
import type { HashName } from "./signingAlgorithms.ts";

/** DER of DigestInfo { AlgorithmIdentifier(hash, NULL), OCTET STRING(len) } up to the digest (RFC 8017 §9.2, note 1). */
const DIGEST_INFO_PREFIX: Readonly<Record<HashName, Buffer>> = {
  sha256: Buffer.from("3031300d060960864801650304020105000420", "hex"),
  sha384: Buffer.from("3041300d060960864801650304020205000430", "hex"),
  sha512: Buffer.from("3051300d060960864801650304020305000440", "hex"),
};

/** The modulus length of an RSA key, in bits. */
function modulusBits(key: KeyObject): number {
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (bits === undefined) throw new TypeError("Not an RSA key");
  return bits;
}

/**
 * Whether a signature is exactly k bytes long, k the modulus length in bytes, as RFC 8017
 * requires before anything else (§8.1.2, §8.2.2). OpenSSL also takes shorter ones, as if
 * left-padded with zeros: a valid signature whose first byte is 0 (1 in 256) would still
 * verify with that byte cut off.
 */
export function hasRsaSignatureLength(publicKey: KeyObject, signature: Uint8Array): boolean {
  return signature.length === Math.ceil(modulusBits(publicKey) / 8);
}

/** Runs the RSA public operation (s^e mod n) and returns exactly k bytes, or undefined when s is not a valid representative. */
function rsaPublicOperation(publicKey: KeyObject, signature: Uint8Array): Buffer | undefined {
  if (!hasRsaSignatureLength(publicKey, signature)) return undefined;
  const k = signature.length;
  try {
    const m = publicDecrypt({ key: publicKey, padding: constants.RSA_NO_PADDING }, signature);
    return m.length === k ? m : Buffer.concat([Buffer.alloc(k - m.length), m]);
  } catch {
    return undefined; // s >= n: not a signature of this key.
  }
}

/** RSASSA-PKCS1-v1_5 signature over a precomputed digest. */
export function signPkcs1Digest(privateKey: KeyObject, hash: HashName, digest: Uint8Array): Buffer {
  const digestInfo = Buffer.concat([DIGEST_INFO_PREFIX[hash], digest]);
  return privateEncrypt({ key: privateKey, padding: constants.RSA_PKCS1_PADDING }, digestInfo);
}

/** Checks an RSASSA-PKCS1-v1_5 signature over a precomputed digest. */
export function verifyPkcs1Digest(publicKey: KeyObject, hash: HashName, digest: Uint8Array, signature: Uint8Array): boolean {
  if (!hasRsaSignatureLength(publicKey, signature)) return false;
  let recovered: Buffer;
  try {
    recovered = publicDecrypt({ key: publicKey, padding: constants.RSA_PKCS1_PADDING }, signature);
  } catch {
    return false; // Not a well-formed type-1 block.
  }
  const expected = Buffer.concat([DIGEST_INFO_PREFIX[hash], digest]);
  return recovered.length === expected.length && timingSafeEqual(recovered, expected);
}

/** MGF1 (RFC 8017 B.2.1) with the given hash. */
function mgf1(hash: HashName, seed: Buffer, maskLength: number): Buffer {
  const blocks: Buffer[] = [];
  const counter = Buffer.alloc(4);
  for (let produced = 0, i = 0; produced < maskLength; i++) {
    counter.writeUInt32BE(i);
    const block = createHash(hash).update(seed).update(counter).digest();
    blocks.push(block);
    produced += block.length;
  }
  return Buffer.concat(blocks).subarray(0, maskLength);
}

/** H = Hash(0x00 * 8 || mHash || salt), the PSS commitment. */
function pssHash(hash: HashName, digest: Uint8Array, salt: Uint8Array): Buffer {
  return createHash(hash).update(Buffer.alloc(8)).update(digest).update(salt).digest();
}

/** The PSS layout of one key: emBits = modBits - 1 (RFC 8017 §8.1.1), emLen bytes, and how many top bits of EM must be zero. */
function pssGeometry(key: KeyObject): { k: number; emLength: number; topZeroBits: number } {
  const bits = modulusBits(key);
  const emBits = bits - 1;
  const emLength = Math.ceil(emBits / 8);
  return { k: Math.ceil(bits / 8), emLength, topZeroBits: 8 * emLength - emBits };
}

/** RSASSA-PSS signature over a precomputed digest, MGF1 with the same hash, salt as long as the digest. */
export function signPssDigest(privateKey: KeyObject, hash: HashName, digest: Uint8Array): Buffer {
  const { k, emLength, topZeroBits } = pssGeometry(privateKey);
  const hashLength = digest.length;
  const saltLength = hashLength;
  const salt = randomBytes(saltLength);
  const h = pssHash(hash, digest, salt);
  const db = Buffer.alloc(emLength - hashLength - 1);
  db[db.length - saltLength - 1] = 0x01;
  salt.copy(db, db.length - saltLength);
  const mask = mgf1(hash, h, db.length);
  for (let i = 0; i < db.length; i++) db[i] = (db[i] ?? 0) ^ (mask[i] ?? 0);
  db[0] = (db[0] ?? 0) & (0xff >>> topZeroBits);
  const encodedMessage = Buffer.concat([Buffer.alloc(k - emLength), db, h, Buffer.from([0xbc])]);
  return privateEncrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, encodedMessage);
}

/** Checks an RSASSA-PSS signature over a precomputed digest (salt length = digest length, as AWS signs). */
export function verifyPssDigest(publicKey: KeyObject, hash: HashName, digest: Uint8Array, signature: Uint8Array): boolean {
  const { k, emLength, topZeroBits } = pssGeometry(publicKey);
  const m = rsaPublicOperation(publicKey, signature);
  if (m === undefined) return false;
  if (m.subarray(0, k - emLength).some((byte) => byte !== 0)) return false;
  const em = m.subarray(k - emLength);
  const hashLength = digest.length;
  const saltLength = hashLength;
  if (emLength < hashLength + saltLength + 2 || em[emLength - 1] !== 0xbc) return false;
  const maskedDb = em.subarray(0, emLength - hashLength - 1);
  const h = em.subarray(emLength - hashLength - 1, emLength - 1);
  if (((maskedDb[0] ?? 0) & ~(0xff >>> topZeroBits) & 0xff) !== 0) return false;
  const mask = mgf1(hash, h, maskedDb.length);
  const db = Buffer.alloc(maskedDb.length);
  for (let i = 0; i < db.length; i++) db[i] = (maskedDb[i] ?? 0) ^ (mask[i] ?? 0);
  db[0] = (db[0] ?? 0) & (0xff >>> topZeroBits);
  const separatorIndex = db.length - saltLength - 1;
  if (db.subarray(0, separatorIndex).some((byte) => byte !== 0) || db[separatorIndex] !== 0x01) return false;
  const expected = pssHash(hash, digest, db.subarray(db.length - saltLength));
  return timingSafeEqual(expected, h);
}
