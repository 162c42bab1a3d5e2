/** Decrypt: opens a ciphertext; a symmetric blob names its key, so KeyId is optional for it. */
import { keyArn } from "../../../keys/records.ts";
import { decryptWith } from "../encryption.ts";
import { endIfDryRun, keyForOperation } from "../keyAccess.ts";
import type { Handler } from "../registry.ts";

export const Decrypt: Handler<"Decrypt"> = async (ctx, input) => {
  const requested =
    input.KeyId === undefined ? undefined : await keyForOperation(ctx, "Decrypt", input.KeyId, "aliases-allowed");
  const decrypted = await decryptWith(
    ctx,
    "Decrypt",
    input.CiphertextBlob ?? new Uint8Array(),
    input.EncryptionContext,
    input.EncryptionAlgorithm,
    requested,
  );
  if (input.DryRun === true) {
    decrypted.plaintext.fill(0);
    endIfDryRun(input);
  }
  return {
    KeyId: keyArn(decrypted.key),
    Plaintext: decrypted.plaintext,
    EncryptionAlgorithm: decrypted.algorithm,
    ...(decrypted.keyMaterialId ? { KeyMaterialId: decrypted.keyMaterialId } : {}),
  };
};
