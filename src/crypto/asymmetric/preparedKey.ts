/**
 * Prepared key handles: a KMS key pair parsed once into node KeyObjects (and, on first need,
 * into the raw bytes the @noble libraries take), so that the hot path never re-parses DER.
 * Callers create one per key and cache it.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import type { KeySpec } from "@aws-sdk/client-kms";
import { ml_dsa44, ml_dsa65, ml_dsa87 } from "@noble/post-quantum/ml-dsa.js";
import { mlDsaPrivateKeyParts, spkiPublicKeyBytes } from "./der.ts";
import {
  isSupportedAsymmetricKeySpec,
  keyMaterialShapeOf,
  keyObjectMatchesShape,
  type SupportedAsymmetricKeySpec,
} from "./keyMaterialShapes.ts";

/** A parsed KMS key pair. The private half is secret: never log or serialise it. */
export type PreparedAsymmetricKey = {
  readonly keySpec: SupportedAsymmetricKeySpec;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** The SubjectPublicKeyInfo GetPublicKey returns. */
  readonly publicKeySpkiDer: Buffer;
};

/**
 * Thrown when PKCS#8 bytes do not parse, or parse into a key of another type, curve or size
 * than the key spec. The message never carries key bytes. Not an AWS error: the caller maps it
 * (ImportKeyMaterial answers the client; a stored key that fails is an internal fault).
 */
export class KeyMaterialMismatchError extends Error {
  constructor(keySpec: string) {
    super(`The key material is not a valid ${keySpec} private key.`);
    this.name = "KeyMaterialMismatchError";
  }
}

/** Parses and checks a key pair once; the result is what sign, verify, decrypt and derive take. */
export function prepareAsymmetricKey(keySpec: KeySpec, privateKeyPkcs8Der: Uint8Array): PreparedAsymmetricKey {
  if (!isSupportedAsymmetricKeySpec(keySpec)) {
    throw new TypeError(`Key spec ${keySpec} has no key pair to prepare.`);
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: Buffer.from(privateKeyPkcs8Der), format: "der", type: "pkcs8" });
  } catch {
    // node's parser error says nothing useful to a client and is dropped on purpose.
    throw new KeyMaterialMismatchError(keySpec);
  }
  if (!keyObjectMatchesShape(privateKey, keyMaterialShapeOf(keySpec))) {
    throw new KeyMaterialMismatchError(keySpec);
  }
  const publicKey = createPublicKey(privateKey);
  const publicKeySpkiDer = publicKey.export({ type: "spki", format: "der" });
  return Object.freeze({ keySpec, privateKey, publicKey, publicKeySpkiDer });
}

/** The raw key bytes @noble takes: a secret scalar, Ed25519 seed or ML-DSA secret key, and the public key. */
export type NobleKeyMaterial = { readonly secretKey: Uint8Array; readonly publicKey: Uint8Array };

/**
 * Kept beside the handle rather than on it, so that nothing enumerating or printing the
 * handle can reach raw secret bytes; filled on first use only (most keys never need it).
 */
const nobleMaterialByKey = new WeakMap<PreparedAsymmetricKey, NobleKeyMaterial>();

const ML_DSA_BY_TYPE = { "ml-dsa-44": ml_dsa44, "ml-dsa-65": ml_dsa65, "ml-dsa-87": ml_dsa87 } as const;

/** The JWK `d` member (EC scalar or Ed25519 seed) of a private key. */
function jwkPrivateBytes(privateKey: KeyObject): Buffer {
  const d = privateKey.export({ format: "jwk" }).d;
  if (d === undefined) throw new Error("Private key has no JWK d member");
  return Buffer.from(d, "base64url");
}

/** Derives the @noble form of a prepared key. */
function deriveNobleMaterial(key: PreparedAsymmetricKey): NobleKeyMaterial {
  const publicKey = spkiPublicKeyBytes(key.publicKeySpkiDer);
  const type = key.privateKey.asymmetricKeyType;
  if (type === "ec" || type === "ed25519") {
    return { secretKey: jwkPrivateBytes(key.privateKey), publicKey };
  }
  if (type === "ml-dsa-44" || type === "ml-dsa-65" || type === "ml-dsa-87") {
    const parts = mlDsaPrivateKeyParts(key.privateKey.export({ type: "pkcs8", format: "der" }));
    // The expanded key is what noble signs with; a seed-only key is expanded as FIPS 204 keygen does.
    const secretKey = parts.expandedKey ?? (parts.seed && ML_DSA_BY_TYPE[type].keygen(parts.seed).secretKey);
    if (secretKey === undefined) throw new Error("ML-DSA private key has neither seed nor expanded key");
    return { secretKey, publicKey };
  }
  throw new TypeError(`No @noble form for key spec ${key.keySpec}.`);
}

/** The @noble form of a prepared key, derived once and then cached with the handle's lifetime. */
export function nobleKeyMaterialOf(key: PreparedAsymmetricKey): NobleKeyMaterial {
  let material = nobleMaterialByKey.get(key);
  if (material === undefined) {
    material = deriveNobleMaterial(key);
    nobleMaterialByKey.set(key, material);
  }
  return material;
}
