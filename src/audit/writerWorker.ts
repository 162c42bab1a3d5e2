/**
 * The audit writer's thread: owns the write connection to audit.db. Whenever it is free it
 * takes every batch the main thread has sent meanwhile and commits them in one transaction:
 * every event gets the next seq and hash of its (account, region) chain, its resources, and
 * its key usages. The chain tails are read under the write lock, so the chain stays whole
 * even if another process appended. Running here, the commit's fsync never blocks the event
 * loop that serves requests; the outcome goes to shared memory first (the main thread reads
 * it at its next append), then as a message.
 */
import { parentPort, receiveMessageOnPort, workerData } from "node:worker_threads";
import type { StatementSync } from "node:sqlite";
import { inTransactionPollingLock, openAuditDb } from "./auditDb.ts";
import { chainHash, GENESIS_HASH } from "./canonicalJson.ts";
import { COMMITTED_UP_TO, FAILED_FROM, TRANSACTIONS, type WriterRequest, type WriterResponse, type WriterWorkerData } from "./writerProtocol.ts";

const { path, failAfterEvents, signal } = workerData as WriterWorkerData;
const shared = new BigInt64Array(signal);
const port = parentPort;
if (!port) throw new Error("writerWorker.ts runs as a worker thread");

type Statements = Record<"chain" | "event" | "resource" | "tail" | "usage", StatementSync>;

let committedEvents = 0;
let failure: string | undefined;
try {
  const db = openAuditDb(path);
  // The write lock is waited for by inTransactionPollingLock, not by SQLite's busy handler.
  db.exec("PRAGMA busy_timeout = 0");
  const statements: Statements = {
    chain: db.prepare("SELECT last_seq, last_hash FROM chains WHERE account_id = ? AND region = ?"),
    event: db.prepare(
      "INSERT INTO events(account_id, region, seq, prev_hash, hash, event_time, event_id, event_name, event_source, read_only, username, access_key_id, request_id, record) " +
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    ),
    resource: db.prepare(
      "INSERT INTO event_resources(event_rowid, account_id, region, resource_type, resource_name, event_time, first_of_type) VALUES (?, ?, ?, ?, ?, ?, ?)",
    ),
    tail: db.prepare(
      "INSERT INTO chains(account_id, region, last_seq, last_hash) VALUES (?, ?, ?, ?) " +
        "ON CONFLICT(account_id, region) DO UPDATE SET last_seq = excluded.last_seq, last_hash = excluded.last_hash",
    ),
    usage: db.prepare(
      "INSERT INTO key_last_usage(key_arn, operation, time_ms, event_id, request_id) VALUES (?, ?, ?, ?, ?) " +
        "ON CONFLICT(key_arn) DO UPDATE SET operation = excluded.operation, time_ms = excluded.time_ms, event_id = excluded.event_id, request_id = excluded.request_id " +
        "WHERE excluded.time_ms >= key_last_usage.time_ms",
    ),
  };

  port.on("message", (first: WriterRequest) => {
    // Everything sent while the previous transaction ran goes into this one.
    const batches = [first];
    for (let queued = receiveMessageOnPort(port); queued; queued = receiveMessageOnPort(port)) batches.push(queued.message as WriterRequest);
    const last = batches.at(-1) as WriterRequest;
    let response: WriterResponse;
    try {
      if (failure !== undefined) throw new Error(failure);
      const events = batches.reduce((count, batch) => count + batch.events.length, 0);
      if (failAfterEvents !== undefined && committedEvents + events > failAfterEvents) {
        throw new Error("simulated audit store failure (KMSD_TEST_AUDIT_FAIL)");
      }
      inTransactionPollingLock(db, () => batches.forEach((batch) => append(statements, batch)));
      committedEvents += events;
      Atomics.add(shared, TRANSACTIONS, 1n);
      Atomics.store(shared, COMMITTED_UP_TO, BigInt(last.id));
      response = { kind: "committed", upTo: last.id };
    } catch (error) {
      failure ??= error instanceof Error ? error.message : String(error);
      Atomics.compareExchange(shared, FAILED_FROM, 0n, BigInt(first.id));
      response = { kind: "failed", from: Number(Atomics.load(shared, FAILED_FROM)), error: failure };
    }
    port.postMessage(response);
  });
  port.postMessage({ kind: "ready" } satisfies WriterResponse);
} catch (error) {
  port.postMessage({ kind: "unavailable", error: error instanceof Error ? error.message : String(error) } satisfies WriterResponse);
}

function append(statements: Statements, batch: WriterRequest): void {
  const tails = new Map<string, { accountId: string; region: string; seq: number; hash: string }>();
  for (const event of batch.events) {
    const chainKey = `${event.accountId}\u0000${event.region}`;
    let tail = tails.get(chainKey);
    if (!tail) {
      const row = statements.chain.get(event.accountId, event.region) as { last_seq: number; last_hash: string } | undefined;
      tail = { accountId: event.accountId, region: event.region, seq: row?.last_seq ?? 0, hash: row?.last_hash ?? GENESIS_HASH };
      tails.set(chainKey, tail);
    }
    const seq = tail.seq + 1;
    const hash = chainHash(tail.hash, event.record);
    const inserted = statements.event.run(
      event.accountId,
      event.region,
      seq,
      tail.hash,
      hash,
      event.timeMs,
      event.eventId,
      event.eventName,
      event.eventSource,
      event.readOnly ? "true" : "false",
      event.username,
      event.accessKeyId,
      event.requestId,
      event.record,
    );
    event.resources.forEach((resource, index) => {
      const firstOfType = event.resources.findIndex((other) => other.type === resource.type) === index ? 1 : 0;
      statements.resource.run(inserted.lastInsertRowid, event.accountId, event.region, resource.type, resource.name, event.timeMs, firstOfType);
    });
    tail.seq = seq;
    tail.hash = hash;
  }
  for (const tail of tails.values()) statements.tail.run(tail.accountId, tail.region, tail.seq, tail.hash);
  for (const usage of batch.usages) statements.usage.run(usage.keyArn, usage.operation, usage.timeMs, usage.eventId, usage.requestId);
}
