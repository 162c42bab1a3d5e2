/**
 * Symmetric encryption with a KMS key: sealing under the key's current material and
 * opening a blob whose header names its key and material. Shared by Encrypt, Decrypt,
 * ReEncrypt and the GenerateDataKey family. Every failure to open a blob is the same opaque
 * InvalidCiphertextException, whatever the reason (as AWS answers); a blob naming a key the
 * caller cannot reach is AWS's AccessDeniedException instead.
 */
import { IncorrectKeyException, InvalidCiphertextException, InvalidKeyUsageException, KMSInternalException, KMSInvalidStateException } from "../../errors.ts";
import { PROXY_RETURNED_INVALID_CIPHERTEXT } from "../../xks/proxyFailure.ts";
import { openSymmetric, parseHeader, sealSymmetric } from "../../crypto/ciphertext.ts";
import { keyArn, type KeyRecord } from "../../keys/records.ts";
import type { RequestContext } from "../../server/context.ts";
import { decryptExternally, encryptExternally, inCustomKeyStore } from "./externalKeys.ts";
import { assertKeyStateAsShown, keyNamedByCiphertext } from "./keyAccess.ts";
import type { KmsOperation } from "./registry.ts";

/** A sealed blob and the material version it names. */
export interface Sealed {
  ciphertextBlob: Buffer;
  keyMaterialId: string;
}

/** Refuses any algorithm other than SYMMETRIC_DEFAULT for a symmetric key. */
export function requireSymmetricAlgorithm(key: KeyRecord, algorithm: string | undefined): void {
  if (algorithm !== undefined && algorithm !== "SYMMETRIC_DEFAULT") {
    throw new InvalidKeyUsageException(`Algorithm ${algorithm} is incompatible with key spec ${key.keySpec}.`);
  }
}

/** Refuses an ENCRYPT_DECRYPT key that is not symmetric (RSA) where AWS requires a symmetric key. */
export function requireSymmetricKey(key: KeyRecord, operation: KmsOperation): void {
  if (key.keySpec !== "SYMMETRIC_DEFAULT") {
    throw new InvalidKeyUsageException(`${keyArn(key)} key spec ${key.keySpec} is not valid for ${operation}.`);
  }
}

/** The current material of a key that has raw material (symmetric or HMAC). */
export async function currentMaterial(ctx: RequestContext, key: KeyRecord): Promise<Buffer> {
  const material = key.currentKeyMaterialId ? await ctx.services.keys.material(key, key.currentKeyMaterialId) : undefined;
  if (!material) throw new KMSInternalException("The key has no current key material.");
  return material;
}

/**
 * Encrypts under the key's current material, and for a key in an external key store again
 * under its external key (externalKeys.ts). The key must already be checked for state and usage.
 */
export async function sealWithKey(
  ctx: RequestContext,
  operation: KmsOperation,
  key: KeyRecord,
  plaintext: Uint8Array,
  context: Record<string, string> | undefined,
): Promise<Sealed> {
  const material = await currentMaterial(ctx, key);
  const keyMaterialId = key.currentKeyMaterialId as string;
  const sealed = sealSymmetric({ keyId: key.keyId, keyMaterialId }, material, plaintext, context);
  if (inCustomKeyStore(key)) return { ciphertextBlob: await encryptExternally(ctx, operation, key, sealed, context), keyMaterialId };
  return { ciphertextBlob: sealed, keyMaterialId };
}

/** What opening a blob yields. */
export interface Opened {
  key: KeyRecord;
  plaintext: Buffer;
  keyMaterialId: string;
}

/**
 * Opens a symmetric blob. `requestedKey` is the key the caller named, if any (already
 * resolved, authorized and state-checked by keyForOperation): it must be the key the
 * blob names (IncorrectKeyException otherwise). A key named only by the blob is found,
 * authorized and state-checked here; one the caller cannot reach is AccessDeniedException
 * (keyNamedByCiphertext), a blob that is no kmsd ciphertext InvalidCiphertextException.
 */
export async function openWithKey(
  ctx: RequestContext,
  operation: KmsOperation,
  blob: Uint8Array,
  context: Record<string, string> | undefined,
  requestedKey: KeyRecord | undefined,
): Promise<Opened> {
  const header = parseHeader(blob);
  if (requestedKey && requestedKey.keyId !== header.keyId) {
    throw new IncorrectKeyException("The key ID in the request does not identify a CMK that can perform this operation.");
  }
  const key = requestedKey ?? (await keyNamedByCiphertext(ctx, operation, header.keyId));
  // Only symmetric keys seal blobs, so a header naming another key is forged; checked once
  // the caller was authorized for the key, so that it tells a stranger nothing.
  if (key.keySpec !== "SYMMETRIC_DEFAULT") throw new InvalidCiphertextException();
  if (!requestedKey) await assertKeyStateAsShown(ctx, operation, key);

  const material = await ctx.services.keys.material(key, header.keyMaterialId);
  if (!material) throw new InvalidCiphertextException();
  if (!inCustomKeyStore(key)) return { key, plaintext: openSymmetric(material, blob, context), keyMaterialId: header.keyMaterialId };
  const inner = await decryptExternally(ctx, operation, key, blob, context);
  return { key, plaintext: openInnerLayer(key, material, inner, context), keyMaterialId: header.keyMaterialId };
}

/**
 * Opens kmsd's layer of a custom key store's blob. For an external key store the proxy has
 * already authenticated the encryption context, so a failure here means the proxy handed back
 * a bad plaintext: AWS's KMSInvalidStateException for it, not InvalidCiphertextException.
 */
function openInnerLayer(key: KeyRecord, material: Buffer, inner: Buffer, context: Record<string, string> | undefined): Buffer {
  try {
    return openSymmetric(material, inner, context);
  } catch (error) {
    if (key.origin === "EXTERNAL_KEY_STORE" && error instanceof InvalidCiphertextException) throw new KMSInvalidStateException(PROXY_RETURNED_INVALID_CIPHERTEXT);
    throw error;
  }
}
