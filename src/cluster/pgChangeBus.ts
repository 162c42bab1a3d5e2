/**
 * The change bus across the nodes of a PostgreSQL deployment: every process (each worker
 * of each node) LISTENs on one channel, and a committed change is published both to the
 * process's own node (`local`: its sibling workers, acknowledged when they applied it) and
 * with NOTIFY to every other process on the database. A process ignores its own
 * notifications.
 *
 * A notification sent while a listener was disconnected is lost to it, so after every
 * (re)connection the listener hands its handlers `{ kind: "everything" }`: caches are
 * refilled from the database, never left stale. Until the listener is connected again the
 * node keeps serving from its caches (PostgreSQL being unreachable, no other node can
 * commit a change either).
 */
import { randomUUID } from "node:crypto";
import pg from "pg";
import { log } from "../server/log.ts";
import type { Change, ChangeBus, ChangeHandler } from "./changes.ts";

/** The NOTIFY channel of kmsd's changes. */
const CHANNEL = "kmsd_changes";
/** Waits between reconnection attempts, growing to the last. */
const RECONNECT_DELAYS_MS = [50, 100, 200, 500, 1000];

interface Notification {
  origin: string;
  change: Change;
}

/** A process's end of the cross-node bus. */
export class PgChangeBus implements ChangeBus {
  readonly #url: string;
  readonly #local: ChangeBus;
  readonly #pool: pg.Pool;
  readonly #origin = randomUUID();
  readonly #handlers: ChangeHandler[] = [];
  #listener: pg.Client | undefined;
  #closed = false;
  #attempt = 0;
  #connected: Promise<void>;

  /** Listens on the database at `url`; `local` carries changes to this node's other workers; `pool` sends NOTIFYs. */
  constructor(url: string, local: ChangeBus, pool: pg.Pool) {
    this.#url = url;
    this.#local = local;
    this.#pool = pool;
    local.subscribe((change) => this.#deliver(change));
    this.#connected = this.#listen();
  }

  /** Resolves once the first LISTEN is in place (so no change committed after start-up is missed). */
  ready(): Promise<void> {
    return this.#connected;
  }

  async publish(change: Change): Promise<void> {
    const payload = JSON.stringify({ origin: this.#origin, change } satisfies Notification);
    await Promise.all([this.#local.publish(change), this.#pool.query("SELECT pg_notify($1, $2)", [CHANNEL, payload])]);
  }

  subscribe(handler: ChangeHandler): void {
    this.#handlers.push(handler);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#listener?.end().catch(() => undefined);
  }

  async #deliver(change: Change): Promise<void> {
    for (const handler of this.#handlers) await handler(change);
  }

  /** Connects and LISTENs, then has every cache refreshed; on failure tries again, later each time. */
  async #listen(): Promise<void> {
    while (!this.#closed) {
      const client = new pg.Client({ connectionString: this.#url, connectionTimeoutMillis: 5_000, keepAlive: true });
      try {
        client.on("error", () => this.#lost(client));
        client.on("end", () => this.#lost(client));
        client.on("notification", (message) => this.#onNotification(message.payload));
        await client.connect();
        await client.query(`LISTEN ${CHANNEL}`);
        this.#listener = client;
        if (this.#attempt > 0) log.info("change notifications connected again; cached records refreshed");
        this.#attempt = 0;
        // What was committed while nobody listened is read again from the database.
        await this.#deliver({ kind: "everything" });
        return;
      } catch (error) {
        client.removeAllListeners("end");
        await client.end().catch(() => undefined);
        if (this.#attempt === 0) log.warn("change notifications unavailable; retrying", { error: String(error) });
        const delay = RECONNECT_DELAYS_MS[Math.min(this.#attempt, RECONNECT_DELAYS_MS.length - 1)] ?? 1000;
        this.#attempt++;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  #lost(client: pg.Client): void {
    if (this.#listener !== client || this.#closed) return;
    this.#listener = undefined;
    client.removeAllListeners("end");
    void client.end().catch(() => undefined);
    log.warn("change notifications disconnected; reconnecting");
    this.#attempt = 1;
    this.#connected = this.#listen();
  }

  #onNotification(payload: string | undefined): void {
    if (payload === undefined) return;
    let notification: Notification;
    try {
      notification = JSON.parse(payload) as Notification;
    } catch {
      return;
    }
    if (notification.origin === this.#origin) return;
    this.#deliver(notification.change).catch((error: unknown) => log.error("applying a change from another node failed", { error: String(error) }));
  }
}
