/**
 * The routes beside the API, in one table each: what a request that is not an API call may
 * reach. Everything no route answers goes to the API pipeline (pipeline.ts), which
 * authenticates and audits every request it is given; so a route here is the only way around
 * authentication and the audit trail, and each one says why with its `kind`. The list of
 * kinds is closed, and test/server-routes.test.ts names every route of every table: adding one
 * is one line here and one there, never an accident.
 *
 * A GET or HEAD of a path no route answers and the API does not serve (anything but `/`) is a
 * plain 404, not an API call. Every other request reaches the API, as on AWS's endpoints: a POST
 * to an unknown target or path is UnknownOperationException, recorded.
 */
import { serveConsoleFile } from "./consoleFiles.ts";
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { AwsError } from "../errors.ts";
import type { Services } from "./context.ts";
import { advanceClock, resetAccounts, type DevEndpoint } from "./devEndpoints.ts";
import { IncompleteRequestError, internalError, logIncomplete, readBody, send } from "./httpExchange.ts";
import type { ServerHooks } from "./httpServer.ts";
import { JSON_CONTENT_TYPE, serializeError } from "./jsonProtocol.ts";
import { health, readiness, type ProbeAnswer, type ProbeState } from "./probes.ts";

/**
 * Why a route is not an API call: a probe for orchestrators, the web console's static files,
 * the seal's operator endpoints (their own checks: seal/sealedFront.ts), --dev's test endpoints.
 */
export type UnauditedKind = "probe" | "console" | "operator" | "dev";

/** Answers a route's request; `state` is what the table's owner passes (the node, the seal's front). */
export type RouteAnswer<State> = (req: IncomingMessage, res: ServerResponse, url: URL, state: State) => void | Promise<void>;

/** One route: a method and a path, and who answers them. */
export interface Route<State> {
  readonly kind: UnauditedKind;
  /** `*`: every method (the route answers one it does not serve itself, 405). */
  readonly method: "GET" | "POST" | "*";
  readonly path: string;
  /** Also every path below `path` (`/console/...`). */
  readonly subtree?: true;
  /** Whether the route exists for this state (--dev's endpoints only with --dev). */
  readonly enabled?: (state: State) => boolean;
  readonly answer: RouteAnswer<State>;
}

/** The route of `table` that answers `method` and `path` for `state`, if any. */
export function findRoute<State>(table: readonly Route<State>[], method: string | undefined, path: string, state: State): Route<State> | undefined {
  for (const route of table) {
    if (route.method !== "*" && route.method !== method) continue;
    if (path !== route.path && !(route.subtree === true && path.startsWith(route.path) && path[route.path.length] === "/")) continue;
    if (route.enabled !== undefined && !route.enabled(state)) continue;
    return route;
  }
  return undefined;
}

/** Whether a request that no route answers goes to the API (see the opening comment); `url` null goes there, to be refused. */
export function reachesApi(method: string | undefined, url: URL | null): boolean {
  return url === null || (method !== "GET" && method !== "HEAD") || url.pathname === "/";
}

/** The answer to a request for a path that does not exist: a plain 404, not an API error. */
export function answerNotFound(req: IncomingMessage, res: ServerResponse): void {
  req.resume(); // a body, if any, is not read
  const body = "Not Found\n";
  res.writeHead(404, { "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

/** What the routes of a serving (unsealed) node read: its services and hooks; it is also the probes' state. */
export interface ApiNode extends ProbeState {
  services: Services;
  hooks: ServerHooks;
}

/** The routes of a serving node, beside its API. */
export const NODE_ROUTES: readonly Route<ApiNode>[] = [
  { kind: "probe", method: "GET", path: "/health", answer: (_req, res, _url, node) => sendProbe(res, health(node.services, node)) },
  { kind: "probe", method: "GET", path: "/ready", answer: async (_req, res, _url, node) => sendProbe(res, await readiness(node.services, node)) },
  { kind: "dev", method: "POST", path: "/kmsd/dev/clock", enabled: inDevMode, answer: devRoute(advanceClock) },
  { kind: "dev", method: "POST", path: "/kmsd/dev/reset", enabled: inDevMode, answer: devRoute(resetAccounts) },
  // The console's static files; its own API calls are signed requests like any other.
  { kind: "console", method: "*", path: "/console", subtree: true, enabled: (node) => node.hooks.console, answer: (req, res, url) => serveConsoleFile(req, res, url.pathname) },
];

function inDevMode(node: ApiNode): boolean {
  return node.services.dev;
}

function sendProbe(res: ServerResponse, probe: ProbeAnswer): void {
  send(res, randomUUID(), probe.status, probe.body, "application/json");
}

/** Answers a --dev endpoint: its JSON answer, or its error in AWS's JSON shape. */
function devRoute(endpoint: DevEndpoint): RouteAnswer<ApiNode> {
  return async (req, res, _url, node) => {
    const requestId = randomUUID();
    try {
      return send(res, requestId, 200, await endpoint(await readBody(req), node.services, node.hooks), "application/json");
    } catch (error) {
      if (error instanceof IncompleteRequestError) return logIncomplete(req, requestId);
      const awsError = error instanceof AwsError ? error : internalError(error, requestId);
      return send(res, requestId, awsError.status, serializeError(awsError.code, awsError.message), JSON_CONTENT_TYPE);
    }
  };
}
