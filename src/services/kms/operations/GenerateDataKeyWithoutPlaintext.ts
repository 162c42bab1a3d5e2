/** GenerateDataKeyWithoutPlaintext: like GenerateDataKey, but only the encrypted copy is returned. */
import type { Handler } from "../registry.ts";
import { generateDataKey } from "./GenerateDataKey.ts";

export const GenerateDataKeyWithoutPlaintext: Handler<"GenerateDataKeyWithoutPlaintext"> = async (ctx, input) => {
  // The data key is zeroed with the request's other secrets (generateDataKey holds it).
  return (await generateDataKey(ctx, "GenerateDataKeyWithoutPlaintext", input)).response;
};
