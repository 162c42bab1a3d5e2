/**
 * The little DER reading the @noble libraries need: raw public key bytes out of a
 * SubjectPublicKeyInfo and the ML-DSA private key out of a PKCS#8 PrivateKeyInfo.
 * node:crypto has already parsed and validated the same bytes, so this only walks them.
 */

const SEQUENCE = 0x30;
const INTEGER = 0x02;
const BIT_STRING = 0x03;
const OCTET_STRING = 0x04;
/** `[0] IMPLICIT OCTET STRING`: how RFC 9881 encodes the seed-only ML-DSA private key. */
const CONTEXT_0_PRIMITIVE = 0x80;

/** One decoded tag-length-value element. */
type Tlv = { readonly tag: number; readonly content: Buffer; readonly end: number };

/** Reads the element starting at `offset`; throws on anything truncated or not definite-length. */
function readTlv(der: Buffer, offset: number): Tlv {
  const tag = der[offset];
  let lengthByte = der[offset + 1];
  if (tag === undefined || lengthByte === undefined) throw new Error("Truncated DER element");
  let cursor = offset + 2;
  let length = lengthByte;
  if (lengthByte & 0x80) {
    const lengthOctets = lengthByte & 0x7f;
    if (lengthOctets === 0 || lengthOctets > 4) throw new Error("Unsupported DER length");
    length = 0;
    for (let i = 0; i < lengthOctets; i++) {
      lengthByte = der[cursor++];
      if (lengthByte === undefined) throw new Error("Truncated DER length");
      length = length * 256 + lengthByte;
    }
  }
  const end = cursor + length;
  if (end > der.length) throw new Error("Truncated DER content");
  return { tag, content: der.subarray(cursor, end), end };
}

/** Reads the element at `offset` and insists on its tag. */
function expectTlv(der: Buffer, offset: number, tag: number): Tlv {
  const tlv = readTlv(der, offset);
  if (tlv.tag !== tag) throw new Error(`Unexpected DER tag 0x${tlv.tag.toString(16)}`);
  return tlv;
}

/** The raw public key (EC point, Ed25519 or ML-DSA key bytes) inside a SubjectPublicKeyInfo. */
export function spkiPublicKeyBytes(spkiDer: Buffer): Buffer {
  const spki = expectTlv(spkiDer, 0, SEQUENCE).content;
  const algorithm = expectTlv(spki, 0, SEQUENCE);
  const bitString = expectTlv(spki, algorithm.end, BIT_STRING).content;
  if (bitString[0] !== 0) throw new Error("Public key BIT STRING has unused bits");
  return bitString.subarray(1);
}

/** The ML-DSA private key as FIPS 204 seed and/or expanded key, whichever the PKCS#8 holds. */
export type MlDsaPrivateKeyParts = { readonly seed?: Buffer; readonly expandedKey?: Buffer };

/**
 * Reads the ML-DSA private key out of PKCS#8 in any of the three RFC 9881 forms:
 * seed only, expanded key only, or both (OpenSSL's default, which node produces).
 */
export function mlDsaPrivateKeyParts(pkcs8Der: Buffer): MlDsaPrivateKeyParts {
  const info = expectTlv(pkcs8Der, 0, SEQUENCE).content;
  const version = expectTlv(info, 0, INTEGER);
  const algorithm = expectTlv(info, version.end, SEQUENCE);
  const privateKey = expectTlv(info, algorithm.end, OCTET_STRING).content;
  const choice = readTlv(privateKey, 0);
  switch (choice.tag) {
    case CONTEXT_0_PRIMITIVE:
      return { seed: choice.content };
    case OCTET_STRING:
      return { expandedKey: choice.content };
    case SEQUENCE: {
      const seed = expectTlv(choice.content, 0, OCTET_STRING);
      const expandedKey = expectTlv(choice.content, seed.end, OCTET_STRING);
      return { seed: seed.content, expandedKey: expandedKey.content };
    }
    default:
      throw new Error("Unrecognised ML-DSA private key encoding");
  }
}
