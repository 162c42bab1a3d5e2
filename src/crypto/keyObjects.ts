/**
 * Prepared secret keys for node:crypto. Handing createHmac or createCipheriv a raw Buffer
 * makes Node prepare a key object on every call, which on Node 24 costs more than the
 * HMAC or AES-GCM itself for small messages; long-lived keys (key material, SigV4 signing
 * keys) are prepared once and reused.
 */
import { createSecretKey, type KeyObject } from "node:crypto";

const prepared = new WeakMap<Buffer, KeyObject>();

/** The prepared form of a long-lived key held in a Buffer that is kept (cached material). */
export function preparedKey(key: Buffer): KeyObject {
  let keyObject = prepared.get(key);
  if (!keyObject) {
    keyObject = createSecretKey(key);
    prepared.set(key, keyObject);
  }
  return keyObject;
}
