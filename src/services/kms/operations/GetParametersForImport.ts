/** GetParametersForImport: a fresh RSA wrapping key and an import token for a key of Origin EXTERNAL, valid 24 hours. */
import { UnsupportedOperationException, ValidationException } from "../../../errors.ts";
import { generateKeyPairFor } from "../../../crypto/asymmetric/index.ts";
import { isWrappingAlgorithm } from "../../../crypto/importWrapping.ts";
import { sealImportToken } from "../../../keys/importToken.ts";
import { keyArn } from "../../../keys/records.ts";
import { requireExternalOrigin } from "../importRules.ts";
import { keyForOperation } from "../keyAccess.ts";
import type { Handler } from "../registry.ts";

const PARAMETERS_VALIDITY_MS = 24 * 60 * 60 * 1000;

export const GetParametersForImport: Handler<"GetParametersForImport"> = async (ctx, input) => {
  const key = await keyForOperation(ctx, "GetParametersForImport", input.KeyId, "key-only");
  requireExternalOrigin(key);
  const wrappingAlgorithm = input.WrappingAlgorithm ?? "RSAES_OAEP_SHA_256";
  const wrappingKeySpec = input.WrappingKeySpec ?? "RSA_2048";
  if (wrappingAlgorithm === "RSAES_PKCS1_V1_5") {
    throw new ValidationException("The RSAES_PKCS1_V1_5 wrapping algorithm is no longer supported. Use RSAES_OAEP_SHA_256 or RSA_AES_KEY_WRAP_SHA_256.");
  }
  if (!isWrappingAlgorithm(wrappingAlgorithm) || wrappingKeySpec === "SM2") {
    throw new UnsupportedOperationException(`${wrappingAlgorithm} with ${wrappingKeySpec} is not supported in this Region`);
  }
  // A fresh wrapping key pair per request, generated off the event loop.
  const pair = await generateKeyPairFor(wrappingKeySpec);
  const validToMs = ctx.nowMs + PARAMETERS_VALIDITY_MS;
  const token = sealImportToken(ctx.services.rootKey, {
    keyArn: keyArn(key),
    wrappingAlgorithm,
    wrappingPrivateKeyPkcs8: pair.privateKeyPkcs8Der,
    validToMs,
  });
  ctx.secrets.hold(pair.privateKeyPkcs8Der);
  return { KeyId: keyArn(key), ImportToken: token, PublicKey: pair.publicKeySpkiDer, ParametersValidTo: new Date(validToMs) };
};
