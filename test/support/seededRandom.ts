/**
 * A seeded pseudo-random generator for the adversarial suites, so a failing run can be
 * replayed exactly: the seed comes from KMSD_FUZZ_SEED when set, else it is drawn at
 * random and the suite prints it. Not for anything secret (it is sfc32, not a CSPRNG).
 */
import { randomInt } from "node:crypto";

/** A deterministic source of random choices. */
export interface Random {
  /** The seed it was made from. */
  readonly seed: number;
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  /** An integer in [min, max]. */
  between(min: number, max: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
  /** n random bytes. */
  bytes(n: number): Buffer;
}

/** The generator for `seed` (a 32-bit unsigned integer). */
export function seededRandom(seed: number): Random {
  // sfc32, with the seed spread over its state and the first outputs discarded.
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed >>> 0;
  const next32 = () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 16; i++) next32();
  const next = () => next32() / 0x1_0000_0000;
  const int = (n: number) => Math.floor(next() * n);
  return {
    seed: seed >>> 0,
    next,
    int,
    between: (min, max) => min + int(max - min + 1),
    chance: (p) => next() < p,
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new Error("pick from an empty array");
      return items[int(items.length)] as T;
    },
    bytes(n) {
      const out = Buffer.alloc(n);
      for (let i = 0; i < n; i++) out[i] = next32() & 0xff;
      return out;
    },
  };
}

/** The suite's seed: KMSD_FUZZ_SEED if set (decimal), else a fresh random one. */
export function fuzzSeed(): number {
  const text = process.env.KMSD_FUZZ_SEED;
  if (text === undefined || text === "") return randomInt(0, 0xffff_ffff);
  const seed = Number(text);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffff_ffff) throw new Error(`KMSD_FUZZ_SEED must be an integer in [0, 2^32), got ${text}`);
  return seed;
}

/** How many cases a suite runs: KMSD_FUZZ_COUNT if set, else `defaultCount` (sized for CI). */
export function fuzzCount(defaultCount: number): number {
  const text = process.env.KMSD_FUZZ_COUNT;
  if (text === undefined || text === "") return defaultCount;
  const count = Number(text);
  if (!Number.isInteger(count) || count < 1) throw new Error(`KMSD_FUZZ_COUNT must be a positive integer, got ${text}`);
  return count;
}
