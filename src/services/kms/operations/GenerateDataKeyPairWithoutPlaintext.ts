/** GenerateDataKeyPairWithoutPlaintext: like GenerateDataKeyPair, without the plaintext private key. */
import type { Handler } from "../registry.ts";
import { generateSealedKeyPair } from "./GenerateDataKeyPair.ts";

export const GenerateDataKeyPairWithoutPlaintext: Handler<"GenerateDataKeyPairWithoutPlaintext"> = async (ctx, input) => {
  // The private key is zeroed with the request's other secrets (generateSealedKeyPair holds it).
  return (await generateSealedKeyPair(ctx, "GenerateDataKeyPairWithoutPlaintext", input)).response;
};
