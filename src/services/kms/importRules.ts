/**
 * What imported key material must look like for each key spec, and which key specs
 * accept imported material at all (AWS: symmetric, HMAC, RSA and ECC keys).
 */
import type { KeySpec } from "@aws-sdk/client-kms";
import { UnsupportedOperationException, ValidationException } from "../../errors.ts";
import { KeyMaterialMismatchError, prepareAsymmetricKey } from "../../crypto/asymmetric/index.ts";
import { keyArn, type KeyRecord } from "../../keys/records.ts";

/** Byte lengths AWS accepts for imported HMAC keys. */
const HMAC_KEY_BYTES: Partial<Record<KeySpec, readonly [number, number]>> = {
  HMAC_224: [28, 64],
  HMAC_256: [32, 64],
  HMAC_384: [48, 128],
  HMAC_512: [64, 128],
};

/** Key specs whose material cannot be imported. */
const NOT_IMPORTABLE = new Set<KeySpec>(["ML_DSA_44", "ML_DSA_65", "ML_DSA_87", "SM2"]);

/** Refuses CreateKey with Origin EXTERNAL for a key spec that cannot take imported material. */
export function requireImportableKeySpec(keySpec: KeySpec): void {
  if (NOT_IMPORTABLE.has(keySpec)) {
    throw new UnsupportedOperationException(`KeySpec ${keySpec} does not support Origin EXTERNAL.`);
  }
}

/** Refuses operations on imported material for keys whose origin is not EXTERNAL. */
export function requireExternalOrigin(key: KeyRecord): void {
  if (key.origin !== "EXTERNAL") {
    throw new UnsupportedOperationException(`${keyArn(key)} origin is ${key.origin} which is not valid for this operation.`);
  }
}

/** Checks the unwrapped material fits the key spec (length, or a private key of the right type). */
export function checkImportedMaterial(keySpec: KeySpec, material: Buffer): void {
  if (keySpec === "SYMMETRIC_DEFAULT") {
    if (material.length !== 32) throw new ValidationException("The key material must be exactly 256 bits (32 bytes) for a SYMMETRIC_DEFAULT key.");
    return;
  }
  const hmacBounds = HMAC_KEY_BYTES[keySpec];
  if (hmacBounds) {
    const [min, max] = hmacBounds;
    if (material.length < min || material.length > max) {
      throw new ValidationException(`The key material for a ${keySpec} key must be between ${min} and ${max} bytes long.`);
    }
    return;
  }
  try {
    prepareAsymmetricKey(keySpec, material);
  } catch (error) {
    if (error instanceof KeyMaterialMismatchError) {
      throw new ValidationException(`The key material must be a DER-encoded PKCS #8 private key for key spec ${keySpec}.`);
    }
    throw error;
  }
}
