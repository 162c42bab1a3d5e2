/**
 * Random bytes for values that are unpredictable but not secret (ciphertext nonces and IVs,
 * event ids), served from a pool that one randomFillSync call refills: a call per value
 * cost more on the request path than the AES-GCM that used it. Never for key material or
 * anything secret: pooled bytes wait in memory before they are handed out.
 */
import { randomFillSync } from "node:crypto";

const POOL_BYTES = 8192;
const pool = Buffer.alloc(POOL_BYTES);
let used = POOL_BYTES;

/** Writes `length` fresh random bytes into `target` at `offset`; every byte of the pool is handed out once. */
export function fillPublicRandom(target: Uint8Array, offset: number, length: number): void {
  if (length > POOL_BYTES) {
    randomFillSync(target, offset, length);
    return;
  }
  pool.copy(target, offset, take(length), used);
}

/** `length` fresh random bytes (at most the pool's size) as hex digits. */
export function publicRandomHex(length: number): string {
  if (length > POOL_BYTES) throw new RangeError(`at most ${POOL_BYTES} pooled random bytes at once`);
  return pool.toString("hex", take(length), used);
}

/** Reserves the next `length` bytes of the pool (refilled first if fewer are left); returns where they start. */
function take(length: number): number {
  if (used + length > POOL_BYTES) {
    randomFillSync(pool);
    used = 0;
  }
  used += length;
  return used - length;
}
