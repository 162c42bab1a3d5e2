/** ReEncrypt: decrypts under the source key and encrypts under the destination key, without exposing plaintext. */
import { keyArn } from "../../../keys/records.ts";
import { endIfDryRun, keyForOperation, requireKeyUsage } from "../keyAccess.ts";
import type { Handler } from "../registry.ts";
import { openWithKey, requireSymmetricAlgorithm, sealWithKey } from "../symmetric.ts";

export const ReEncrypt: Handler<"ReEncrypt"> = async (ctx, input) => {
  const requestedSource =
    input.SourceKeyId === undefined ? undefined : await keyForOperation(ctx, "ReEncrypt", input.SourceKeyId, "aliases-allowed");
  const destination = await keyForOperation(ctx, "ReEncrypt", input.DestinationKeyId, "aliases-allowed");
  requireKeyUsage(destination, "ENCRYPT_DECRYPT", "ReEncrypt");
  requireSymmetricAlgorithm(destination, input.DestinationEncryptionAlgorithm);
  const opened = await openWithKey(ctx, "ReEncrypt", input.CiphertextBlob ?? new Uint8Array(), input.SourceEncryptionContext, requestedSource);
  requireSymmetricAlgorithm(opened.key, input.SourceEncryptionAlgorithm);
  try {
    endIfDryRun(input);
    const sealed = await sealWithKey(ctx, destination, opened.plaintext, input.DestinationEncryptionContext);
    return {
      CiphertextBlob: sealed.ciphertextBlob,
      SourceKeyId: keyArn(opened.key),
      KeyId: keyArn(destination),
      SourceEncryptionAlgorithm: "SYMMETRIC_DEFAULT",
      DestinationEncryptionAlgorithm: "SYMMETRIC_DEFAULT",
      SourceKeyMaterialId: opened.keyMaterialId,
      DestinationKeyMaterialId: sealed.keyMaterialId,
    };
  } finally {
    opened.plaintext.fill(0);
  }
};
