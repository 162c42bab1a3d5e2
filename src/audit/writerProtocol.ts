/** The messages and shared memory between the audit writer (main thread) and its worker thread. */
import type { AuditBatch } from "../store/auditStore.ts";

/**
 * Slots of the shared BigInt64Array (writer state the main thread can read without waiting
 * for a message): every batch up to COMMITTED_UP_TO is on disk; FAILED_FROM, once set (not
 * 0n: batch ids start at 1), is the first batch that never will be; TRANSACTIONS counts the
 * commits. 64-bit slots: batch ids grow by one per batch for the life of the server, and an
 * Int32 slot wrapped at 2^31 (about 25 days at 1,000 batches/s), after which no batch was
 * ever seen as committed.
 */
export const COMMITTED_UP_TO = 0;
export const FAILED_FROM = 1;
export const TRANSACTIONS = 2;
/** How many BigInt64 slots the shared signal holds. */
export const SIGNAL_SLOTS = 3;

/** What the worker is started with. */
export interface WriterWorkerData {
  /** The audit database, an audit.db path or a PostgreSQL URL: the thread opens its own writing store on it. */
  path: string;
  /** SIGNAL_SLOTS BigInt64 slots of shared memory. */
  signal: SharedArrayBuffer;
  /** Test hook (KMSD_TEST_AUDIT_FAIL=after:N): commits fail once N events were committed. */
  failAfterEvents: number | undefined;
  /**
   * Whether a failed commit is tried again once the store answers (PostgreSQL: a database
   * that was unreachable comes back); otherwise the writer stays failed until restart (SQLite).
   */
  recoverable: boolean;
}

/** One batch of events (batch ids increase by one from 1; a Number is exact up to 2^53). */
export interface WriterRequest extends AuditBatch {
  id: number;
}

/** The worker's news: started (or not), batches committed up to an id, or failed from an id. */
export type WriterResponse =
  | { kind: "ready" }
  | { kind: "unavailable"; error: string }
  | { kind: "committed"; upTo: number }
  | { kind: "failed"; from: number; error: string }
  /** A recoverable writer's store answers again: new batches are accepted. */
  | { kind: "recovered" };
