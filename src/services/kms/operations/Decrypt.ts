/**
 * Decrypt: opens a ciphertext; a symmetric blob names its key, so KeyId is optional for it.
 * A dry run with IGNORE_CIPHERTEXT checks only the named key: permission, state and usage.
 */
import { keyArn } from "../../../keys/records.ts";
import { decryptWith } from "../encryption.ts";
import { ValidationException } from "../../../errors.ts";
import { endIfDryRun, ignoresCiphertext, keyForOperation, requireKeyUsage } from "../keyAccess.ts";
import type { Handler } from "../registry.ts";

export const Decrypt: Handler<"Decrypt"> = async (ctx, input) => {
  if (ignoresCiphertext(input) && input.KeyId === undefined) {
    throw new ValidationException("KeyId is required when DryRun is true and DryRunModifiers contains IGNORE_CIPHERTEXT.");
  }
  const requested =
    input.KeyId === undefined ? undefined : await keyForOperation(ctx, "Decrypt", input.KeyId, "aliases-allowed");
  if (requested && ignoresCiphertext(input)) {
    requireKeyUsage(requested, "ENCRYPT_DECRYPT", "Decrypt");
    endIfDryRun(input);
  }
  const decrypted = await decryptWith(
    ctx,
    "Decrypt",
    input.CiphertextBlob ?? new Uint8Array(),
    input.EncryptionContext,
    input.EncryptionAlgorithm,
    requested,
  );
  endIfDryRun(input);
  return {
    KeyId: keyArn(decrypted.key),
    Plaintext: decrypted.plaintext,
    EncryptionAlgorithm: decrypted.algorithm,
    ...(decrypted.keyMaterialId ? { KeyMaterialId: decrypted.keyMaterialId } : {}),
  };
};
