/**
 * Import tokens: what GetParametersForImport hands out and ImportKeyMaterial takes back.
 * A token carries the key it is for (its ARN: a multi-Region key's replicas share its id,
 * and each imports with a token of its own Region), the wrapping algorithm, the wrapping private key and
 * its expiry, sealed by the root key (an AWS-owned key in AWS's terms) so kmsd needs no
 * table of outstanding parameters and any node can redeem a token. A token of another
 * key, or a garbled one, is InvalidImportTokenException; an old one ExpiredImportTokenException.
 */
import type { RootKey } from "../crypto/rootKey.ts";
import type { WrappingAlgorithm } from "../crypto/importWrapping.ts";
import { ExpiredImportTokenException, InvalidImportTokenException } from "../errors.ts";

/** What a token binds together. */
export interface ImportParameters {
  keyArn: string;
  wrappingAlgorithm: WrappingAlgorithm;
  wrappingPrivateKeyPkcs8: Buffer;
  validToMs: number;
}

const TOKEN_AAD = Buffer.from("kmsd import token v1", "utf8");

/** Seals import parameters into a token. */
export function sealImportToken(rootKey: RootKey, parameters: ImportParameters): Buffer {
  const body = JSON.stringify({
    k: parameters.keyArn,
    a: parameters.wrappingAlgorithm,
    p: parameters.wrappingPrivateKeyPkcs8.toString("base64"),
    v: parameters.validToMs,
  });
  return rootKey.wrap(Buffer.from(body, "utf8"), TOKEN_AAD);
}

/** Opens a token for the key `keyArn` at `nowMs`, or throws the AWS error. */
export function openImportToken(rootKey: RootKey, token: Uint8Array, keyArn: string, nowMs: number): ImportParameters {
  let parsed: { k: string; a: WrappingAlgorithm; p: string; v: number };
  try {
    parsed = JSON.parse(rootKey.unwrap(Buffer.from(token), TOKEN_AAD).toString("utf8")) as typeof parsed;
  } catch {
    throw new InvalidImportTokenException("Import token is invalid or was not issued by this service.");
  }
  if (parsed.k !== keyArn) throw new InvalidImportTokenException("Import token is not for the specified KMS key.");
  if (parsed.v <= nowMs) throw new ExpiredImportTokenException("Import token has expired.");
  return { keyArn: parsed.k, wrappingAlgorithm: parsed.a, wrappingPrivateKeyPkcs8: Buffer.from(parsed.p, "base64"), validToMs: parsed.v };
}
