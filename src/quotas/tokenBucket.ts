/**
 * A token bucket: `rate` tokens a second, holding at most one second's worth (at least
 * one token, so a rate under 1 still lets a request through now and then). Time is the
 * monotonic clock, never the server clock a --dev test may move.
 */
import { performance } from "node:perf_hooks";

/** One quota of one account and Region. */
export class TokenBucket {
  readonly #rate: number;
  readonly #capacity: number;
  #tokens: number;
  #refilledAtMs: number;

  constructor(rate: number, nowMs = performance.now()) {
    this.#rate = rate;
    this.#capacity = Math.max(rate, 1);
    this.#tokens = this.#capacity;
    this.#refilledAtMs = nowMs;
  }

  /** Takes up to `wanted` whole tokens; returns how many it took. */
  take(wanted: number, nowMs = performance.now()): number {
    const elapsedMs = Math.max(0, nowMs - this.#refilledAtMs);
    this.#tokens = Math.min(this.#capacity, this.#tokens + (elapsedMs * this.#rate) / 1000);
    this.#refilledAtMs = nowMs;
    const taken = Math.min(wanted, Math.floor(this.#tokens));
    this.#tokens -= taken;
    return taken;
  }
}
