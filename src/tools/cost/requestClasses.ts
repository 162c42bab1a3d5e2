/**
 * Which of AWS's request pricing classes a KMS request falls in: data key pairs by the
 * pair's algorithm; cryptographic requests with an asymmetric key by that key (RSA 2048 or
 * any other); everything else (symmetric and HMAC keys, key management, listings) is the
 * standard class, the only one the free tier covers.
 */
import type { RequestClass } from "./prices.ts";

export type { RequestClass } from "./prices.ts";

/** Operations priced by the asymmetric key they use. */
const ASYMMETRIC_PRICED = new Set(["Encrypt", "Decrypt", "ReEncrypt", "Sign", "Verify", "GetPublicKey", "DeriveSharedSecret"]);
const DATA_KEY_PAIR = new Set(["GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext"]);

/** The class of a request, from its operation, the specs of the keys it used and (for data key pairs) the pair's spec. */
export function requestClassOf(operation: string, keySpecs: readonly string[], keyPairSpec: string | undefined): RequestClass {
  if (DATA_KEY_PAIR.has(operation)) return keyPairSpec?.startsWith("RSA_") ? "rsaDataKeyPair" : "eccDataKeyPair";
  if (!ASYMMETRIC_PRICED.has(operation)) return "standard";
  const asymmetric = keySpecs.filter(isAsymmetric);
  if (asymmetric.length === 0) return "standard";
  return asymmetric.every((spec) => spec === "RSA_2048") ? "rsa2048" : "asymmetric";
}

function isAsymmetric(keySpec: string): boolean {
  return keySpec !== "SYMMETRIC_DEFAULT" && !keySpec.startsWith("HMAC_");
}
