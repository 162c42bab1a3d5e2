/** Encrypt: encrypts up to 4096 bytes under a symmetric key, or with RSA-OAEP under an RSA key. */
import { keyArn } from "../../../keys/records.ts";
import { encryptWith } from "../encryption.ts";
import { endIfDryRun, keyForOperation, requireKeyUsage } from "../keyAccess.ts";
import type { Handler } from "../registry.ts";

export const Encrypt: Handler<"Encrypt"> = async (ctx, input) => {
  const key = await keyForOperation(ctx, "Encrypt", input.KeyId, "aliases-allowed");
  requireKeyUsage(key, "ENCRYPT_DECRYPT", "Encrypt");
  // Encrypting before the DryRun check lets a request that would fail (an RSA plaintext over the limit) fail.
  const encrypted = await encryptWith(ctx, "Encrypt", key, input.EncryptionAlgorithm, input.Plaintext ?? new Uint8Array(), input.EncryptionContext);
  endIfDryRun(input);
  return { CiphertextBlob: encrypted.ciphertextBlob, KeyId: keyArn(key), EncryptionAlgorithm: encrypted.algorithm };
};
