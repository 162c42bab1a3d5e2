/**
 * Unwrapping imported key material as AWS's GetParametersForImport/ImportKeyMaterial
 * define it: RSAES-OAEP (SHA-1 or SHA-256, MGF1 with the same hash) directly, or the
 * RSA_AES_KEY_WRAP pair: an ephemeral AES-256 key wrapped with RSAES-OAEP, followed by
 * the material wrapped with AES Key Wrap with Padding (RFC 5649).
 */
import { constants, privateDecrypt, createDecipheriv, type KeyObject } from "node:crypto";
import type { AlgorithmSpec } from "@aws-sdk/client-kms";
import { InvalidCiphertextException } from "../errors.ts";

/** The wrapping algorithms kmsd accepts (RSAES_PKCS1_V1_5 is no longer offered by AWS). */
export const WRAPPING_ALGORITHMS = ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "RSA_AES_KEY_WRAP_SHA_1", "RSA_AES_KEY_WRAP_SHA_256"] as const;
/** One of WRAPPING_ALGORITHMS. */
export type WrappingAlgorithm = (typeof WRAPPING_ALGORITHMS)[number];

/** True if AWS (outside China) still accepts this wrapping algorithm. */
export function isWrappingAlgorithm(value: AlgorithmSpec | string): value is WrappingAlgorithm {
  return (WRAPPING_ALGORITHMS as readonly string[]).includes(value);
}

const KWP_IV = Buffer.from("A65959A6", "hex");

/** Unwraps `wrapped` with the wrapping private key; any failure is InvalidCiphertextException. */
export function unwrapImportedMaterial(privateKey: KeyObject, algorithm: WrappingAlgorithm, wrapped: Uint8Array): Buffer {
  const hash = algorithm.endsWith("SHA_1") ? "sha1" : "sha256";
  try {
    if (algorithm.startsWith("RSAES_OAEP")) return oaepDecrypt(privateKey, hash, wrapped);
    const modulusBytes = ((privateKey.asymmetricKeyDetails?.modulusLength ?? 0) + 7) >> 3;
    if (wrapped.length <= modulusBytes) throw new Error("too short");
    const aesKey = oaepDecrypt(privateKey, hash, wrapped.subarray(0, modulusBytes));
    if (aesKey.length !== 32) throw new Error("the ephemeral key is not AES-256");
    const decipher = createDecipheriv("id-aes256-wrap-pad", aesKey, KWP_IV);
    return Buffer.concat([decipher.update(wrapped.subarray(modulusBytes)), decipher.final()]);
  } catch {
    throw new InvalidCiphertextException();
  }
}

function oaepDecrypt(privateKey: KeyObject, hash: string, data: Uint8Array): Buffer {
  return privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, data);
}
