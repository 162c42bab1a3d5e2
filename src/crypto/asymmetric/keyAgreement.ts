/**
 * DeriveSharedSecret: ECDH between a KMS key pair on a NIST curve and a peer's public key,
 * returning the raw shared secret (the x-coordinate, field-size bytes) as AWS does.
 */
import { createPublicKey, diffieHellman, type KeyObject } from "node:crypto";
import type { KeyAgreementAlgorithmSpec } from "@aws-sdk/client-kms";
import { InvalidKeyUsageException, ValidationException } from "../../errors.ts";
import { algorithmsFor } from "./keySpecs.ts";
import type { PreparedAsymmetricKey } from "./preparedKey.ts";

/** Parses the peer's SubjectPublicKeyInfo; AWS answers an unparsable one with an empty ValidationException (recorded). */
function parsePeerPublicKey(peerPublicKeySpkiDer: Uint8Array): KeyObject {
  try {
    return createPublicKey({ key: Buffer.from(peerPublicKeySpkiDer), format: "der", type: "spki" });
  } catch {
    throw new ValidationException();
  }
}

/**
 * Derives the ECDH shared secret of the KMS key and a peer public key (DER SubjectPublicKeyInfo
 * on the same curve). The result is secret: never log it.
 */
export function deriveSharedSecret(
  key: PreparedAsymmetricKey,
  peerPublicKeySpkiDer: Uint8Array,
  algorithm: KeyAgreementAlgorithmSpec = "ECDH",
): Buffer {
  if (!(algorithmsFor(key.keySpec, "KEY_AGREEMENT").KeyAgreementAlgorithms ?? []).includes(algorithm)) {
    throw new InvalidKeyUsageException(`Algorithm ${algorithm} is incompatible with key spec ${key.keySpec}.`);
  }
  const peer = parsePeerPublicKey(peerPublicKeySpkiDer);
  const ownCurve = key.publicKey.asymmetricKeyDetails?.namedCurve;
  if (peer.asymmetricKeyType !== "ec" || peer.asymmetricKeyDetails?.namedCurve !== ownCurve) {
    throw new ValidationException(`The public key must be an elliptic curve key on the same curve as key spec ${key.keySpec}.`);
  }
  return diffieHellman({ privateKey: key.privateKey, publicKey: peer });
}
