/**
 * The count the key quota is checked against, without counting on every CreateKey.
 * Counting an account's customer managed keys in a Region reads every key row of it: its
 * cost grows with the keys (milliseconds at a few thousand on PostgreSQL, where each row's
 * JSON is parsed), and at hundreds of CreateKey per second it was most of the request.
 *
 * So a process keeps the count it last read for each account and Region, with the keys it
 * let through since, for REUSE_MS, and reads the store again when that is older, or when
 * the quota is within HEADROOM keys of it: near the quota every check counts, as before.
 * The check was never transactional (resourceChecks.ts); what the reuse adds is that keys
 * other processes create meanwhile are seen up to REUSE_MS late, which can matter only if
 * they create more than HEADROOM keys within that time.
 */

/** How long a count read from the store is reused. */
const REUSE_MS = 1_000;
/** Below quota minus this many keys, a reused count is close enough. */
const HEADROOM = 1_000;

interface Counted {
  /** Keys counted in the store plus those let through since. */
  count: number;
  readAt: number;
}

/** One process's counts of customer managed keys, by account and Region. */
export class KeyCounts {
  readonly #counts = new Map<string, Counted>();
  /** Counts being read: concurrent checks that find none fresh share one read. */
  readonly #reading = new Map<string, Promise<Counted>>();
  readonly #now: () => number;

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /**
   * The usage to compare with `quota` before one more key is created: reused when recent and
   * far enough below the quota, else read by `count`. The key about to be created is added
   * to what is kept (a creation that then fails only makes the next checks stricter).
   */
  async usage(accountId: string, region: string, quota: number, count: () => Promise<number>): Promise<number> {
    const scope = `${accountId}/${region}`;
    let kept = this.#counts.get(scope);
    if (!kept || this.#now() - kept.readAt >= REUSE_MS || kept.count >= quota - HEADROOM) kept = await this.#read(scope, count);
    const usage = kept.count;
    kept.count += 1;
    return usage;
  }

  #read(scope: string, count: () => Promise<number>): Promise<Counted> {
    let reading = this.#reading.get(scope);
    if (!reading) {
      const readAt = this.#now();
      reading = count()
        .then((counted) => {
          const kept = { count: counted, readAt };
          this.#counts.set(scope, kept);
          return kept;
        })
        .finally(() => this.#reading.delete(scope));
      this.#reading.set(scope, reading);
    }
    return reading;
  }
}
