/** Decrypt: opens a ciphertext blob; the blob names its key, so KeyId is optional. */
import { keyArn } from "../../../keys/records.ts";
import { endIfDryRun, keyForOperation, requireKeyUsage } from "../keyAccess.ts";
import type { Handler } from "../registry.ts";
import { openWithKey, requireSymmetricAlgorithm } from "../symmetric.ts";

export const Decrypt: Handler<"Decrypt"> = async (ctx, input) => {
  const requested =
    input.KeyId === undefined ? undefined : await keyForOperation(ctx, "Decrypt", input.KeyId, "aliases-allowed");
  if (requested) requireKeyUsage(requested, "ENCRYPT_DECRYPT", "Decrypt");
  const opened = await openWithKey(ctx, "Decrypt", input.CiphertextBlob ?? new Uint8Array(), input.EncryptionContext, requested);
  requireSymmetricAlgorithm(opened.key, input.EncryptionAlgorithm);
  if (input.DryRun === true) {
    opened.plaintext.fill(0);
    endIfDryRun(input);
  }
  return {
    KeyId: keyArn(opened.key),
    Plaintext: opened.plaintext,
    EncryptionAlgorithm: "SYMMETRIC_DEFAULT",
    KeyMaterialId: opened.keyMaterialId,
  };
};
