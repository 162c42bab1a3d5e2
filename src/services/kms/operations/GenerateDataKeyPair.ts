/** GenerateDataKeyPair: a fresh key pair; the private key in plaintext and encrypted under a symmetric KMS key. */
import type { DataKeyPairSpec } from "@aws-sdk/client-kms";
import { UnsupportedOperationException } from "../../../errors.ts";
import { generateDataKeyPair } from "../../../crypto/asymmetric/index.ts";
import { keyArn } from "../../../keys/records.ts";
import type { RequestContext } from "../../../server/context.ts";
import { endIfDryRun, keyForOperation, requireKeyUsage } from "../keyAccess.ts";
import type { Handler } from "../registry.ts";
import { requireSymmetricKey, sealWithKey } from "../symmetric.ts";

export const GenerateDataKeyPair: Handler<"GenerateDataKeyPair"> = async (ctx, input) => {
  if (input.Recipient !== undefined) {
    throw new UnsupportedOperationException("kmsd does not support Nitro Enclaves attestation (Recipient).");
  }
  const generated = await generateSealedKeyPair(ctx, "GenerateDataKeyPair", input);
  return { ...generated.response, PrivateKeyPlaintext: generated.privateKeyPlaintext };
};

/** What both GenerateDataKeyPair operations take. */
export interface DataKeyPairRequest {
  KeyId: string | undefined;
  KeyPairSpec: DataKeyPairSpec | undefined;
  EncryptionContext?: Record<string, string> | undefined;
  DryRun?: boolean | undefined;
}

/** Generates a key pair and seals its private key; shared with GenerateDataKeyPairWithoutPlaintext. */
export async function generateSealedKeyPair(
  ctx: RequestContext,
  operation: "GenerateDataKeyPair" | "GenerateDataKeyPairWithoutPlaintext",
  input: DataKeyPairRequest,
) {
  const key = await keyForOperation(ctx, operation, input.KeyId, "aliases-allowed");
  requireKeyUsage(key, "ENCRYPT_DECRYPT", operation);
  requireSymmetricKey(key, operation);
  const keyPairSpec = input.KeyPairSpec ?? "RSA_2048";
  // Generated before the DryRun check, so that a spec this Region does not offer (SM2) fails as it would without DryRun.
  const pair = await generateDataKeyPair(keyPairSpec);
  ctx.secrets.hold(pair.privateKeyPkcs8Der);
  endIfDryRun(input);
  const sealed = await sealWithKey(ctx, operation, key, pair.privateKeyPkcs8Der, input.EncryptionContext);
  return {
    privateKeyPlaintext: pair.privateKeyPkcs8Der,
    response: {
      PrivateKeyCiphertextBlob: sealed.ciphertextBlob,
      PublicKey: pair.publicKeySpkiDer,
      KeyId: keyArn(key),
      KeyPairSpec: keyPairSpec,
      KeyMaterialId: sealed.keyMaterialId,
    },
  };
}
