/**
 * The quotas `kmsd serve` runs with, from its options: the request throttle for this
 * process (its own buckets, or leases from the primary in a worker) and the resource quotas.
 */
import cluster from "node:cluster";
import { QuotaThrottle, UNLIMITED, type RequestThrottle } from "./requestThrottle.ts";
import { parseRequestQuotaOverrides, RequestQuotaRates } from "./requestQuotas.ts";
import { KeyCounts } from "./keyCounts.ts";
import { parseResourceQuotas, type ResourceQuotas } from "./resourceQuotas.ts";
import { LeasedTokens, LocalTokens, serveTokenLeases } from "./tokenSource.ts";

/** The quota options of `kmsd serve`. */
export interface QuotaOptions {
  throttling: "on" | "off";
  requestQuotas: string | undefined;
  resourceQuotas: string | undefined;
}

/** Both kinds of quota, checked. */
export interface Quotas {
  throttle: RequestThrottle;
  resources: ResourceQuotas;
  /** This process's recent counts of keys, for the key quota. */
  keyCounts: KeyCounts;
}

/** Reads the quota options; throws an Error naming a quota that does not exist or a value that does not fit. */
export function checkQuotaOptions(options: QuotaOptions): { rates: RequestQuotaRates; resources: ResourceQuotas } {
  return { rates: new RequestQuotaRates(parseRequestQuotaOverrides(options.requestQuotas)), resources: parseResourceQuotas(options.resourceQuotas) };
}

/** The quotas of a process that serves requests: alone, or as a worker leasing from the primary. */
export function quotasForServer(options: QuotaOptions): Quotas {
  const { rates, resources } = checkQuotaOptions(options);
  const keyCounts = new KeyCounts();
  if (options.throttling === "off") return { throttle: UNLIMITED, resources, keyCounts };
  return { throttle: new QuotaThrottle(rates, cluster.isWorker ? new LeasedTokens() : new LocalTokens()), resources, keyCounts };
}

/** In the primary of several workers: holds the node's buckets and leases their tokens to the workers. */
export function holdBucketsForWorkers(options: QuotaOptions): void {
  checkQuotaOptions(options);
  if (options.throttling === "on") serveTokenLeases(new LocalTokens());
}
