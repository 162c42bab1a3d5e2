/**
 * HMAC KMS keys: key generation, GenerateMac and VerifyMac (RFC 2104 with the SHA-2 hash
 * named by the key spec), with AWS's errors.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { KeySpec, MacAlgorithmSpec } from "@aws-sdk/client-kms";
import { InvalidKeyUsageException, KMSInvalidMacException } from "../../errors.ts";
import { preparedKey } from "../keyObjects.ts";
import { assertMemberLength } from "./inputLimits.ts";
import { macAlgorithmsFor } from "./keySpecs.ts";

/** The HMAC specs and, per spec, its key length in bytes: as many bits as the spec's name says. */
const HMAC_KEY_BYTES: Readonly<Partial<Record<KeySpec, number>>> = {
  HMAC_224: 28,
  HMAC_256: 32,
  HMAC_384: 48,
  HMAC_512: 64,
};

/** The node:crypto hash of each MAC algorithm. */
const MAC_HASHES: Readonly<Record<MacAlgorithmSpec, string>> = {
  HMAC_SHA_224: "sha224",
  HMAC_SHA_256: "sha256",
  HMAC_SHA_384: "sha384",
  HMAC_SHA_512: "sha512",
};

/** Generates the secret of a new HMAC KMS key (28, 32, 48 or 64 random bytes). Secret: never log it. */
export function generateHmacKey(spec: KeySpec): Buffer {
  const length = Object.hasOwn(HMAC_KEY_BYTES, spec) ? HMAC_KEY_BYTES[spec] : undefined;
  if (length === undefined) throw new TypeError(`Key spec ${spec} is not an HMAC key spec.`);
  return randomBytes(length);
}

/** Computes the MAC after checking the algorithm belongs to the key spec. */
function computeMac(key: Buffer, spec: KeySpec, algorithm: MacAlgorithmSpec, message: Uint8Array): Buffer {
  assertMemberLength("message", message);
  if (!Object.hasOwn(MAC_HASHES, algorithm) || !macAlgorithmsFor(spec).includes(algorithm)) {
    throw new InvalidKeyUsageException(`Algorithm ${algorithm} is incompatible with key spec ${spec}.`);
  }
  // The material is the key repository's cached Buffer: prepared once, not on every MAC.
  return createHmac(MAC_HASHES[algorithm], preparedKey(key)).update(message).digest();
}

/** GenerateMac: the HMAC tag of a message (1 to 4096 bytes) under an HMAC key. */
export function generateMac(key: Buffer, spec: KeySpec, algorithm: MacAlgorithmSpec, message: Uint8Array): Buffer {
  return computeMac(key, spec, algorithm, message);
}

/** VerifyMac: returns normally when the tag matches, throws KMSInvalidMacException (no message) when it does not. */
export function verifyMac(key: Buffer, spec: KeySpec, algorithm: MacAlgorithmSpec, message: Uint8Array, mac: Uint8Array): void {
  const expected = computeMac(key, spec, algorithm, message);
  // The length is not secret (it follows from the algorithm); the comparison of the bytes is constant-time.
  if (mac.length !== expected.length || !timingSafeEqual(expected, mac)) {
    throw new KMSInvalidMacException();
  }
}
