/**
 * Public surface of the asymmetric, HMAC and key-agreement primitives: pure cryptography with
 * AWS KMS semantics and errors, no knowledge of requests, storage or HTTP.
 */
export {
  ALL_KEY_SPECS,
  algorithmsFor,
  allowedKeyUsages,
  canAgreeKeys,
  canEncapsulate,
  canEncrypt,
  canGenerateMac,
  canSign,
  encryptionAlgorithmsFor,
  isAsymmetricKeySpec,
  isHmacKeySpec,
  isKeySpecAvailable,
  isKnownKeySpec,
  macAlgorithmsFor,
  signingAlgorithmsFor,
  validateCreateKeySpecAndUsage,
  type KeyAlgorithms,
  type ResolvedKeySpecAndUsage,
} from "./keySpecs.ts";
export { MAX_MESSAGE_BYTES } from "./inputLimits.ts";
export { generateDataKeyPair, generateKeyPairFor, type GeneratedKeyPair } from "./keyGeneration.ts";
export { isSupportedAsymmetricKeySpec, type SupportedAsymmetricKeySpec } from "./keyMaterialShapes.ts";
export { KeyMaterialMismatchError, prepareAsymmetricKey, type PreparedAsymmetricKey } from "./preparedKey.ts";
export { sign, signOffLoop, verify } from "./signing.ts";
export { maxRsaPlaintextBytes, rsaDecrypt, rsaEncrypt } from "./rsaEncryption.ts";
export { generateHmacKey, generateMac, verifyMac } from "./hmac.ts";
export { deriveSharedSecret } from "./keyAgreement.ts";
