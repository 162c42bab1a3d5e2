/** Encrypt: encrypts up to 4096 bytes under a symmetric KMS key (RSA keys: see the asymmetric issue). */
import { keyArn } from "../../../keys/records.ts";
import { endIfDryRun, keyForOperation, requireKeyUsage } from "../keyAccess.ts";
import type { Handler } from "../registry.ts";
import { requireSymmetricAlgorithm, sealWithKey } from "../symmetric.ts";

export const Encrypt: Handler<"Encrypt"> = async (ctx, input) => {
  const key = await keyForOperation(ctx, "Encrypt", input.KeyId, "aliases-allowed");
  requireKeyUsage(key, "ENCRYPT_DECRYPT", "Encrypt");
  requireSymmetricAlgorithm(key, input.EncryptionAlgorithm);
  endIfDryRun(input);
  const sealed = await sealWithKey(ctx, key, input.Plaintext ?? new Uint8Array(), input.EncryptionContext);
  return { CiphertextBlob: sealed.ciphertextBlob, KeyId: keyArn(key), EncryptionAlgorithm: "SYMMETRIC_DEFAULT" };
};
