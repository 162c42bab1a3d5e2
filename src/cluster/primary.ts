/**
 * The primary process of `kmsd serve --workers N`: forks N workers that share the
 * listening port and the data directory, relays every committed change from one worker
 * to all the others (a change is acknowledged to its worker only when all applied it,
 * or after APPLY_TIMEOUT_MS, the documented bound, if a worker is stuck), restarts a
 * worker that dies after it has served, passes SIGHUP on (each worker reloads its TLS
 * certificate), and stops them all on SIGINT/SIGTERM: each worker finishes its requests
 * within the shutdown timeout, and one that has not exited CLOSE_GRACE_MS after that is
 * killed. A worker
 * that dies before it ever listened failed to start (port taken, data directory
 * unreadable): restarting it would only repeat the failure, so the primary stops all
 * and exits non-zero.
 */
import cluster, { type Worker } from "node:cluster";
import { log } from "../server/log.ts";
import { isClusterMessage, type ClusterMessage } from "./ipcChangeBus.ts";

/** How long the primary waits for a worker to apply a change before acknowledging anyway. */
export const APPLY_TIMEOUT_MS = 1000;

/** How long a stopping worker may take, beyond the shutdown timeout, to flush its audit trail and close its databases. */
const CLOSE_GRACE_MS = 10_000;

/**
 * Runs the primary until every worker has stopped; resolves to the exit status.
 * `onListening` is called once, with the port, when all the first workers listen.
 */
export async function runPrimary(workers: number, shutdownTimeoutMs: number, onListening: (port: number) => void): Promise<number> {
  let stopping = false;
  let waitingToListen = workers;
  let exitStatus = 0;
  let nextRelayId = 1;
  const relays = new Map<number, { waiting: Set<number>; done: () => void }>();

  const fork = (index: number): Worker => {
    const worker = cluster.fork({ KMSD_WORKER_INDEX: String(index) });
    let listened = false;
    worker.once("listening", (address: { port: number }) => {
      listened = true;
      if (--waitingToListen === 0) onListening(address.port);
    });
    worker.on("message", (message: unknown) => {
      if (!isClusterMessage(message)) return;
      if (message.type === "kmsd:publish") void relay(worker, message.id, message);
      if (message.type === "kmsd:applied") {
        const pending = relays.get(message.id);
        pending?.waiting.delete(worker.id);
        if (pending && pending.waiting.size === 0) pending.done();
      }
    });
    worker.on("exit", (code, signal) => {
      for (const pending of relays.values()) {
        pending.waiting.delete(worker.id);
        if (pending.waiting.size === 0) pending.done();
      }
      if (stopping) return;
      if (!listened) {
        log.error("a worker failed to start; stopping", { index, code: code ?? undefined, signal: signal ?? undefined });
        exitStatus = 1;
        stop("SIGTERM");
        return;
      }
      log.error("worker died; starting another", { index, code: code ?? undefined, signal: signal ?? undefined });
      fork(index);
    });
    return worker;
  };

  const relay = async (origin: Worker, originId: number, message: Extract<ClusterMessage, { type: "kmsd:publish" }>) => {
    const others = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && w.id !== origin.id && w.isConnected());
    const relayId = nextRelayId++;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => finish(), APPLY_TIMEOUT_MS);
      const finish = () => {
        clearTimeout(timer);
        relays.delete(relayId);
        resolve();
      };
      relays.set(relayId, { waiting: new Set(others.map((w) => w.id)), done: finish });
      if (others.length === 0) finish();
      for (const worker of others) worker.send({ type: "kmsd:apply", id: relayId, change: message.change } satisfies ClusterMessage);
    });
    if (origin.isConnected()) origin.send({ type: "kmsd:published", id: originId } satisfies ClusterMessage);
  };

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info("shutting down", { signal, workers });
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
    setTimeout(() => {
      const stuck = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());
      if (stuck.length > 0) log.error("workers did not stop in time; killing them", { workers: stuck.length });
      for (const worker of stuck) worker.process.kill("SIGKILL");
      if (stuck.length > 0) exitStatus = 1;
    }, shutdownTimeoutMs + CLOSE_GRACE_MS).unref();
  };
  const hangup = () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill("SIGHUP");
  };
  for (let index = 0; index < workers; index++) fork(index);
  log.debug("primary started", { workers });
  await new Promise<void>((resolve) => {
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.on("SIGHUP", hangup);
    cluster.on("exit", () => {
      if (stopping && Object.values(cluster.workers ?? {}).every((w) => w === undefined || w.isDead())) resolve();
    });
  });
  process.off("SIGHUP", hangup);
  return exitStatus;
}
