/**
 * What each signing algorithm means: its scheme, its hash, the digest length a DIGEST message
 * must have, and which MessageTypes AWS accepts with it. Which key specs may use which
 * algorithm is the capability table's business (keySpecs.ts), not this file's.
 */
import type { MessageType, SigningAlgorithmSpec } from "@aws-sdk/client-kms";

/** The signature construction behind an algorithm. */
export type SigningScheme = "rsa-pss" | "rsa-pkcs1" | "ecdsa" | "ed25519" | "ed25519ph" | "ml-dsa";

/** node:crypto names of the hashes the algorithms use. */
export type HashName = "sha256" | "sha384" | "sha512";

/** The parameters of one signing algorithm. */
export type SigningAlgorithmParameters = {
  readonly scheme: SigningScheme;
  /** The hash applied to a RAW message (undefined for ML-DSA, whose SHAKE-256 is internal). */
  readonly hash: HashName | undefined;
  /** The exact byte length a DIGEST (or, for ML-DSA, an EXTERNAL_MU) message must have. */
  readonly digestLength: number;
  /** The MessageTypes AWS accepts with this algorithm. */
  readonly messageTypes: readonly MessageType[];
  /**
   * What AWS names in its "Message type X is incompatible with ..." error: the algorithm for
   * Ed25519 (the key spec has two algorithms with opposite rules), the key spec otherwise.
   */
  readonly messageTypeErrorNames: "algorithm" | "keySpec";
};

const RAW_OR_DIGEST: readonly MessageType[] = ["RAW", "DIGEST"];

function hashed(scheme: SigningScheme, hash: HashName, digestLength: number): SigningAlgorithmParameters {
  return { scheme, hash, digestLength, messageTypes: RAW_OR_DIGEST, messageTypeErrorNames: "keySpec" };
}

/** Every signing algorithm this server implements (all but SM2DSA, which is China-only). */
const SIGNING_ALGORITHMS: Readonly<Partial<Record<SigningAlgorithmSpec, SigningAlgorithmParameters>>> = {
  RSASSA_PSS_SHA_256: hashed("rsa-pss", "sha256", 32),
  RSASSA_PSS_SHA_384: hashed("rsa-pss", "sha384", 48),
  RSASSA_PSS_SHA_512: hashed("rsa-pss", "sha512", 64),
  RSASSA_PKCS1_V1_5_SHA_256: hashed("rsa-pkcs1", "sha256", 32),
  RSASSA_PKCS1_V1_5_SHA_384: hashed("rsa-pkcs1", "sha384", 48),
  RSASSA_PKCS1_V1_5_SHA_512: hashed("rsa-pkcs1", "sha512", 64),
  ECDSA_SHA_256: hashed("ecdsa", "sha256", 32),
  ECDSA_SHA_384: hashed("ecdsa", "sha384", 48),
  ECDSA_SHA_512: hashed("ecdsa", "sha512", 64),
  // Pure Ed25519 hashes inside the scheme and so only takes the whole message.
  ED25519_SHA_512: { scheme: "ed25519", hash: "sha512", digestLength: 64, messageTypes: ["RAW"], messageTypeErrorNames: "algorithm" },
  // Ed25519ph takes a SHA-512 digest only, and (as AWS documents) pre-hashes it once more itself.
  ED25519_PH_SHA_512: {
    scheme: "ed25519ph",
    hash: "sha512",
    digestLength: 64,
    messageTypes: ["DIGEST"],
    messageTypeErrorNames: "algorithm",
  },
  // EXTERNAL_MU is the 64-byte FIPS 204 message representative mu.
  ML_DSA_SHAKE_256: {
    scheme: "ml-dsa",
    hash: undefined,
    digestLength: 64,
    messageTypes: ["RAW", "EXTERNAL_MU"],
    messageTypeErrorNames: "keySpec",
  },
};

/** The parameters of a signing algorithm, or undefined for one this server does not implement. */
export function signingAlgorithmParameters(algorithm: SigningAlgorithmSpec): SigningAlgorithmParameters | undefined {
  return Object.hasOwn(SIGNING_ALGORITHMS, algorithm) ? SIGNING_ALGORITHMS[algorithm] : undefined;
}
