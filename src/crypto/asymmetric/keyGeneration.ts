/**
 * Key pair generation for KMS keys and data key pairs. Generation always runs on the libuv
 * threadpool through node:crypto's asynchronous generateKeyPair: an RSA-4096 key takes
 * seconds and must never block the event loop.
 */
import { generateKeyPair } from "node:crypto";
import type { DataKeyPairSpec, KeySpec } from "@aws-sdk/client-kms";
import { UnsupportedOperationException } from "../../errors.ts";
import { isKeySpecAvailable } from "./keySpecs.ts";
import { isSupportedAsymmetricKeySpec, keyMaterialShapeOf, type KeyMaterialShape } from "./keyMaterialShapes.ts";

/** A freshly generated key pair, both halves DER-encoded as KMS stores and returns them. */
export type GeneratedKeyPair = {
  /** PKCS#8 PrivateKeyInfo, unencrypted: secret, never log it. */
  readonly privateKeyPkcs8Der: Buffer;
  /** X.509 SubjectPublicKeyInfo, what GetPublicKey returns. */
  readonly publicKeySpkiDer: Buffer;
};

const DER_ENCODINGS = {
  publicKeyEncoding: { type: "spki", format: "der" },
  privateKeyEncoding: { type: "pkcs8", format: "der" },
} as const;

/** node:crypto's callback for a DER-encoded key pair. */
type DerKeyPairCallback = (error: Error | null, publicKey: Buffer, privateKey: Buffer) => void;

/** Turns one callback-style generateKeyPair call into a promise of the DER pair. */
function promiseDerKeyPair(start: (callback: DerKeyPairCallback) => void): Promise<GeneratedKeyPair> {
  return new Promise((resolve, reject) => {
    start((error, publicKey, privateKey) => {
      if (error) reject(error);
      else resolve({ privateKeyPkcs8Der: privateKey, publicKeySpkiDer: publicKey });
    });
  });
}

/** Asks node:crypto (threadpool) for a key pair of the given shape. */
function generateDerKeyPair(shape: KeyMaterialShape): Promise<GeneratedKeyPair> {
  switch (shape.type) {
    case "rsa":
      return promiseDerKeyPair((done) =>
        generateKeyPair("rsa", { modulusLength: shape.modulusLength, publicExponent: 0x10001, ...DER_ENCODINGS }, done),
      );
    case "ec":
      return promiseDerKeyPair((done) => generateKeyPair("ec", { namedCurve: shape.namedCurve, ...DER_ENCODINGS }, done));
    case "ed25519":
      return promiseDerKeyPair((done) => generateKeyPair("ed25519", DER_ENCODINGS, done));
    case "ml-dsa-44":
    case "ml-dsa-65":
    case "ml-dsa-87":
      return promiseDerKeyPair((done) => generateKeyPair(shape.type, DER_ENCODINGS, done));
    case "ml-kem-512":
    case "ml-kem-768":
    case "ml-kem-1024":
      return promiseDerKeyPair((done) => generateKeyPair(shape.type, DER_ENCODINGS, done));
  }
}

/** The error AWS gives outside the China Regions for a China-only spec (SM2). */
function unavailableSpec(kind: "KeySpec" | "KeyPairSpec", spec: string): Error {
  return new UnsupportedOperationException(`${kind} ${spec} is not supported in this Region`);
}

/**
 * Generates the key pair of an asymmetric KMS key (CreateKey): RSA, ECC (NIST, secp256k1,
 * Ed25519), ML-DSA and ML-KEM. Asking for a symmetric or HMAC spec is a programming error.
 */
export async function generateKeyPairFor(spec: KeySpec): Promise<GeneratedKeyPair> {
  if (!isKeySpecAvailable(spec)) throw unavailableSpec("KeySpec", spec);
  if (!isSupportedAsymmetricKeySpec(spec)) {
    throw new TypeError(`Key spec ${spec} has no key pair; use the symmetric or HMAC key generator.`);
  }
  return generateDerKeyPair(keyMaterialShapeOf(spec));
}

/**
 * Generates a data key pair (GenerateDataKeyPair[WithoutPlaintext]): every DataKeyPairSpec of
 * the current model except SM2, which AWS offers only in the China Regions.
 */
export async function generateDataKeyPair(spec: DataKeyPairSpec): Promise<GeneratedKeyPair> {
  if (!isSupportedAsymmetricKeySpec(spec)) throw unavailableSpec("KeyPairSpec", spec);
  return generateDerKeyPair(keyMaterialShapeOf(spec));
}
