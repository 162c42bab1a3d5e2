/**
 * Which node runs the scheduler (deletions, rotations, expiries, audit delivery) in a
 * PostgreSQL deployment: the one holding a session-level advisory lock on a connection of
 * its own. PostgreSQL releases the lock when that connection ends, also when its node is
 * killed, and every other candidate tries to take it every TRY_INTERVAL_MS, so another
 * node takes over within a few seconds (the documented bound is 10 s).
 *
 * Jobs stay safe even if two nodes ever believed themselves leader at once (the old
 * leader's connection not yet seen as dead): each job decides again on the stored record
 * and writes with a compare-and-set, so a due job runs once.
 */
import pg from "pg";
import { log } from "../server/log.ts";

/** Any fixed number: the advisory lock of the scheduler's leader. */
const LEADER_LOCK = 0x6b6d7364_01;
/** How often a follower tries to become leader, and the leader checks its connection. */
export const TRY_INTERVAL_MS = 2_000;

/** Who leads: asked by the scheduler before each run. */
export interface Leadership {
  isLeader(): boolean;
  close(): Promise<void>;
}

/** Always the leader: one node (SQLite, or a single process). */
export const SOLE_LEADER: Leadership = { isLeader: () => true, close: async () => undefined };

/** Leadership by PostgreSQL advisory lock. */
export class AdvisoryLockLeadership implements Leadership {
  readonly #url: string;
  #client: pg.Client | undefined;
  #leader = false;
  #timer: NodeJS.Timeout | undefined;
  #trying: Promise<void> | undefined;

  constructor(url: string) {
    this.#url = url;
  }

  /** Tries at once, then every TRY_INTERVAL_MS. */
  start(): Promise<void> {
    this.#timer = setInterval(() => void this.#tick(), TRY_INTERVAL_MS);
    this.#timer.unref();
    return this.#tick();
  }

  isLeader(): boolean {
    return this.#leader;
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#trying;
    this.#leader = false;
    await this.#client?.end().catch(() => undefined);
    this.#client = undefined;
  }

  #tick(): Promise<void> {
    this.#trying ??= this.#try().finally(() => (this.#trying = undefined));
    return this.#trying;
  }

  async #try(): Promise<void> {
    try {
      const client = await this.#connection();
      if (this.#leader) {
        // Still connected: the lock is still ours. A dead connection throws here and we step down.
        await client.query("SELECT 1");
        return;
      }
      const row = (await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock($1) AS locked", [LEADER_LOCK])).rows[0];
      if (row?.locked) {
        this.#leader = true;
        log.info("this node now runs the scheduler");
      }
    } catch (error) {
      this.#stepDown(String(error));
    }
  }

  async #connection(): Promise<pg.Client> {
    if (this.#client) return this.#client;
    const client = new pg.Client({ connectionString: this.#url, connectionTimeoutMillis: 5_000, keepAlive: true });
    client.on("error", (error) => this.#stepDown(String(error)));
    await client.connect();
    this.#client = client;
    return client;
  }

  #stepDown(reason: string): void {
    if (this.#leader) log.warn("this node no longer runs the scheduler", { reason });
    this.#leader = false;
    const client = this.#client;
    this.#client = undefined;
    void client?.end().catch(() => undefined);
  }
}
