/**
 * AWS KMS's periodic health check of external key stores: every few minutes (here every 5
 * minutes of the server clock) KMS sends GetHealthStatus, with kmsOperation `KmsHealthCheck`,
 * to the proxy of each CONNECTED external key store, asynchronously from any API call, and
 * publishes the outcome for monitoring. As AWS documents, the outcome does not change the
 * store's ConnectionState: a store is DISCONNECTED only when never connected or explicitly
 * disconnected, and FAILED only after a failed connection attempt, so a connected store whose
 * proxy stops answering stays CONNECTED while its keys' calls fail with KMSInvalidStateException.
 * The outcome goes to the metric kmsd_xks_proxy_health (HEALTHY, or the ConnectionErrorCode a
 * connection would get now) and, when it changes, to the log. One process per node runs it.
 */
import { randomUUID } from "node:crypto";
import type { Services } from "../server/context.ts";
import { log } from "../server/log.ts";
import { reportXksProxyHealth } from "../metrics/metrics.ts";
import { proxyTarget } from "../services/kms/customKeyStores.ts";
import { connectionErrorCodeFor, XksProxyFailure } from "../xks/proxyFailure.ts";

/** How often each connected store's proxy is checked, in server-clock milliseconds. */
export const XKS_HEALTH_CHECK_INTERVAL_MS = 5 * 60_000;

/** The kmsOperation the XKS proxy API spec names for KMS's own periodic check. */
const HEALTH_CHECK_OPERATION = "KmsHealthCheck";

/** Checks connected external key stores' proxies when the interval has passed on the server clock. */
export class XksHealthCheck {
  readonly #services: Services;
  #nextCheckMs: number;
  /** Each checked store's last outcome: a change is logged, a store no longer connected is forgotten. */
  readonly #outcomes = new Map<string, string>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(services: Services) {
    this.#services = services;
    this.#nextCheckMs = services.clock.nowMs() + XKS_HEALTH_CHECK_INTERVAL_MS;
  }

  /** Looks every `tickMs` whether a check is due (the server clock may be moved in --dev). */
  start(tickMs = 1000): void {
    this.#timer = setInterval(() => void this.runDue(), tickMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.#running;
  }

  /** Runs the check if it is due; a call during a run waits for that run. */
  runDue(): Promise<void> {
    this.#running ??= this.#checkIfDue().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #checkIfDue(): Promise<void> {
    const nowMs = this.#services.clock.nowMs();
    if (nowMs < this.#nextCheckMs) return;
    this.#nextCheckMs = nowMs + XKS_HEALTH_CHECK_INTERVAL_MS;
    let stores;
    try {
      stores = (await this.#services.store.customKeyStores.listExternal()).filter((store) => store.connectionState === "CONNECTED");
    } catch (error) {
      log.error("xks health check: reading the custom key stores failed", { error: String(error) });
      return;
    }
    const checked = new Set(stores.map((store) => store.id));
    for (const id of this.#outcomes.keys()) {
      if (checked.has(id)) continue;
      this.#outcomes.delete(id);
      reportXksProxyHealth(id, undefined);
    }
    // One at a time: a check waits at most the proxy timeout, and no proxy is sent a burst.
    for (const store of stores) {
      if (!store.xks) continue;
      const outcome = await this.#outcomeOf(proxyTarget(this.#services, store, store.xks));
      if (this.#outcomes.get(store.id) !== outcome) {
        (outcome === "HEALTHY" ? log.info : log.warn)("xks proxy health check", { customKeyStoreId: store.id, outcome });
      }
      this.#outcomes.set(store.id, outcome);
      reportXksProxyHealth(store.id, outcome);
    }
  }

  async #outcomeOf(target: ReturnType<typeof proxyTarget>): Promise<string> {
    try {
      await this.#services.xks.health(target, { kmsOperation: HEALTH_CHECK_OPERATION, kmsRequestId: randomUUID() });
      return "HEALTHY";
    } catch (error) {
      if (error instanceof XksProxyFailure) return connectionErrorCodeFor(error.failure);
      log.error("xks health check failed", { error: String(error) });
      return "INTERNAL_ERROR";
    }
  }
}

