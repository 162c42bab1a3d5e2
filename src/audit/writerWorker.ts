/**
 * The audit writer's thread: owns the writing audit store. Whenever it is free it takes
 * every batch the main thread has sent meanwhile and appends them in one transaction
 * (AuditStore.append: every event gets the next seq and hash of its (account, region)
 * chain, read under the write lock, so the chain stays whole even if another process
 * appended). Running here, the commit's fsync never blocks the event loop that serves
 * requests; the outcome goes to shared memory first (the main thread reads it at its next
 * append), then as a message.
 */
import { parentPort, receiveMessageOnPort, workerData } from "node:worker_threads";
import type { AuditStore } from "../store/auditStore.ts";
import { openAuditStoreAt } from "../store/open.ts";
import { COMMITTED_UP_TO, FAILED_FROM, TRANSACTIONS, type WriterRequest, type WriterResponse, type WriterWorkerData } from "./writerProtocol.ts";

const { path, failAfterEvents, signal, recoverable } = workerData as WriterWorkerData;
/** How often a recoverable writer that failed checks whether its store answers again. */
const RECOVERY_PROBE_MS = 250;
const shared = new BigInt64Array(signal);
if (!parentPort) throw new Error("writerWorker.ts runs as a worker thread");
const port = parentPort;

let committedEvents = 0;
let failure: string | undefined;
/** Batches received and not yet committed, oldest first. */
const pending: WriterRequest[] = [];
let writing = false;
let probing = false;

try {
  // The writer thread may block while another process holds the lock: it polls for it (SQLite).
  const store = await openAuditStoreAt(path, { pollLocks: true });
  port.on("message", (request: WriterRequest) => {
    pending.push(request);
    if (!writing) void writeAll(store);
  });
  port.postMessage({ kind: "ready" } satisfies WriterResponse);
} catch (error) {
  port.postMessage({ kind: "unavailable", error: error instanceof Error ? error.message : String(error) } satisfies WriterResponse);
}

/** Commits what is pending, one transaction per turn, until nothing is. */
async function writeAll(store: AuditStore): Promise<void> {
  writing = true;
  try {
    while (pending.length > 0) await commitPending(store);
  } finally {
    writing = false;
  }
}

/**
 * The gathering window. Under steady traffic at moderate load each request would get a
 * transaction of its own (its batch arrives while the writer is idle), and a transaction's
 * CPU (about 0.6 ms for one event, 2 ms for sixteen: index pages, WAL frames, the fsync
 * call) would cost more than the request itself, on the core the event loop needs. So when
 * the previous commit ended less than GATHER_IF_WITHIN_MS ago and fewer than GATHER_EVENTS
 * events wait, the writer lets the event loop run for up to GATHER_WINDOW_MS first (it
 * sleeps; it takes no CPU) and commits what arrived meanwhile in the same transaction.
 * An idle server commits at once; every request still waits for its own commit.
 */
const GATHER_WINDOW_MS = 0.5;
const GATHER_IF_WITHIN_MS = 2;
const GATHER_EVENTS = 8;
const sleeper = new Int32Array(new SharedArrayBuffer(4));
let lastCommitEndedAt = Number.NEGATIVE_INFINITY;

function drainPort(): void {
  for (let queued = receiveMessageOnPort(port); queued; queued = receiveMessageOnPort(port)) {
    pending.push(queued.message as WriterRequest);
  }
}

const pendingEvents = () => pending.reduce((count, batch) => count + batch.events.length, 0);

/** Everything sent while the previous transaction ran (or within the gathering window) goes into this one. */
async function commitPending(store: AuditStore): Promise<void> {
  drainPort();
  if (performance.now() - lastCommitEndedAt < GATHER_IF_WITHIN_MS && pendingEvents() < GATHER_EVENTS) {
    Atomics.wait(sleeper, 0, 0, GATHER_WINDOW_MS);
    drainPort();
  }
  const batches = pending.splice(0);
  const first = batches[0] as WriterRequest;
  const last = batches.at(-1) as WriterRequest;
  let response: WriterResponse;
  try {
    if (failure !== undefined) throw new Error(failure);
    const events = batches.reduce((count, batch) => count + batch.events.length, 0);
    if (failAfterEvents !== undefined && committedEvents + events > failAfterEvents) {
      throw new Error("simulated audit store failure (KMSD_TEST_AUDIT_FAIL)");
    }
    await store.append(batches);
    committedEvents += events;
    Atomics.add(shared, TRANSACTIONS, 1n);
    Atomics.store(shared, COMMITTED_UP_TO, BigInt(last.id));
    response = { kind: "committed", upTo: last.id };
  } catch (error) {
    failure ??= error instanceof Error ? error.message : String(error);
    Atomics.compareExchange(shared, FAILED_FROM, 0n, BigInt(first.id));
    response = { kind: "failed", from: Number(Atomics.load(shared, FAILED_FROM)), error: failure };
    if (recoverable && !probing) void probeUntilRecovered(store);
  }
  lastCommitEndedAt = performance.now();
  port.postMessage(response);
}

/**
 * A recoverable writer's way back: once the store answers a read again, the failure is
 * cleared (shared memory first) and the main thread told. Nothing of a failed transaction
 * was written (it rolled back), so chains continue from their committed tails.
 */
async function probeUntilRecovered(store: AuditStore): Promise<void> {
  probing = true;
  try {
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, RECOVERY_PROBE_MS));
      try {
        await store.chains();
        break;
      } catch {
        // Still unreachable.
      }
    }
    failure = undefined;
    Atomics.store(shared, FAILED_FROM, 0n);
    port.postMessage({ kind: "recovered" } satisfies WriterResponse);
  } finally {
    probing = false;
  }
}
