/** Sign: a signature over a message or digest with the private key of a SIGN_VERIFY key pair. */
import { signOffLoop } from "../../../crypto/asymmetric/index.ts";
import { keyArn } from "../../../keys/records.ts";
import { endIfDryRun, keyForOperation, requireKeyUsage } from "../keyAccess.ts";
import type { Handler } from "../registry.ts";

export const Sign: Handler<"Sign"> = async (ctx, input) => {
  const key = await keyForOperation(ctx, "Sign", input.KeyId, "aliases-allowed");
  requireKeyUsage(key, "SIGN_VERIFY", "Sign");
  const keyPair = await ctx.services.keys.keyPair(key);
  const algorithm = input.SigningAlgorithm ?? "RSASSA_PSS_SHA_256";
  const signature = await signOffLoop(keyPair, algorithm, input.MessageType ?? "RAW", input.Message ?? new Uint8Array());
  endIfDryRun(input);
  return { KeyId: keyArn(key), Signature: signature, SigningAlgorithm: algorithm };
};
