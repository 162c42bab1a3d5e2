/** ReEncrypt: decrypts under the source key and encrypts under the destination key, without exposing plaintext. */
import { keyArn } from "../../../keys/records.ts";
import { decryptWith, encryptWith } from "../encryption.ts";
import { endIfDryRun, keyForOperation, requireKeyUsage } from "../keyAccess.ts";
import type { Handler } from "../registry.ts";

export const ReEncrypt: Handler<"ReEncrypt"> = async (ctx, input) => {
  const requestedSource =
    input.SourceKeyId === undefined ? undefined : await keyForOperation(ctx, "ReEncrypt", input.SourceKeyId, "aliases-allowed");
  const destination = await keyForOperation(ctx, "ReEncrypt", input.DestinationKeyId, "aliases-allowed", "destination-key");

  requireKeyUsage(destination, "ENCRYPT_DECRYPT", "ReEncrypt");
  const decrypted = await decryptWith(
    ctx,
    "ReEncrypt",
    input.CiphertextBlob ?? new Uint8Array(),
    input.SourceEncryptionContext,
    input.SourceEncryptionAlgorithm,
    requestedSource,
  );
  try {
    const encrypted = await encryptWith(
      ctx,
      destination,
      input.DestinationEncryptionAlgorithm,
      decrypted.plaintext,
      input.DestinationEncryptionContext,
    );
    endIfDryRun(input);
    return {
      CiphertextBlob: encrypted.ciphertextBlob,
      SourceKeyId: keyArn(decrypted.key),
      KeyId: keyArn(destination),
      SourceEncryptionAlgorithm: decrypted.algorithm,
      DestinationEncryptionAlgorithm: encrypted.algorithm,
      ...(decrypted.keyMaterialId ? { SourceKeyMaterialId: decrypted.keyMaterialId } : {}),
      ...(encrypted.keyMaterialId ? { DestinationKeyMaterialId: encrypted.keyMaterialId } : {}),
    };
  } finally {
    decrypted.plaintext.fill(0);
  }
};
