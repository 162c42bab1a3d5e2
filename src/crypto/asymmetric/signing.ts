/**
 * Sign and Verify for every asymmetric signing key spec, with AWS's request checks.
 * RAW messages go to node:crypto (OpenSSL hashes and signs natively); a DIGEST goes to the
 * RFC 8017 encoders (RSA) or @noble/curves (ECDSA, Ed25519ph); an EXTERNAL_MU to
 * @noble/post-quantum, since node:crypto can neither sign a bare digest nor take mu.
 */
import { constants, sign as nodeSign, verify as nodeVerify, type KeyObject } from "node:crypto";
import type { MessageType, SigningAlgorithmSpec } from "@aws-sdk/client-kms";
import { ed25519ph } from "@noble/curves/ed25519.js";
import { p256, p384, p521 } from "@noble/curves/nist.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { ml_dsa44, ml_dsa65, ml_dsa87 } from "@noble/post-quantum/ml-dsa.js";
import { InvalidKeyUsageException, ValidationException } from "../../errors.ts";
import { assertMemberLength } from "./inputLimits.ts";
import { signingAlgorithmsFor } from "./keySpecs.ts";
import { nobleKeyMaterialOf, type PreparedAsymmetricKey } from "./preparedKey.ts";
import { hasRsaSignatureLength, signPkcs1Digest, signPssDigest, verifyPkcs1Digest, verifyPssDigest } from "./rsaDigestSigning.ts";
import { signingAlgorithmParameters, type SigningAlgorithmParameters } from "./signingAlgorithms.ts";

/** The error AWS gives for an algorithm the key spec does not list (same wording as for MACs and encryption). */
function incompatibleAlgorithm(algorithm: string, keySpec: string): Error {
  return new InvalidKeyUsageException(`Algorithm ${algorithm} is incompatible with key spec ${keySpec}.`);
}

/**
 * Applies AWS's checks to a Sign or Verify request, in AWS's order: the Message length limit,
 * the algorithm against the key spec, the MessageType against the algorithm, then the exact
 * length of a DIGEST or EXTERNAL_MU. Returns the algorithm's parameters.
 */
function checkSigningRequest(
  key: PreparedAsymmetricKey,
  algorithm: SigningAlgorithmSpec,
  messageType: MessageType,
  message: Uint8Array,
): SigningAlgorithmParameters {
  assertMemberLength("message", message);
  const parameters = signingAlgorithmParameters(algorithm);
  if (parameters === undefined || !signingAlgorithmsFor(key.keySpec).includes(algorithm)) {
    throw incompatibleAlgorithm(algorithm, key.keySpec);
  }
  if (!parameters.messageTypes.includes(messageType)) {
    const subject = parameters.messageTypeErrorNames === "algorithm" ? `algorithm ${algorithm}` : `key spec ${key.keySpec}`;
    throw new ValidationException(`Message type ${messageType} is incompatible with ${subject}.`);
  }
  if (messageType === "DIGEST" && message.length !== parameters.digestLength) {
    throw new ValidationException(`Digest is invalid length for algorithm ${algorithm}.`);
  }
  if (messageType === "EXTERNAL_MU" && message.length !== parameters.digestLength) {
    throw new ValidationException(`External Mu is invalid length for algorithm ${algorithm}.`);
  }
  return parameters;
}

/** The @noble ECDSA implementation for an ECC key spec. */
function nobleCurveFor(key: PreparedAsymmetricKey) {
  switch (key.keySpec) {
    case "ECC_NIST_P256":
      return p256;
    case "ECC_NIST_P384":
      return p384;
    case "ECC_NIST_P521":
      return p521;
    case "ECC_SECG_P256K1":
      return secp256k1;
    default:
      throw new TypeError(`Key spec ${key.keySpec} is not an ECDSA curve.`);
  }
}

/** The @noble ML-DSA parameter set for an ML-DSA key spec. */
function nobleMlDsaFor(key: PreparedAsymmetricKey) {
  switch (key.keySpec) {
    case "ML_DSA_44":
      return ml_dsa44;
    case "ML_DSA_65":
      return ml_dsa65;
    case "ML_DSA_87":
      return ml_dsa87;
    default:
      throw new TypeError(`Key spec ${key.keySpec} is not an ML-DSA parameter set.`);
  }
}

/** The node:crypto digest name for a RAW message; null where the scheme hashes internally (Ed25519, ML-DSA). */
function nodeDigestName(parameters: SigningAlgorithmParameters): string | null {
  return parameters.scheme === "ed25519" || parameters.scheme === "ml-dsa" ? null : (parameters.hash ?? null);
}

function isRsa(parameters: SigningAlgorithmParameters): boolean {
  return parameters.scheme === "rsa-pss" || parameters.scheme === "rsa-pkcs1";
}

/**
 * The key argument of node:crypto's sign and verify: RSA's with its padding options (PSS salt
 * as long as the digest, as AWS signs), any other key as the KeyObject itself. Node prepares
 * a key given inside an options object again on every call, which doubled the CPU of an
 * ECDSA P-256 Sign (95 µs instead of 50), so an object is made only where RSA needs one.
 */
function nodeKeyArgument(key: KeyObject, parameters: SigningAlgorithmParameters) {
  if (parameters.scheme === "rsa-pss") {
    return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: parameters.digestLength };
  }
  if (parameters.scheme === "rsa-pkcs1") return { key, padding: constants.RSA_PKCS1_PADDING };
  return key;
}

/**
 * Signs a message as the Sign operation does and returns the signature (DER for ECDSA,
 * 64 bytes for Ed25519, FIPS 204 encoding for ML-DSA, k bytes for RSA).
 * ED25519_PH_SHA_512 pre-hashes the 64-byte DIGEST once more, as AWS documents it does.
 */
export function sign(
  key: PreparedAsymmetricKey,
  algorithm: SigningAlgorithmSpec,
  messageType: MessageType,
  message: Uint8Array,
): Buffer {
  return signChecked(key, checkSigningRequest(key, algorithm, messageType, message), algorithm, messageType, message);
}

/**
 * `sign`, except that a RAW message under an RSA key is signed on libuv's thread pool: an
 * RSA private operation takes a quarter of a millisecond (2048 bits) to a few milliseconds
 * (4096 bits), which on the event loop would hold up every other request, and the pool
 * runs it on another core meanwhile. Everything else signs in a few microseconds, less
 * than the hop to the pool costs, and is done here.
 */
export async function signOffLoop(
  key: PreparedAsymmetricKey,
  algorithm: SigningAlgorithmSpec,
  messageType: MessageType,
  message: Uint8Array,
): Promise<Buffer> {
  const parameters = checkSigningRequest(key, algorithm, messageType, message);
  if (messageType !== "RAW" || !isRsa(parameters)) {
    return signChecked(key, parameters, algorithm, messageType, message);
  }
  const keyArgument = nodeKeyArgument(key.privateKey, parameters);
  return new Promise((resolve, reject) => {
    nodeSign(nodeDigestName(parameters), message, keyArgument, (error, signature) => (error ? reject(error) : resolve(signature)));
  });
}

/** Signs a request `checkSigningRequest` accepted. */
function signChecked(
  key: PreparedAsymmetricKey,
  parameters: SigningAlgorithmParameters,
  algorithm: SigningAlgorithmSpec,
  messageType: MessageType,
  message: Uint8Array,
): Buffer {
  if (messageType === "RAW") {
    return nodeSign(nodeDigestName(parameters), message, nodeKeyArgument(key.privateKey, parameters));
  }
  const hash = parameters.hash;
  switch (parameters.scheme) {
    case "rsa-pss":
      if (hash) return signPssDigest(key.privateKey, hash, message);
      break;
    case "rsa-pkcs1":
      if (hash) return signPkcs1Digest(key.privateKey, hash, message);
      break;
    case "ecdsa": {
      const { secretKey } = nobleKeyMaterialOf(key);
      // Hedged (RFC 6979 plus fresh randomness), DER like OpenSSL's output; low-S is not forced, as AWS does not.
      return Buffer.from(nobleCurveFor(key).sign(message, secretKey, { prehash: false, format: "der", lowS: false, extraEntropy: true }));
    }
    case "ed25519ph":
      return Buffer.from(ed25519ph.sign(message, nobleKeyMaterialOf(key).secretKey));
    case "ml-dsa":
      return Buffer.from(nobleMlDsaFor(key).internal.sign(message, nobleKeyMaterialOf(key).secretKey, { externalMu: true }));
    case "ed25519":
      break;
  }
  throw new TypeError(`No ${messageType} signer for ${algorithm}.`);
}

/** Verifies one signature with the cryptography library that owns it; a malformed signature is just invalid. */
function verifySignature(
  key: PreparedAsymmetricKey,
  parameters: SigningAlgorithmParameters,
  messageType: MessageType,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (messageType === "RAW") {
    if (isRsa(parameters) && !hasRsaSignatureLength(key.publicKey, signature)) return false;
    return nodeVerify(nodeDigestName(parameters), message, nodeKeyArgument(key.publicKey, parameters), signature);
  }
  const hash = parameters.hash;
  switch (parameters.scheme) {
    case "rsa-pss":
      return hash !== undefined && verifyPssDigest(key.publicKey, hash, message, signature);
    case "rsa-pkcs1":
      return hash !== undefined && verifyPkcs1Digest(key.publicKey, hash, message, signature);
    case "ecdsa":
      return nobleCurveFor(key).verify(signature, message, nobleKeyMaterialOf(key).publicKey, {
        prehash: false,
        format: "der",
        lowS: false,
      });
    case "ed25519ph":
      // zip215 off: RFC 8032 / FIPS 186-5 strict decoding, as a FIPS module verifies.
      return ed25519ph.verify(signature, message, nobleKeyMaterialOf(key).publicKey, { zip215: false });
    case "ml-dsa":
      return nobleMlDsaFor(key).internal.verify(signature, message, nobleKeyMaterialOf(key).publicKey, { externalMu: true });
    case "ed25519":
      return false;
  }
}

/**
 * Verifies a signature as the Verify operation does. Request errors (wrong algorithm, message
 * type or digest length) throw the AWS error; a signature that does not verify, or is not even
 * well-formed, returns false (the operation answers KMSInvalidSignatureException).
 */
export function verify(
  key: PreparedAsymmetricKey,
  algorithm: SigningAlgorithmSpec,
  messageType: MessageType,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  const parameters = checkSigningRequest(key, algorithm, messageType, message);
  try {
    return verifySignature(key, parameters, messageType, message, signature);
  } catch {
    // Parsers reject garbage (bad DER, wrong length, point not on the curve) by throwing.
    return false;
  }
}
