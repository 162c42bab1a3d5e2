/**
 * One load-generator thread (worker_threads): keeps keep-alive connections per endpoint
 * across phases, signs its pool of requests up front (re-signing any that grow older than
 * MAX_REUSE_MS), then drives the server closed-loop (N requests in flight, back to back)
 * or open-loop (requests started on a fixed schedule, latency counted from the scheduled
 * start so a slow server cannot hide its queueing) for a bounded time, and posts back a
 * latency histogram.
 */
import { Agent, request } from "node:http";
import { parentPort } from "node:worker_threads";
import { Histogram } from "./histogram.ts";
import { ConnectionPool, serialiseRequest, type Answer } from "./rawHttp.ts";
import { MAX_REUSE_MS, RequestSigner, type CallSpec, type Credentials, type SignedRequest } from "./signing.ts";

/** What one thread is asked to do. */
export interface PhaseRequest {
  id: number;
  host: string;
  port: number;
  credentials: Credentials;
  calls: CallSpec[];
  /** Where in `calls` this thread starts (threads share one pool without sending the same request at once). */
  offset: number;
  mode: "closed" | "open";
  /** Closed loop: requests in flight. Open loop: most connections used (more requests wait in the client's queue). */
  concurrency: number;
  /** Open loop: requests per second from this thread. */
  rate: number;
  warmupMs: number;
  durationMs: number;
  /** Stops issuing after this many measured requests (0: no limit). */
  maxRequests: number;
  /** "raw": the lean keep-alive client of rawHttp.ts; "http": node:http with a keep-alive Agent. */
  client: "raw" | "http";
}

export interface PhaseResult {
  id: number;
  histogram: { counts: Float64Array; sumUs: number; maxUs: number };
  completed: number;
  errors: number;
  errorSamples: string[];
  elapsedMs: number;
  /** CPU time of this thread (µs) during the measured period. */
  cpuUs: number;
  /** Open loop: requests that could not even be queued (the client's queue bound was reached). */
  skipped: number;
}

const REQUEST_TIMEOUT_MS = 30_000;
/** Open loop: at most this many requests queued or in flight per thread. */
const MAX_PENDING = 20_000;

const agents = new Map<string, Agent>();
const pools = new Map<string, ConnectionPool>();

function poolFor(host: string, port: number, size: number): ConnectionPool {
  const key = `${host}:${port}:${size}`;
  let pool = pools.get(key);
  if (!pool) {
    pool = new ConnectionPool(host, port, size, REQUEST_TIMEOUT_MS);
    pools.set(key, pool);
  }
  return pool;
}

function agentFor(host: string, port: number, sockets: number): Agent {
  const key = `${host}:${port}:${sockets}`;
  let agent = agents.get(key);
  if (!agent) {
    agent = new Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets, scheduling: "fifo" });
    agents.set(key, agent);
  }
  return agent;
}

/** Sends one request; resolves with the HTTP status (0 on a transport error) and the body of a failure. */
function send(agent: Agent, host: string, port: number, signed: SignedRequest): Promise<Answer> {
  return new Promise((resolve) => {
    const req = request({ agent, host, port, method: "POST", path: "/", headers: signed.headers }, (res) => {
      const status = res.statusCode ?? 0;
      if (status === 200) {
        res.on("end", () => resolve({ status })).on("error", (error) => resolve({ status: 0, error: String(error) }));
        res.resume();
        return;
      }
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status, error: `${status} ${Buffer.concat(chunks).toString("utf8").slice(0, 300)}` }));
      res.on("error", (error) => resolve({ status: 0, error: String(error) }));
    });
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error("request timed out")));
    req.on("error", (error) => resolve({ status: 0, error: String(error) }));
    req.end(signed.body);
  });
}

async function runPhase(phase: PhaseRequest): Promise<PhaseResult> {
  const signer = new RequestSigner(phase.credentials, `${phase.host}:${phase.port}`);
  type Entry = { signed: SignedRequest; wire: Buffer };
  const entry = (signed: SignedRequest): Entry => ({ signed, wire: phase.client === "raw" ? serialiseRequest(signed.headers, signed.body) : signed.body });
  const pool: Entry[] = [];
  for (const call of phase.calls) pool.push(entry(await signer.sign(call)));
  let next = phase.offset % Math.max(1, pool.length);
  const pick = async (): Promise<Entry> => {
    const index = next;
    next = (next + 1) % pool.length;
    const current = pool[index] as Entry;
    if (Date.now() - current.signed.signedAtMs < MAX_REUSE_MS) return current;
    const fresh = entry(await signer.sign(phase.calls[index] as CallSpec));
    pool[index] = fresh;
    return fresh;
  };
  const agent = phase.client === "http" ? agentFor(phase.host, phase.port, phase.concurrency) : undefined;
  const connections = phase.client === "raw" ? poolFor(phase.host, phase.port, phase.concurrency) : undefined;
  const transmit = (picked: Entry): Promise<Answer> =>
    connections ? connections.request(picked.wire) : send(agent as Agent, phase.host, phase.port, picked.signed);

  const histogram = new Histogram();
  let completed = 0;
  let errors = 0;
  let skipped = 0;
  const errorSamples: string[] = [];
  const onAnswer = (recording: boolean, startedNs: bigint, answer: Answer) => {
    if (!recording) return;
    if (answer.status === 200) {
      histogram.record(Number(process.hrtime.bigint() - startedNs) / 1000);
      completed++;
    } else {
      errors++;
      if (errorSamples.length < 5 && answer.error) errorSamples.push(answer.error);
    }
  };

  const closedLoop = async (durationMs: number, recording: boolean, limit: number) => {
    const deadline = performance.now() + durationMs;
    let issued = 0;
    let failuresInARow = 0;
    const loop = async () => {
      while (performance.now() < deadline && (limit === 0 || issued < limit)) {
        issued++;
        const picked = await pick();
        const startedNs = process.hrtime.bigint();
        const answer = await transmit(picked);
        onAnswer(recording, startedNs, answer);
        failuresInARow = answer.status === 0 ? failuresInARow + 1 : 0;
        // A dead server: stop rather than spin.
        if (failuresInARow > 200) return;
      }
    };
    await Promise.all(Array.from({ length: phase.concurrency }, loop));
  };

  const openLoop = (durationMs: number, recording: boolean, limit: number) =>
    new Promise<void>((resolve) => {
      const intervalMs = 1000 / phase.rate;
      const startMs = performance.now();
      const startNs = process.hrtime.bigint();
      const deadline = startMs + durationMs;
      let issued = 0;
      let pending = 0;
      let closing = false;
      const maybeDone = () => {
        if (closing && pending === 0) resolve();
      };
      const fire = (scheduledOffsetMs: number) => {
        pending++;
        // Latency from the scheduled start, not from when the request got a connection.
        const scheduledNs = startNs + BigInt(Math.round(scheduledOffsetMs * 1e6));
        void pick()
          .then(transmit)
          .then((answer) => {
            onAnswer(recording, scheduledNs, answer);
            pending--;
            maybeDone();
          });
      };
      const tick = () => {
        const now = performance.now();
        while ((limit === 0 || issued < limit) && startMs + issued * intervalMs <= Math.min(now, deadline)) {
          if (pending >= MAX_PENDING) {
            if (recording) skipped++;
          } else {
            fire(issued * intervalMs);
          }
          issued++;
        }
        if (now >= deadline || (limit !== 0 && issued >= limit)) {
          closing = true;
          maybeDone();
          return;
        }
        setTimeout(tick, Math.max(0, startMs + issued * intervalMs - performance.now()));
      };
      tick();
    });

  const run = phase.mode === "open" ? openLoop : closedLoop;
  if (phase.warmupMs > 0) await run(phase.warmupMs, false, 0);
  const cpuBefore = process.threadCpuUsage();
  const started = performance.now();
  await run(phase.durationMs, true, phase.maxRequests);
  const elapsedMs = performance.now() - started;
  const cpu = process.threadCpuUsage(cpuBefore);
  return {
    id: phase.id,
    histogram: histogram.toJSON(),
    completed,
    errors,
    errorSamples,
    elapsedMs,
    cpuUs: cpu.user + cpu.system,
    skipped,
  };
}

const port = parentPort;
if (port) {
  port.on("message", (message: { type: "run"; phase: PhaseRequest } | { type: "close" }) => {
    if (message.type === "close") {
      for (const agent of agents.values()) agent.destroy();
      for (const pool of pools.values()) pool.close();
      port.close();
      return;
    }
    runPhase(message.phase).then(
      (result) => port.postMessage({ type: "result", result }),
      (error: unknown) => port.postMessage({ type: "failed", id: message.phase.id, error: String(error instanceof Error ? error.stack : error) }),
    );
  });
}
