/**
 * The pool of public random bytes (nonces, IVs, event ids) hands out every byte once: draws
 * never repeat, across the pool's refills too, and a draw larger than the pool is still fresh.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { fillPublicRandom, publicRandomHex } from "../src/crypto/randomPool.ts";

describe("public random pool", () => {
  it("no two nonce-and-IV draws are the same, across several refills of the pool", () => {
    const seen = new Set<string>();
    const draw = Buffer.alloc(28);
    // 8 KiB pool: 2,000 draws of 28 bytes refill it six times.
    for (let i = 0; i < 2000; i++) {
      fillPublicRandom(draw, 0, 28);
      seen.add(draw.toString("hex"));
    }
    assert.equal(seen.size, 2000);
  });

  it("writes exactly the bytes asked for, where asked", () => {
    const target = Buffer.alloc(40, 0xee);
    fillPublicRandom(target, 6, 28);
    assert.deepEqual([...target.subarray(0, 6)], [0xee, 0xee, 0xee, 0xee, 0xee, 0xee]);
    assert.deepEqual([...target.subarray(34)], [0xee, 0xee, 0xee, 0xee, 0xee, 0xee]);
    assert.notDeepEqual(target.subarray(6, 34), Buffer.alloc(28, 0xee));
  });

  it("a draw larger than the pool is filled in full and not from the pool", () => {
    const big = Buffer.alloc(20_000);
    fillPublicRandom(big, 0, big.length);
    // All-zero 1 KiB stretches would mean a part was never written.
    for (let offset = 0; offset < big.length; offset += 1024) assert.notDeepEqual(big.subarray(offset, offset + 1024), Buffer.alloc(Math.min(1024, big.length - offset)));
  });

  it("hex draws are fresh and of the length asked for", () => {
    const ids = Array.from({ length: 1000 }, () => publicRandomHex(10));
    assert.ok(ids.every((hex) => /^[0-9a-f]{20}$/.test(hex)));
    assert.equal(new Set(ids).size, ids.length);
  });
});
