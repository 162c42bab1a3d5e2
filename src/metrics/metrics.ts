/**
 * kmsd's Prometheus metrics (prom-client), in one registry of this process. The functions
 * below are what the rest of kmsd calls on its hot paths: each only moves an in-memory
 * counter or histogram, no I/O. The registry is read by the metrics listener
 * (metricsServer.ts), directly with one process, or summed over the workers by the primary.
 *
 * Labels take only values from fixed sets (operations of the models, AWS error names), so a
 * client cannot grow the number of series by sending made-up operation names.
 */
import { AggregatorRegistry, Counter, Gauge, Histogram, Registry } from "prom-client";
import { log } from "../server/log.ts";
import type { KeyStateCount } from "../store/store.ts";
import { CLOUDTRAIL_OPERATIONS, KMS_OPERATIONS } from "../model/index.ts";
import { IAM_OPERATIONS } from "../model/iam.generated.ts";
import { STS_OPERATIONS } from "../model/sts.generated.ts";

/** This process's metrics. */
export const metricsRegistry = new Registry();

const KNOWN_OPERATIONS: Record<string, ReadonlySet<string>> = {
  kms: new Set(KMS_OPERATIONS),
  cloudtrail: new Set(CLOUDTRAIL_OPERATIONS),
  iam: new Set(IAM_OPERATIONS),
  sts: new Set(STS_OPERATIONS),
};

/** Latency buckets in seconds: from a cached Encrypt (well under 1 ms) to an RSA 4096 key generation (seconds). */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

const requests = new Counter({
  name: "kmsd_requests_total",
  help: "API requests answered, by service, operation and outcome (success, or the AWS error name).",
  labelNames: ["service", "operation", "outcome"] as const,
  registers: [metricsRegistry],
});

const requestDuration = new Histogram({
  name: "kmsd_request_duration_seconds",
  help: "Time from a request's arrival to its answer (its audit commit included), by service and operation.",
  labelNames: ["service", "operation"] as const,
  buckets: LATENCY_BUCKETS,
  registers: [metricsRegistry],
});

const auditBatchEvents = new Histogram({
  name: "kmsd_audit_batch_events",
  help: "Events per audit commit (group commit: concurrent requests share one transaction).",
  buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
  registers: [metricsRegistry],
});

const auditCommitDuration = new Histogram({
  name: "kmsd_audit_commit_duration_seconds",
  help: "Time from handing an audit batch to the writer thread to its commit being on disk.",
  buckets: LATENCY_BUCKETS,
  registers: [metricsRegistry],
});

const keyCacheLookups = new Counter({
  name: "kmsd_key_cache_lookups_total",
  help: "Key cache lookups, by result (hit or miss; a miss reads the store).",
  labelNames: ["result"] as const,
  registers: [metricsRegistry],
});

const throttledRequests = new Counter({
  name: "kmsd_throttled_requests_total",
  help: "Requests refused with ThrottlingException, by quota.",
  labelNames: ["quota"] as const,
  registers: [metricsRegistry],
});

const schedulerJobs = new Counter({
  name: "kmsd_scheduler_jobs_total",
  help: "Scheduled jobs run, by job and outcome (ok or failed).",
  labelNames: ["job", "outcome"] as const,
  registers: [metricsRegistry],
});

/** Where the keys-by-state gauge reads its counts: set by one process of the node (worker 0) while it is unsealed. */
let keyCounts: (() => Promise<KeyStateCount[]>) | undefined;

/**
 * Read from the store at each scrape rather than counted as keys change: keys change state
 * in other workers, on other nodes and in the scheduler, and the store is the one place that
 * knows them all. Only one process of a node reads it, so the sum over workers is the count;
 * every node reports the whole deployment (on PostgreSQL, aggregate nodes with max, not sum).
 */
new Gauge({
  name: "kmsd_keys",
  help: "KMS keys of every account and Region, by key state and key manager (CUSTOMER or AWS), read from the store at each scrape.",
  labelNames: ["state", "manager"] as const,
  registers: [metricsRegistry],
  async collect() {
    this.reset();
    if (!keyCounts) return;
    try {
      for (const { state, keyManager, count } of await keyCounts()) this.set({ state, manager: keyManager }, count);
    } catch (error) {
      log.warn("metrics: could not count keys by state", { error: error instanceof Error ? error.message : String(error) });
    }
  },
});

/** Makes this process the one that reports keys by state (`undefined` stops it: the node sealed or stops). */
export function reportKeyStates(count: (() => Promise<KeyStateCount[]>) | undefined): void {
  keyCounts = count;
}

/** The operation as a label: one of the service's operations, else "unknown". */
function operationLabel(service: string, operation: string | undefined): string {
  return operation !== undefined && KNOWN_OPERATIONS[service]?.has(operation) ? operation : "unknown";
}

/** Counts one answered API request and its latency. `errorCode` is the AWS error name, undefined on success. */
export function observeRequest(service: string, operation: string | undefined, errorCode: string | undefined, seconds: number): void {
  const op = operationLabel(service, operation);
  requests.inc({ service, operation: op, outcome: errorCode ?? "success" });
  requestDuration.observe({ service, operation: op }, seconds);
}

/** Counts one committed audit batch: its size and how long its commit took. */
export function observeAuditCommit(events: number, seconds: number): void {
  auditBatchEvents.observe(events);
  auditCommitDuration.observe(seconds);
}

/** Counts one key cache lookup. */
export function observeKeyCacheLookup(hit: boolean): void {
  keyCacheLookups.inc({ result: hit ? "hit" : "miss" });
}

/** Counts one request refused with ThrottlingException under `quota` (the quota's group name). */
export function incrementThrottled(quota: string): void {
  throttledRequests.inc({ quota });
}

/** Counts one scheduled job (deletion, rotation, import expiry, audit delivery) by whether it succeeded. */
export function observeSchedulerJob(job: string, ok: boolean): void {
  schedulerJobs.inc({ job, outcome: ok ? "ok" : "failed" });
}

/** In a worker: answer the primary's requests for this process's metrics (prom-client's cluster messages). */
export function shareMetricsWithPrimary(): void {
  AggregatorRegistry.setRegistries([metricsRegistry]);
  // The constructor installs the worker's listener for the primary's requests.
  new AggregatorRegistry();
}

const xksProxyHealth = new Gauge({
  name: "kmsd_xks_proxy_health",
  help: "The last periodic health check of each connected external key store's proxy: 1 on its outcome, HEALTHY or the ConnectionErrorCode a connection would get (XKS_PROXY_NOT_REACHABLE, XKS_PROXY_TIMED_OUT...).",
  labelNames: ["custom_key_store_id", "outcome"] as const,
  registers: [metricsRegistry],
});

/** The outcome last reported per store, so a new one replaces it. */
const xksProxyOutcomes = new Map<string, string>();

/** Reports a store's latest health check outcome; `undefined` forgets the store (disconnected or deleted). */
export function reportXksProxyHealth(customKeyStoreId: string, outcome: string | undefined): void {
  const previous = xksProxyOutcomes.get(customKeyStoreId);
  if (previous !== undefined && previous !== outcome) xksProxyHealth.remove({ custom_key_store_id: customKeyStoreId, outcome: previous });
  if (outcome === undefined) {
    xksProxyOutcomes.delete(customKeyStoreId);
    return;
  }
  xksProxyOutcomes.set(customKeyStoreId, outcome);
  xksProxyHealth.set({ custom_key_store_id: customKeyStoreId, outcome }, 1);
}
