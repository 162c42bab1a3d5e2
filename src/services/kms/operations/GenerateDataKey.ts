/** GenerateDataKey: a fresh data key, returned in plaintext and encrypted under a symmetric KMS key. */
import { randomBytes } from "node:crypto";
import type { DataKeySpec } from "@aws-sdk/client-kms";
import { UnsupportedOperationException, ValidationException } from "../../../errors.ts";
import { keyArn } from "../../../keys/records.ts";
import type { RequestContext } from "../../../server/context.ts";
import { endIfDryRun, keyForOperation, requireKeyUsage } from "../keyAccess.ts";
import type { Handler } from "../registry.ts";
import { requireSymmetricKey, sealWithKey } from "../symmetric.ts";

export const GenerateDataKey: Handler<"GenerateDataKey"> = async (ctx, input) => {
  if (input.Recipient !== undefined) {
    throw new UnsupportedOperationException("kmsd does not support Nitro Enclaves attestation (Recipient).");
  }
  const generated = await generateDataKey(ctx, "GenerateDataKey", input);
  return { ...generated.response, Plaintext: generated.plaintext };
};

/** What both GenerateDataKey operations take. */
export interface DataKeyRequest {
  KeyId: string | undefined;
  EncryptionContext?: Record<string, string> | undefined;
  NumberOfBytes?: number | undefined;
  KeySpec?: DataKeySpec | undefined;
  DryRun?: boolean | undefined;
}

/** Generates a data key and seals it; shared with GenerateDataKeyWithoutPlaintext. */
export async function generateDataKey(
  ctx: RequestContext,
  operation: "GenerateDataKey" | "GenerateDataKeyWithoutPlaintext",
  input: DataKeyRequest,
) {
  const length = dataKeyLength(input);
  const key = await keyForOperation(ctx, operation, input.KeyId, "aliases-allowed");
  requireKeyUsage(key, "ENCRYPT_DECRYPT", operation);
  // An RSA encryption key has ENCRYPT_DECRYPT usage too, but data keys are sealed symmetrically.
  requireSymmetricKey(key, operation);
  endIfDryRun(input);
  const plaintext = ctx.secrets.hold(randomBytes(length));
  const sealed = await sealWithKey(ctx, operation, key, plaintext, input.EncryptionContext);
  return {
    plaintext,
    response: { CiphertextBlob: sealed.ciphertextBlob, KeyId: keyArn(key), KeyMaterialId: sealed.keyMaterialId },
  };
}

function dataKeyLength(input: DataKeyRequest): number {
  if (input.NumberOfBytes !== undefined && input.KeySpec !== undefined) {
    throw new ValidationException("Please specify either number of bytes or key spec.");
  }
  if (input.NumberOfBytes !== undefined) return input.NumberOfBytes;
  if (input.KeySpec === "AES_128") return 16;
  if (input.KeySpec === "AES_256") return 32;
  throw new ValidationException("Please specify either number of bytes or key spec.");
}
