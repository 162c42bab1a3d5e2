/**
 * Group commit of audit events. A request appends its events to the open batch and waits
 * for that batch's commit. At the next turn of the event loop the batch goes to the writer
 * thread (writerWorker.ts), which commits, in one transaction, every batch that arrived
 * while it was busy with the previous one: concurrent requests share one transaction and
 * one fsync, and the writer is never idle while events wait. A request is answered only
 * after its events are on disk.
 *
 * The worker's messages can wait behind every request already queued on a busy event loop;
 * so the worker also records, in shared memory, up to which batch everything is committed,
 * and each append looks there first: a finished commit is noticed within one request's time.
 *
 * Fail closed: once a commit fails the writer stays failed (until restart; on PostgreSQL,
 * until the database answers again). `healthy` says so at once, so the pipeline refuses
 * new requests before they run their handler.
 */
import { Worker } from "node:worker_threads";
import { observeAuditCommit } from "../metrics/metrics.ts";
import { log } from "../server/log.ts";
import type { AuditEvent, KeyUsage } from "./events.ts";
import { COMMITTED_UP_TO, FAILED_FROM, SIGNAL_SLOTS, TRANSACTIONS, type WriterRequest, type WriterResponse, type WriterWorkerData } from "./writerProtocol.ts";

interface Batch {
  id: number;
  events: AuditEvent[];
  usages: KeyUsage[];
  /** When the batch went to the writer thread (performance.now()), for the commit latency metric. */
  sentAt?: number;
  done: Promise<void>;
  resolve: () => void;
  reject: (error: Error) => void;
}

/** Why events cannot be written, as the error every waiting request gets. */
export class AuditUnavailableError extends Error {}

/**
 * Test hooks for the audit store (KMSD_TEST_AUDIT_FAIL): failed from the start, or once N events were committed;
 * and the first batch's id (a test starts near 2^31 or 2^32 to reach ids a long-running server reaches).
 */
export interface WriterFaults {
  failAtStart?: boolean;
  failAfterEvents?: number;
  firstBatchId?: number;
}

/** The main thread's side of the audit writer. */
export class AuditWriter {
  readonly #worker: Worker;
  readonly #signal: BigInt64Array;
  #open: Batch | undefined;
  /** Batches sent to the worker and not yet settled, oldest first. */
  readonly #sent: Batch[] = [];
  #scheduled = false;
  #failure: string | undefined;
  #nextId = 1;
  #idle: (() => void) | undefined;
  #committedEvents = 0;

  private constructor(worker: Worker, signal: BigInt64Array, failure: string | undefined, firstBatchId: number) {
    this.#worker = worker;
    this.#signal = signal;
    this.#failure = failure;
    this.#nextId = firstBatchId;
    worker.on("message", (response: WriterResponse) => {
      if (response.kind === "recovered") {
        log.info("audit store reachable again; requests are accepted");
        this.#failure = undefined;
      }
      if (response.kind === "failed") {
        log.error("audit commit failed", { batch: response.from, error: response.error });
        this.#fail(`audit commit failed: ${response.error}`);
      }
      this.#poll();
    });
    // Said in the log: the node refuses every request from here on, and the reason must be findable.
    worker.on("error", (error) => {
      log.error("audit writer thread failed; requests are refused until restart", { error: error.stack ?? error.message });
      this.#fail(`audit writer thread failed: ${error.message}`);
    });
    worker.on("exit", (code) => {
      log.error("audit writer thread exited; requests are refused until restart", { code });
      this.#fail(`audit writer thread exited (${code})`);
    });
  }

  /**
   * Starts the writer thread on the audit database at `path`; resolves when it is ready.
   * A `recoverable` writer accepts requests again once its store answers after a failure.
   */
  static async start(path: string, faults: WriterFaults = {}, recoverable = false): Promise<AuditWriter> {
    const signal = new SharedArrayBuffer(SIGNAL_SLOTS * BigInt64Array.BYTES_PER_ELEMENT);
    const data: WriterWorkerData = { path, signal, failAfterEvents: faults.failAfterEvents, recoverable };
    const script = new URL(import.meta.url.endsWith(".ts") ? "./writerWorker.ts" : "./writerWorker.js", import.meta.url);
    const worker = new Worker(script, { workerData: data });
    const ready = await new Promise<WriterResponse>((resolve, reject) => {
      worker.once("message", resolve);
      worker.once("error", reject);
    });
    if (ready.kind !== "ready") {
      await worker.terminate();
      throw new Error(`cannot open the audit database: ${ready.kind === "unavailable" ? ready.error : ready.kind}`);
    }
    return new AuditWriter(
      worker,
      new BigInt64Array(signal),
      faults.failAtStart ? "the audit store is failed by KMSD_TEST_AUDIT_FAIL" : undefined,
      faults.firstBatchId ?? 1,
    );
  }

  /** Whether events can be written; false for good once a commit failed (shared memory is read first: no message wait). */
  get healthy(): boolean {
    this.#poll();
    return this.#failure === undefined;
  }

  /** Why the writer failed, if it did. */
  get failure(): string | undefined {
    return this.#failure;
  }

  /** How many transactions and events were committed so far (group commit at work: commits ≪ events under load). */
  get stats(): { commits: number; events: number } {
    return { commits: Number(Atomics.load(this.#signal, TRANSACTIONS)), events: this.#committedEvents };
  }

  /** Appends a request's events to the open batch; resolves once the batch is committed. */
  append(events: AuditEvent[], usages: KeyUsage[]): Promise<void> {
    this.#poll();
    if (this.#failure !== undefined) return Promise.reject(new AuditUnavailableError(this.#failure));
    if (events.length === 0) return Promise.resolve();
    const batch = (this.#open ??= this.#newBatch());
    for (const event of events) batch.events.push(event);
    for (const usage of usages) batch.usages.push(usage);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        this.#send();
      });
    }
    return batch.done;
  }

  /** Waits for every appended event to be committed, then stops the writer thread. */
  async close(): Promise<void> {
    while (this.#open || this.#sent.length > 0) {
      await new Promise<void>((resolve) => (this.#idle = resolve));
    }
    this.#failure ??= "the audit writer is closed";
    this.#worker.removeAllListeners("exit");
    await this.#worker.terminate();
  }

  #newBatch(): Batch {
    let resolve: () => void = () => undefined;
    let reject: (error: Error) => void = () => undefined;
    const done = new Promise<void>((onResolve, onReject) => {
      resolve = onResolve;
      reject = onReject;
    });
    // Every appender awaits `done`; this keeps a failure with no appender left from being "unhandled".
    done.catch(() => undefined);
    return { id: this.#nextId++, events: [], usages: [], done, resolve, reject };
  }

  /** Hands the open batch to the writer thread. */
  #send(): void {
    const batch = this.#open;
    if (!batch) return;
    this.#open = undefined;
    if (this.#failure !== undefined) {
      batch.reject(new AuditUnavailableError(this.#failure));
      return this.#idle?.();
    }
    batch.sentAt = performance.now();
    this.#sent.push(batch);
    const request: WriterRequest = { id: batch.id, events: batch.events, usages: batch.usages };
    this.#worker.postMessage(request);
  }

  /** Settles the sent batches the worker has finished with, as shared memory says. */
  #poll(): void {
    // The failure mark first: the worker stores it after every earlier commit's mark, so a
    // failure seen here comes with the final word on which batches did commit.
    const failedFrom = Atomics.load(this.#signal, FAILED_FROM);
    const committedUpTo = Number(Atomics.load(this.#signal, COMMITTED_UP_TO));
    while (this.#sent.length > 0 && (this.#sent[0] as Batch).id <= committedUpTo) {
      const batch = this.#sent.shift() as Batch;
      this.#committedEvents += batch.events.length;
      observeAuditCommit(batch.events.length, (performance.now() - (batch.sentAt ?? performance.now())) / 1000);
      batch.resolve();
    }
    if (failedFrom !== 0n) this.#fail(this.#failure ?? "audit commit failed");
    if (!this.#open && this.#sent.length === 0) this.#idle?.();
  }

  /** Fails the writer for good, and every batch not committed. */
  #fail(reason: string): void {
    this.#failure ??= reason;
    const error = new AuditUnavailableError(this.#failure);
    for (const batch of this.#sent.splice(0)) batch.reject(error);
    const open = this.#open;
    this.#open = undefined;
    open?.reject(error);
    this.#idle?.();
  }
}
