/**
 * The HTTP front: node:http with kmsd's deadlines and limits (httpConnection.ts), HTTPS instead
 * of HTTP when given a certificate, and the listener of a serving node: the routes beside the
 * API (routes.ts: probes, --dev endpoints), a plain 404 for a GET of a path that does not
 * exist, and every other request to the one API pipeline (pipeline.ts), which authenticates
 * and audits it. A sealed node answers through its seal's front first (seal/sealedFront.ts).
 */
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerOptions, type ServerResponse } from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import type { Services } from "./context.ts";
import { answerClientError, answerUnmetExpectation, DEFAULT_HTTP_TIMEOUTS, MAX_HEADER_BYTES, type HttpTimeouts } from "./httpConnection.ts";
import { log } from "./log.ts";
import { answerApiRequest } from "./pipeline.ts";
import { answerNotFound, findRoute, NODE_ROUTES, reachesApi, type ApiNode } from "./routes.ts";
import type { TlsFiles } from "./tls.ts";

/** What the server needs besides the services: its place among the workers, and hooks. */
export interface ServerHooks {
  /** Which worker process this is (0 when there is one); /health reports it. */
  worker: number;
  /** Runs due jobs (deletions...) right after the dev clock moved. */
  afterClockAdvance(): Promise<void>;
  /** node:http's deadlines (DEFAULT_HTTP_TIMEOUTS unless a test shortens them). */
  timeouts?: HttpTimeouts;
  /** Log a line per API request (requestLog.ts). */
  logRequests: boolean;
  /** True once shutdown began (/ready then answers 503). */
  stopping?(): boolean;
  /** Serve the web console's files at /console/ (--console). */
  console: boolean;
}

/** The server kmsd listens with: HTTP, or HTTPS with --tls-cert. */
export type KmsdServer = Server | HttpsServer;

/** Creates the HTTP(S) server (not yet listening) that serves the API with `services`. */
export function createKmsdServer(services: Services, hooks: ServerHooks, tls?: TlsFiles): KmsdServer {
  return createHttpServer(kmsdRequestListener(services, hooks), hooks.timeouts, tls);
}

/** The request handler of a serving node: its routes (probes, --dev endpoints), else the API. */
export function kmsdRequestListener(services: Services, hooks: ServerHooks): RequestListener {
  const node: ApiNode = { services, hooks, worker: hooks.worker, stopping: () => hooks.stopping?.() ?? false };
  return (req, res) => {
    handle(req, res, node).catch((error: unknown) => {
      log.error("response failed", { error: String(error) });
      res.destroy();
    });
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, node: ApiNode): Promise<void> {
  // Null for a request target URL cannot parse (`POST http://[x/ HTTP/1.1`): the API refuses it, audited.
  const url = URL.parse(req.url ?? "/", "http://localhost");
  const route = url && findRoute(NODE_ROUTES, req.method, url.pathname, node);
  if (url && route) return route.answer(req, res, url, node);
  if (!reachesApi(req.method, url)) return answerNotFound(req, res);
  return answerApiRequest(req, res, url, node.services, node.hooks);
}

/**
 * Creates the server with kmsd's deadlines and limits around `listener` (not yet
 * listening): HTTPS only with `tls` (`setSecureContext` replaces the pair later), else HTTP.
 */
export function createHttpServer(listener: RequestListener, timeouts: HttpTimeouts = DEFAULT_HTTP_TIMEOUTS, tls?: TlsFiles): KmsdServer {
  const create = (options: ServerOptions, listener: RequestListener) =>
    tls ? createHttpsServer({ ...options, cert: tls.cert, key: tls.key }, listener) : createServer(options, listener);
  const server = create(
    {
      headersTimeout: timeouts.headersMs,
      requestTimeout: timeouts.requestMs,
      keepAliveTimeout: timeouts.keepAliveMs,
      connectionsCheckingInterval: timeouts.checkIntervalMs,
      maxHeaderSize: MAX_HEADER_BYTES,
      // A request without Host reaches kmsd (node:http would answer an empty-bodied 400): SigV4
      // signs the Host header, so authentication refuses it in AWS's error shape.
      requireHostHeader: false,
    },
    listener,
  );
  server.on("clientError", (error: Error & { code?: string }, socket) => answerClientError(error, socket, timeouts));
  server.on("checkExpectation", (_req: IncomingMessage, res: ServerResponse) => answerUnmetExpectation(res));
  return server;
}

