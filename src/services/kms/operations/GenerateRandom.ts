/** GenerateRandom: 1 to 1024 cryptographically secure random bytes. */
import { randomBytes } from "node:crypto";
import { CustomKeyStoreNotFoundException, UnsupportedOperationException, ValidationException } from "../../../errors.ts";
import type { Handler } from "../registry.ts";

export const GenerateRandom: Handler<"GenerateRandom"> = async (_ctx, input) => {
  if (input.NumberOfBytes === undefined) throw new ValidationException("NumberOfBytes is required.");
  if (input.Recipient !== undefined) {
    throw new UnsupportedOperationException("kmsd does not support Nitro Enclaves attestation (Recipient).");
  }
  if (input.CustomKeyStoreId !== undefined) {
    throw new CustomKeyStoreNotFoundException(`Custom key store '${input.CustomKeyStoreId}' does not exist`);
  }
  return { Plaintext: randomBytes(input.NumberOfBytes) };
};
