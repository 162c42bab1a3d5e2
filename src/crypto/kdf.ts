/**
 * NIST SP 800-108 key derivation in counter mode with HMAC-SHA256 as the PRF.
 * Each symmetric encryption derives a fresh data-encryption key from the key version
 * and a random nonce, so AES-GCM's random-IV bound (2^32 messages per key) never
 * limits how often one KMS key can be used.
 */
import { createHmac, type KeyObject } from "node:crypto";

/**
 * Derives `lengthBytes` bytes (L, their number of bits, is a 32-bit field: under 2^29 bytes): for i = 1.., HMAC(K, [i]32 || label || 0x00 || context || [L]32).
 */
export function deriveKeyCounterMode(key: Buffer | KeyObject, label: Buffer, context: Buffer, lengthBytes = 32): Buffer {
  const blocks = Math.ceil(lengthBytes / 32);
  // The PRF's input, written once: only the counter changes from block to block (one HMAC update per block, not five).
  const input = Buffer.allocUnsafe(4 + label.length + 1 + context.length + 4);
  const labelEnd = 4 + label.copy(input, 4);
  input[labelEnd] = 0x00;
  input.writeUInt32BE(lengthBytes * 8, labelEnd + 1 + context.copy(input, labelEnd + 1));
  const outputs: Buffer[] = [];
  for (let i = 1; i <= blocks; i++) {
    input.writeUInt32BE(i, 0);
    outputs.push(createHmac("sha256", key).update(input).digest());
  }
  const out = outputs.length === 1 ? (outputs[0] as Buffer) : Buffer.concat(outputs);
  return lengthBytes === out.length ? out : out.subarray(0, lengthBytes);
}
