/** Verify: checks a signature with the public key of a SIGN_VERIFY key pair; a bad signature is KMSInvalidSignatureException. */
import { KMSInvalidSignatureException } from "../../../errors.ts";
import { verify } from "../../../crypto/asymmetric/index.ts";
import { keyArn } from "../../../keys/records.ts";
import { endIfDryRun, keyForOperation, requireKeyUsage } from "../keyAccess.ts";
import type { Handler } from "../registry.ts";

export const Verify: Handler<"Verify"> = async (ctx, input) => {
  const key = await keyForOperation(ctx, "Verify", input.KeyId, "aliases-allowed");
  requireKeyUsage(key, "SIGN_VERIFY", "Verify");
  const keyPair = await ctx.services.keys.keyPair(key);
  const algorithm = input.SigningAlgorithm ?? "RSASSA_PSS_SHA_256";
  const valid = verify(keyPair, algorithm, input.MessageType ?? "RAW", input.Message ?? new Uint8Array(), input.Signature ?? new Uint8Array());
  endIfDryRun(input);
  if (!valid) throw new KMSInvalidSignatureException();
  return { KeyId: keyArn(key), SignatureValid: true, SigningAlgorithm: algorithm };
};
