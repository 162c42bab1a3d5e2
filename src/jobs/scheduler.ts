/**
 * Time-driven jobs, run against the server clock: every tick, and at once after the
 * dev clock moves. Today: deleting keys whose deletion date has passed. A job that
 * was due while the server was down runs on the first tick after start.
 */
import type { Clock } from "../clock.ts";
import type { KeyRepository } from "../keys/keyRepository.ts";
import { log } from "../server/log.ts";

/** Runs due jobs periodically. */
export class Scheduler {
  readonly #keys: KeyRepository;
  readonly #clock: Clock;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(keys: KeyRepository, clock: Clock) {
    this.#keys = keys;
    this.#clock = clock;
  }

  /** Starts ticking every `intervalMs` (the first run is immediate). */
  start(intervalMs = 1000): void {
    void this.runDue();
    this.#timer = setInterval(() => void this.runDue(), intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#running;
  }

  /** Runs every job that is due now; concurrent calls share one run. */
  runDue(): Promise<void> {
    this.#running ??= this.#deleteDueKeys().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #deleteDueKeys(): Promise<void> {
    try {
      for (const keyId of await this.#keys.store.keysDueForDeletion(this.#clock.nowMs())) {
        await this.#keys.delete(keyId);
        log.info("key deleted", { keyId });
      }
    } catch (error) {
      log.error("scheduled key deletion failed", { error: String(error) });
    }
  }
}
