/**
 * The load generator as seen from the benchmark: a few worker threads (so the client
 * does not share an event loop with anything else), each with its own keep-alive
 * connections; a phase is split evenly across them and their histograms are merged.
 */
import { Worker } from "node:worker_threads";
import { Histogram } from "./histogram.ts";
import type { CallSpec, Credentials } from "./signing.ts";
import type { PhaseRequest, PhaseResult } from "./worker.ts";

/** Where to send a phase's requests and as whom. */
export interface Target {
  host: string;
  port: number;
  credentials: Credentials;
}

export interface LoadOptions {
  /** The request pool: distinct calls, sent round-robin. */
  calls: CallSpec[];
  mode?: "closed" | "open";
  /** Closed loop: requests in flight in total. Open loop: connections in total. */
  concurrency: number;
  /** Open loop: requests per second in total. */
  rate?: number;
  warmupMs: number;
  durationMs: number;
  /** Stop after this many measured requests in total (0 or absent: no limit). */
  maxRequests?: number;
  /** The HTTP client (default: the generator's). */
  client?: "raw" | "http";
}

export interface LoadResult {
  histogram: Histogram;
  completed: number;
  errors: number;
  errorSamples: string[];
  elapsedMs: number;
  /** Completed requests per second. */
  throughput: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  /** The load generator's own CPU time per request (µs), to see whether the client limits the figure. */
  clientCpuUsPerRequest: number;
  skipped: number;
}

export class LoadGenerator {
  readonly #workers: Worker[];
  #nextId = 1;
  readonly #waiting = new Map<number, { results: PhaseResult[]; expected: number; resolve: (results: PhaseResult[]) => void; reject: (error: Error) => void }>();

  readonly #client: "raw" | "http";

  constructor(threads: number, client: "raw" | "http" = "raw") {
    this.#client = client;
    this.#workers = Array.from({ length: threads }, () => {
      const worker = new Worker(new URL("./worker.ts", import.meta.url));
      worker.on("message", (message: { type: "result"; result: PhaseResult } | { type: "failed"; id: number; error: string }) => {
        const id = message.type === "result" ? message.result.id : message.id;
        const waiting = this.#waiting.get(id);
        if (!waiting) return;
        if (message.type === "failed") {
          this.#waiting.delete(id);
          waiting.reject(new Error(`load thread failed: ${message.error}`));
          return;
        }
        waiting.results.push(message.result);
        if (waiting.results.length === waiting.expected) {
          this.#waiting.delete(id);
          waiting.resolve(waiting.results);
        }
      });
      worker.on("error", (error) => {
        for (const [id, waiting] of this.#waiting) {
          this.#waiting.delete(id);
          waiting.reject(error);
        }
      });
      return worker;
    });
  }

  get threads(): number {
    return this.#workers.length;
  }

  async run(target: Target, options: LoadOptions): Promise<LoadResult> {
    if (options.calls.length === 0) throw new Error("a load phase needs at least one call");
    const id = this.#nextId++;
    // Fewer threads than connections would leave threads idle; a tiny phase uses one.
    const workers = this.#workers.slice(0, Math.max(1, Math.min(this.#workers.length, options.concurrency)));
    const share = (total: number, index: number) => Math.floor(total / workers.length) + (index < total % workers.length ? 1 : 0);
    const results = await new Promise<PhaseResult[]>((resolve, reject) => {
      this.#waiting.set(id, { results: [], expected: workers.length, resolve, reject });
      workers.forEach((worker, index) => {
        const phase: PhaseRequest = {
          id,
          host: target.host,
          port: target.port,
          credentials: target.credentials,
          calls: options.calls,
          offset: Math.floor((index * options.calls.length) / workers.length),
          mode: options.mode ?? "closed",
          concurrency: Math.max(1, share(options.concurrency, index)),
          rate: (options.rate ?? 0) / workers.length,
          warmupMs: options.warmupMs,
          durationMs: options.durationMs,
          maxRequests: options.maxRequests ? Math.max(1, share(options.maxRequests, index)) : 0,
          client: options.client ?? this.#client,
        };
        worker.postMessage({ type: "run", phase });
      });
    });
    const histogram = new Histogram();
    let completed = 0;
    let errors = 0;
    let elapsedMs = 0;
    let cpuUs = 0;
    let skipped = 0;
    const errorSamples: string[] = [];
    for (const result of results) {
      histogram.merge(Histogram.from(result.histogram));
      completed += result.completed;
      errors += result.errors;
      elapsedMs = Math.max(elapsedMs, result.elapsedMs);
      cpuUs += result.cpuUs;
      skipped += result.skipped;
      errorSamples.push(...result.errorSamples);
    }
    return {
      histogram,
      completed,
      errors,
      errorSamples: errorSamples.slice(0, 5),
      elapsedMs,
      throughput: elapsedMs > 0 ? (completed / elapsedMs) * 1000 : 0,
      p50Ms: histogram.quantile(0.5) / 1000,
      p99Ms: histogram.quantile(0.99) / 1000,
      p999Ms: histogram.quantile(0.999) / 1000,
      clientCpuUsPerRequest: completed > 0 ? cpuUs / completed : Number.NaN,
      skipped,
    };
  }

  async close(): Promise<void> {
    await Promise.all(
      this.#workers.map(
        (worker) =>
          new Promise<void>((resolve) => {
            worker.once("exit", () => resolve());
            worker.postMessage({ type: "close" });
            // A thread that does not exit promptly is ended.
            setTimeout(() => void worker.terminate(), 2000).unref();
          }),
      ),
    );
  }
}
