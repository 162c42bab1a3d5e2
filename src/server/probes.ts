/**
 * The two probes beside the API, for orchestrators and load balancers: `GET /health` (the
 * process is alive and can record: a failed audit writer refuses every request) and
 * `GET /ready` (it can serve now: the store answers, the audit writer is alive, and it is
 * not shutting down). Small JSON; neither is an API call, so neither is audited.
 */
import type { Services } from "./context.ts";

/** A probe's answer. */
export interface ProbeAnswer {
  status: number;
  body: string;
}

/** What the probes read besides the services. */
export interface ProbeState {
  worker: number;
  /** True once shutdown began: no longer ready, so a load balancer stops sending requests. */
  stopping(): boolean;
}

/** How long /ready waits for the store before it calls it unreachable. */
const STORE_PROBE_TIMEOUT_MS = 2000;

/** The answer to `GET <path>` if `path` is a probe, else undefined. */
export async function answerProbe(path: string, services: Services, state: ProbeState): Promise<ProbeAnswer | undefined> {
  if (path === "/health") {
    return services.audit.healthy
      ? answer(200, { status: "ok", worker: state.worker })
      : answer(503, { status: "failing", reason: "the audit trail cannot record events", worker: state.worker });
  }
  if (path !== "/ready") return undefined;
  const reasons: string[] = [];
  if (state.stopping()) reasons.push("shutting down");
  if (!services.audit.healthy) reasons.push("the audit trail cannot record events");
  if (!(await storeAnswers(services))) reasons.push("the store does not answer");
  return reasons.length === 0 ? answer(200, { status: "ready", worker: state.worker }) : answer(503, { status: "not ready", reasons, worker: state.worker });
}

/** One small read, bounded in time: a locked or lost database must not hang the probe. */
async function storeAnswers(services: Services): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), STORE_PROBE_TIMEOUT_MS)));
  try {
    return await Promise.race([services.store.getSetting("kmsd.ready-probe").then(() => true, () => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function answer(status: number, body: object): ProbeAnswer {
  return { status, body: JSON.stringify(body) };
}
