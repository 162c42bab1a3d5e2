/**
 * Encryption with any ENCRYPT_DECRYPT key: symmetric keys seal self-describing blobs
 * (symmetric.ts); RSA keys encrypt with OAEP under the algorithm the caller names. The
 * operations (Encrypt, Decrypt, ReEncrypt) call these two functions and nothing else.
 */
import type { EncryptionAlgorithmSpec } from "@aws-sdk/client-kms";
import { IncorrectKeyException, InvalidKeyUsageException } from "../../errors.ts";
import { encryptionAlgorithmsFor, rsaDecrypt, rsaEncrypt } from "../../crypto/asymmetric/index.ts";
import type { KeyRecord } from "../../keys/records.ts";
import type { RequestContext } from "../../server/context.ts";
import type { KmsOperation } from "./registry.ts";
import { openWithKey, requireSymmetricAlgorithm, sealWithKey } from "./symmetric.ts";

/** A ciphertext and how it was made. */
export interface Encrypted {
  ciphertextBlob: Buffer;
  algorithm: EncryptionAlgorithmSpec;
  /** Symmetric keys only: the material version the blob names. */
  keyMaterialId?: string;
}

/** Encrypts with a key already checked for state and usage. */
export async function encryptWith(
  ctx: RequestContext,
  operation: KmsOperation,
  key: KeyRecord,
  algorithm: EncryptionAlgorithmSpec | undefined,
  plaintext: Uint8Array,
  context: Record<string, string> | undefined,
): Promise<Encrypted> {
  const checked = checkEncryptionAlgorithm(key, algorithm);
  if (key.keySpec === "SYMMETRIC_DEFAULT") {
    const sealed = await sealWithKey(ctx, operation, key, plaintext, context);
    return { ciphertextBlob: sealed.ciphertextBlob, algorithm: checked, keyMaterialId: sealed.keyMaterialId };
  }
  return { ciphertextBlob: rsaEncrypt(await ctx.services.keys.keyPair(key), checked, plaintext), algorithm: checked };
}

/** A decrypted plaintext and what decrypted it. */
export interface Decrypted {
  key: KeyRecord;
  plaintext: Buffer;
  algorithm: EncryptionAlgorithmSpec;
  keyMaterialId?: string;
}

/**
 * Decrypts a blob. A symmetric blob names its key (`requestedKey`, if given, must be
 * that key); an RSA ciphertext names nothing, so its key must be given.
 */
export async function decryptWith(
  ctx: RequestContext,
  operation: KmsOperation,
  blob: Uint8Array,
  context: Record<string, string> | undefined,
  algorithm: EncryptionAlgorithmSpec | undefined,
  requestedKey: KeyRecord | undefined,
): Promise<Decrypted> {
  if (requestedKey && requestedKey.keyUsage !== "ENCRYPT_DECRYPT") {
    // AWS answers a decrypting key of another usage (HMAC, signing) this way, not with InvalidKeyUsage.
    throw new IncorrectKeyException("The key ID in the request does not identify a CMK that can perform this operation.");
  }
  if (requestedKey && requestedKey.keySpec !== "SYMMETRIC_DEFAULT") {
    const rsaAlgorithm = checkEncryptionAlgorithm(requestedKey, algorithm);
    const plaintext = ctx.secrets.hold(rsaDecrypt(await ctx.services.keys.keyPair(requestedKey), rsaAlgorithm, blob));
    return { key: requestedKey, plaintext, algorithm: rsaAlgorithm };
  }
  // A named symmetric key refuses another algorithm before anything is decrypted.
  if (requestedKey) requireSymmetricAlgorithm(requestedKey, algorithm);
  const opened = await openWithKey(ctx, operation, blob, context, requestedKey);
  ctx.secrets.hold(opened.plaintext);
  requireSymmetricAlgorithm(opened.key, algorithm);
  return { key: opened.key, plaintext: opened.plaintext, algorithm: "SYMMETRIC_DEFAULT", keyMaterialId: opened.keyMaterialId };
}

/** The algorithm to use with an ENCRYPT_DECRYPT key (default SYMMETRIC_DEFAULT); InvalidKeyUsageException if it does not fit. */
export function checkEncryptionAlgorithm(key: KeyRecord, algorithm: EncryptionAlgorithmSpec | undefined): EncryptionAlgorithmSpec {
  const requested = algorithm ?? "SYMMETRIC_DEFAULT";
  if (key.keySpec === "SYMMETRIC_DEFAULT") {
    requireSymmetricAlgorithm(key, requested);
    return requested;
  }
  if (!encryptionAlgorithmsFor(key.keySpec).includes(requested)) {
    throw new InvalidKeyUsageException(`Algorithm ${requested} is incompatible with key spec ${key.keySpec}.`);
  }
  return requested;
}
