/** DeriveSharedSecret: ECDH between a KEY_AGREEMENT key's private key and a peer's public key. */
import { UnsupportedOperationException } from "../../../errors.ts";
import { deriveSharedSecret } from "../../../crypto/asymmetric/index.ts";
import { keyArn } from "../../../keys/records.ts";
import { endIfDryRun, keyForOperation, requireKeyUsage } from "../keyAccess.ts";
import type { Handler } from "../registry.ts";

export const DeriveSharedSecret: Handler<"DeriveSharedSecret"> = async (ctx, input) => {
  if (input.Recipient !== undefined) {
    throw new UnsupportedOperationException("kmsd does not support Nitro Enclaves attestation (Recipient).");
  }
  const key = await keyForOperation(ctx, "DeriveSharedSecret", input.KeyId, "aliases-allowed");
  requireKeyUsage(key, "KEY_AGREEMENT", "DeriveSharedSecret");
  const keyPair = await ctx.services.keys.keyPair(key);
  const algorithm = input.KeyAgreementAlgorithm ?? "ECDH";
  const secret = deriveSharedSecret(keyPair, input.PublicKey ?? new Uint8Array(), algorithm);
  endIfDryRun(input);
  return { KeyId: keyArn(key), SharedSecret: secret, KeyAgreementAlgorithm: algorithm, KeyOrigin: key.origin };
};
