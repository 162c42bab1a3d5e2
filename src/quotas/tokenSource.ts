/**
 * Where request tokens come from. A single process holds every bucket itself
 * (LocalTokens). With --workers, the primary holds them and each worker leases tokens in
 * batches over IPC (LeasedTokens, serveTokenLeases): the node as a whole never admits more
 * than the buckets allow, and a worker with leased tokens in hand admits without a message.
 */
import cluster, { type Worker } from "node:cluster";
import { performance } from "node:perf_hooks";
import { TokenBucket } from "./tokenBucket.ts";

/** Hands out tokens of the bucket named `scope` (account, Region and quota), which refills at `rate` a second. */
export interface TokenSource {
  /** True if a token was taken; synchronous whenever no message to the primary is needed. */
  take(scope: string, rate: number): boolean | Promise<boolean>;
}

/** Every bucket in this process. */
export class LocalTokens implements TokenSource {
  readonly #buckets = new Map<string, TokenBucket>();

  take(scope: string, rate: number): boolean {
    return this.takeUpTo(scope, rate, 1) === 1;
  }

  /** Takes up to `wanted` tokens of one bucket (a worker's lease); returns how many. */
  takeUpTo(scope: string, rate: number, wanted: number): number {
    let bucket = this.#buckets.get(scope);
    if (!bucket) this.#buckets.set(scope, (bucket = new TokenBucket(rate)));
    return bucket.take(wanted);
  }
}

/** A worker's request for tokens, and the primary's answer. */
type LeaseMessage =
  | { type: "kmsd:quota-lease"; id: number; scope: string; rate: number; wanted: number }
  | { type: "kmsd:quota-granted"; id: number; granted: number };

function isLeaseMessage(message: unknown): message is LeaseMessage {
  const type = (message as { type?: unknown } | null)?.type;
  return type === "kmsd:quota-lease" || type === "kmsd:quota-granted";
}

/** In the primary: answers the workers' lease requests from its own buckets. */
export function serveTokenLeases(tokens: LocalTokens): void {
  cluster.on("message", (worker: Worker, message: unknown) => {
    if (!isLeaseMessage(message) || message.type !== "kmsd:quota-lease") return;
    const granted = tokens.takeUpTo(message.scope, message.rate, message.wanted);
    if (worker.isConnected()) worker.send({ type: "kmsd:quota-granted", id: message.id, granted } satisfies LeaseMessage);
  });
}

/**
 * How long leased tokens stay usable: a worker that took a batch and went quiet must not
 * spend it much later on top of what the bucket has refilled since.
 */
const LEASE_LIFETIME_MS = 1000;

/**
 * Tokens leased beyond the requests waiting, as a share of the rate: 2% a worker keeps the
 * node within a few percent of its quota while sparing the primary a message per request.
 */
const PREFETCH_SHARE = 0.02;

/** One bucket as a worker sees it. */
interface Lease {
  tokens: number;
  expiresAtMs: number;
  /** Requests waiting for the next answer from the primary. */
  waiting: Array<(admitted: boolean) => void>;
  inFlight: boolean;
}

/** In a worker: tokens leased from the primary. */
export class LeasedTokens implements TokenSource {
  readonly #leases = new Map<string, Lease>();
  readonly #answers = new Map<number, (granted: number) => void>();
  #nextId = 1;

  constructor() {
    process.on("message", (message: unknown) => {
      if (!isLeaseMessage(message) || message.type !== "kmsd:quota-granted") return;
      this.#answers.get(message.id)?.(message.granted);
      this.#answers.delete(message.id);
    });
  }

  take(scope: string, rate: number): boolean | Promise<boolean> {
    let lease = this.#leases.get(scope);
    if (!lease) this.#leases.set(scope, (lease = { tokens: 0, expiresAtMs: 0, waiting: [], inFlight: false }));
    if (lease.tokens > 0 && performance.now() < lease.expiresAtMs) {
      lease.tokens--;
      return true;
    }
    const current = lease;
    return new Promise<boolean>((resolve) => {
      current.waiting.push(resolve);
      this.#askPrimary(scope, rate, current);
    });
  }

  /** One request to the primary at a time per bucket, for every request waiting plus a prefetch. */
  #askPrimary(scope: string, rate: number, lease: Lease): void {
    if (lease.inFlight || lease.waiting.length === 0) return;
    lease.inFlight = true;
    const waiting = lease.waiting.splice(0);
    const id = this.#nextId++;
    const wanted = waiting.length + Math.floor(rate * PREFETCH_SHARE);
    this.#answers.set(id, (granted) => {
      lease.inFlight = false;
      // What the primary granted beyond the waiting requests is this worker's until it expires.
      waiting.forEach((admit, index) => admit(index < granted));
      lease.tokens = Math.max(0, granted - waiting.length);
      lease.expiresAtMs = performance.now() + LEASE_LIFETIME_MS;
      this.#askPrimary(scope, rate, lease);
    });
    process.send?.({ type: "kmsd:quota-lease", id, scope, rate, wanted } satisfies LeaseMessage);
  }
}
