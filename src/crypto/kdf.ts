/**
 * NIST SP 800-108 key derivation in counter mode with HMAC-SHA256 as the PRF.
 * Each symmetric encryption derives a fresh data-encryption key from the key version
 * and a random nonce, so AES-GCM's random-IV bound (2^32 messages per key) never
 * limits how often one KMS key can be used.
 */
import { createHmac, type KeyObject } from "node:crypto";

/**
 * Derives `lengthBytes` (at most 32 * 2^32) bytes: for i = 1.., HMAC(K, [i]32 || label || 0x00 || context || [L]32).
 */
export function deriveKeyCounterMode(key: Buffer | KeyObject, label: Buffer, context: Buffer, lengthBytes = 32): Buffer {
  const blocks = Math.ceil(lengthBytes / 32);
  const lengthBits = Buffer.alloc(4);
  lengthBits.writeUInt32BE(lengthBytes * 8);
  const out = Buffer.alloc(blocks * 32);
  const counter = Buffer.alloc(4);
  for (let i = 1; i <= blocks; i++) {
    counter.writeUInt32BE(i);
    createHmac("sha256", key)
      .update(counter)
      .update(label)
      .update(ZERO_BYTE)
      .update(context)
      .update(lengthBits)
      .digest()
      .copy(out, (i - 1) * 32);
  }
  return lengthBytes === out.length ? out : out.subarray(0, lengthBytes);
}

const ZERO_BYTE = Buffer.from([0]);
