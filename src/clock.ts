/**
 * The server clock. Everything time-based (deletion windows, rotation, import expiry,
 * SigV4 skew) reads a Clock, so tests move time instead of sleeping. With `--dev` the
 * clock can be advanced at run time; without it the offset is always zero.
 */

/** A source of the current time. */
export interface Clock {
  /** Milliseconds since the epoch, as the server sees them. */
  nowMs(): number;
}

/** Wall-clock time plus an offset that only moves forward (the dev clock). */
export class AdjustableClock implements Clock {
  #offsetMs = 0;

  nowMs(): number {
    return Date.now() + this.#offsetMs;
  }

  /**
   * Moves the clock forward; time never runs backwards. The offset stays in whole
   * milliseconds, so the time the server stores (PostgreSQL's bigint columns refuse
   * fractions) is always an integer, whatever fraction of a second the caller asked for.
   */
  advance(seconds: number): void {
    if (!(seconds >= 0)) throw new RangeError("the clock only moves forward");
    this.#offsetMs += Math.round(seconds * 1000);
  }

  /** Adopts another worker's offset (workers share one server clock); never moves backwards. */
  adoptOffset(offsetMs: number): void {
    this.#offsetMs = Math.max(this.#offsetMs, offsetMs);
  }

  /** How far the clock is ahead of the wall clock, in milliseconds. */

  get offsetMs(): number {
    return this.#offsetMs;
  }
}

export const MS_PER_DAY = 86_400_000;
