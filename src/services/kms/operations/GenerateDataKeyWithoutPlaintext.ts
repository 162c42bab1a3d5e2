/** GenerateDataKeyWithoutPlaintext: like GenerateDataKey, but only the encrypted copy is returned. */
import type { Handler } from "../registry.ts";
import { generateDataKey } from "./GenerateDataKey.ts";

export const GenerateDataKeyWithoutPlaintext: Handler<"GenerateDataKeyWithoutPlaintext"> = async (ctx, input) => {
  const generated = await generateDataKey(ctx, "GenerateDataKeyWithoutPlaintext", input);
  generated.plaintext.fill(0);
  return generated.response;
};
