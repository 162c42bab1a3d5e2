/**
 * A latency histogram in microseconds with log-linear buckets (128 per power of two,
 * so any recorded value is known to within 0.8%), cheap to record into and to merge
 * across worker threads. Values are clamped to [0, 2^31) µs.
 */
const SUB_BITS = 7;
const SUB = 1 << SUB_BITS; // 128
/** Enough buckets for every value below 2^31 µs (about 36 minutes). */
export const BUCKETS = (31 - SUB_BITS + 1) * SUB + SUB;

/** The bucket of a value (µs). */
export function bucketOf(valueUs: number): number {
  const v = valueUs <= 0 ? 0 : valueUs >= 0x7fffffff ? 0x7fffffff : Math.floor(valueUs);
  if (v < 2 * SUB) return v;
  const msb = 31 - Math.clz32(v);
  const shift = msb - SUB_BITS;
  return (shift + 1) * SUB + ((v >>> shift) - SUB);
}

/** The middle of a bucket's value range (µs). */
export function valueOf(bucket: number): number {
  if (bucket < 2 * SUB) return bucket;
  const shift = Math.floor(bucket / SUB) - 1;
  const low = (bucket - (shift + 1) * SUB + SUB) * 2 ** shift;
  return low + (2 ** shift - 1) / 2;
}

export class Histogram {
  readonly counts: Float64Array;
  count = 0;
  sumUs = 0;
  maxUs = 0;

  constructor(counts?: Float64Array) {
    this.counts = counts ?? new Float64Array(BUCKETS);
    if (counts) for (let i = 0; i < counts.length; i++) this.count += counts[i] ?? 0;
  }

  record(valueUs: number): void {
    const bucket = bucketOf(valueUs);
    this.counts[bucket] = (this.counts[bucket] ?? 0) + 1;
    this.count++;
    this.sumUs += valueUs;
    if (valueUs > this.maxUs) this.maxUs = valueUs;
  }

  merge(other: Histogram): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i] = (this.counts[i] ?? 0) + (other.counts[i] ?? 0);
    this.count += other.count;
    this.sumUs += other.sumUs;
    this.maxUs = Math.max(this.maxUs, other.maxUs);
  }

  /** The value (µs) at or below which `q` (0..1) of the recorded values lie; NaN when empty. */
  quantile(q: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i] ?? 0;
      if (seen >= rank) return Math.min(valueOf(i), this.maxUs);
    }
    return this.maxUs;
  }

  /** A plain object that survives postMessage. */
  toJSON(): { counts: Float64Array; sumUs: number; maxUs: number } {
    return { counts: this.counts, sumUs: this.sumUs, maxUs: this.maxUs };
  }

  static from(data: { counts: Float64Array; sumUs: number; maxUs: number }): Histogram {
    const histogram = new Histogram(data.counts);
    histogram.sumUs = data.sumUs;
    histogram.maxUs = data.maxUs;
    return histogram;
  }
}
