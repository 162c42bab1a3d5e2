/** GenerateDataKeyPairWithoutPlaintext: like GenerateDataKeyPair, without the plaintext private key. */
import type { Handler } from "../registry.ts";
import { generateSealedKeyPair } from "./GenerateDataKeyPair.ts";

export const GenerateDataKeyPairWithoutPlaintext: Handler<"GenerateDataKeyPairWithoutPlaintext"> = async (ctx, input) => {
  const generated = await generateSealedKeyPair(ctx, "GenerateDataKeyPairWithoutPlaintext", input);
  generated.privateKeyPlaintext.fill(0);
  return generated.response;
};
