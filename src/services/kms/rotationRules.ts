/**
 * Which keys can rotate, as AWS decides: symmetric encryption keys only; keys with
 * imported material rotate only on demand (to material imported for it).
 */
import { UnsupportedOperationException } from "../../errors.ts";
import { keyArn, type KeyRecord } from "../../keys/records.ts";

const NOT_ROTATABLE = "You cannot perform this operation on a non-symmetric key or a key with non-ENCRYPT_DECRYPT key usage.";

/** Refuses a key whose automatic rotation cannot be configured or read. */
export function requireAutomaticRotationSupport(key: KeyRecord): void {
  if (key.keySpec !== "SYMMETRIC_DEFAULT" || key.keyUsage !== "ENCRYPT_DECRYPT") throw new UnsupportedOperationException(NOT_ROTATABLE);
  if (key.origin !== "AWS_KMS") {
    throw new UnsupportedOperationException(`${keyArn(key)} origin is ${key.origin} which is not valid for this operation.`);
  }
}

/** Refuses a key that cannot rotate on demand (AWS answers this one with no message). */
export function requireOnDemandRotationSupport(key: KeyRecord): void {
  if (key.keySpec !== "SYMMETRIC_DEFAULT" || key.keyUsage !== "ENCRYPT_DECRYPT") throw new UnsupportedOperationException();
  if (key.origin !== "AWS_KMS" && key.origin !== "EXTERNAL") {
    throw new UnsupportedOperationException(`${keyArn(key)} origin is ${key.origin} which is not valid for this operation.`);
  }
}
