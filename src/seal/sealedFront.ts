/**
 * The HTTP front of a node with a seal. The operator endpoints answer in every state:
 *
 *   GET  /kmsd/operator/seal-status   the seal's status (no credentials: a sealed node has none to check)
 *   POST /kmsd/operator/unseal        {"Share": "..."}: one unseal share; no credentials, the share is the proof
 *   POST /kmsd/operator/seal          SigV4-signed (service kms) by the default account's root: seals at once
 *   POST /kmsd/operator/rotate-root   signed likewise, {"Shares": [...]} (shamir): rotates the root key while serving
 *   POST /kmsd/operator/rekey         signed likewise, {"Shares": [...], "NewShares": N, "NewThreshold": T}: new unseal shares
 *
 * The signed ones answer only an unsealed node (their signature is checked against its
 * access keys). Shares travel in request bodies only, which are zeroed once read.
 * While sealed, `GET /health` answers 503 with `"sealed": true`, `GET /ready` 503 with the
 * reason "sealed", a GET of a path that does not exist a plain 404, and every other request is
 * refused with ServiceUnavailableException (503; ServiceUnavailable in IAM/STS's XML), as no
 * key is usable; once unsealed everything else goes to the node's own listener
 * (server/httpServer.ts). The routes are tables of server/routes.ts.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { AwsError, ServiceUnavailableException } from "../errors.ts";
import { authenticate } from "../server/authenticate.ts";
import type { Services } from "../server/context.ts";
import { rawRequestOf, readBody } from "../server/httpExchange.ts";
import { log } from "../server/log.ts";
import { refuseApiRequest } from "../server/pipeline.ts";
import { answerNotFound, findRoute, reachesApi, type Route } from "../server/routes.ts";
import { SealRequestRefused, type SealControl, type SealStatus } from "./nodeSeal.ts";
import type { OperatorOrigin } from "./rootOfTrustEvents.ts";

/** The operator endpoints' paths. */
export const OPERATOR_PATHS = {
  status: "/kmsd/operator/seal-status",
  unseal: "/kmsd/operator/unseal",
  seal: "/kmsd/operator/seal",
  rotateRoot: "/kmsd/operator/rotate-root",
  rekey: "/kmsd/operator/rekey",
} as const;

/** An operator endpoint. */
type Operation = "status" | "unseal" | "seal" | "rotate-root" | "rekey";

/** The answer of the operator endpoints, as `kmsd operator` prints it. */
export function sealStatusBody(status: SealStatus): { Sealed: boolean; Mode: string; Progress: number; Threshold: number; Reason?: string } {
  return {
    Sealed: status.sealed,
    Mode: status.mode,
    Progress: status.progress,
    Threshold: status.threshold,
    ...(status.reason === undefined ? {} : { Reason: status.reason }),
  };
}

/** The operator endpoints: answered in every seal state. */
export const OPERATOR_ROUTES: readonly Route<SealedFront>[] = [
  { kind: "operator", method: "GET", path: OPERATOR_PATHS.status, answer: (req, res, url, front) => front.operator("status", req, res, url) },
  { kind: "operator", method: "POST", path: OPERATOR_PATHS.unseal, answer: (req, res, url, front) => front.operator("unseal", req, res, url) },
  { kind: "operator", method: "POST", path: OPERATOR_PATHS.seal, answer: (req, res, url, front) => front.operator("seal", req, res, url) },
  { kind: "operator", method: "POST", path: OPERATOR_PATHS.rotateRoot, answer: (req, res, url, front) => front.operator("rotate-root", req, res, url) },
  { kind: "operator", method: "POST", path: OPERATOR_PATHS.rekey, answer: (req, res, url, front) => front.operator("rekey", req, res, url) },
];

/** The probes while sealed (a serving node answers them itself). */
export const SEALED_ROUTES: readonly Route<SealedFront>[] = [
  { kind: "probe", method: "GET", path: "/health", answer: (req, res, _url, front) => front.sealedHealth(req, res) },
  { kind: "probe", method: "GET", path: "/ready", answer: (req, res, _url, front) => front.sealedReadiness(req, res) },
];

/** Routes requests by the node's seal; `serve` and `seal` switch it. */
export class SealedFront {
  readonly #control: SealControl;
  readonly #worker: number;
  #api: { listener: RequestListener; services: Services } | undefined;

  constructor(control: SealControl, worker: number) {
    this.#control = control;
    this.#worker = worker;
  }

  /** From now on the API is served by `listener`; the seal endpoint authenticates with `services`. */
  serve(listener: RequestListener, services: Services): void {
    this.#api = { listener, services };
  }

  /** From now on the API is refused. */
  seal(): void {
    this.#api = undefined;
  }

  readonly listener: RequestListener = (req, res) => {
    const url = URL.parse(req.url ?? "/", "http://localhost");
    const operator = url && findRoute(OPERATOR_ROUTES, req.method, url.pathname, this);
    if (url && operator) return void operator.answer(req, res, url, this);
    const api = this.#api;
    if (api !== undefined) return api.listener(req, res);
    const sealed = url && findRoute(SEALED_ROUTES, req.method, url.pathname, this);
    if (url && sealed) return void sealed.answer(req, res, url, this);
    if (!reachesApi(req.method, url)) return answerNotFound(req, res);
    refuseApiRequest(req, res, new ServiceUnavailableException("kmsd is sealed: no key is usable until the node is unsealed (kmsd operator unseal)."));
  };

  /** Answers an operator endpoint (OPERATOR_ROUTES); a failure that is not a refusal is a 500 without detail. */
  operator(operation: Operation, req: IncomingMessage, res: ServerResponse, url: URL): void {
    this.#operator(operation, req, res, url).catch((error: unknown) => {
      log.error("operator request failed", { error: error instanceof Error ? error.message : String(error) });
      answer(res, 500, { __type: "KMSInternalException", message: "An internal error occurred." });
    });
  }

  /** `GET /health` while sealed (SEALED_ROUTES). */
  sealedHealth(req: IncomingMessage, res: ServerResponse): void {
    req.resume();
    const status = this.#control.status();
    answer(res, 503, { status: "sealed", sealed: true, mode: status.mode, progress: status.progress, threshold: status.threshold, ...(status.reason ? { reason: status.reason } : {}), worker: this.#worker });
  }

  /** `GET /ready` while sealed (SEALED_ROUTES). */
  sealedReadiness(req: IncomingMessage, res: ServerResponse): void {
    req.resume();
    answer(res, 503, { status: "not ready", reasons: ["sealed"], worker: this.#worker });
  }

  async #operator(operation: Operation, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    try {
      const body = await readBody(req);
      if (operation === "status") return answer(res, 200, sealStatusBody(this.#control.status()));
      const { sourceIp } = rawRequestOf(req, url, body);
      if (operation === "unseal") return answer(res, 200, sealStatusBody(await this.#unseal(body, sourceIp)));
      const api = this.#api;
      if (api === undefined) {
        body.fill(0);
        if (operation === "seal") return answer(res, 200, sealStatusBody(this.#control.status()));
        throw new SealRequestRefused("The node is sealed: unseal it first.");
      }
      const origin = await this.#authenticateRoot(api.services, req, url, body);
      if (origin === undefined) {
        body.fill(0);
        return answer(res, 403, { __type: "AccessDeniedException", message: "Only the default account's root, with its long-term access key, may seal the node, rotate its root key or rekey its shares." });
      }
      if (operation === "seal") {
        log.warn("seal requested", { ...origin });
        return answer(res, 200, sealStatusBody(await this.#control.seal(origin)));
      }
      const request = readSharesBody(body);
      if (operation === "rotate-root") {
        log.warn("root key rotation requested", { ...origin });
        return answer(res, 200, await this.#control.rotateRoot(request.shares, origin));
      }
      log.warn("rekey of the unseal shares requested", { ...origin });
      return answer(res, 200, await this.#control.rekey(request.shares, request.newShares, request.newThreshold, origin));
    } catch (error) {
      if (error instanceof SealRequestRefused) return answer(res, 400, { __type: "SealRequestRefusedException", message: error.message });
      if (error instanceof AwsError) return answer(res, error.status, { __type: error.code, message: error.message });
      throw error;
    }
  }

  /** Who signed an operator request, if it is the default account's root with its long-term key; throws the authentication's AWS errors. */
  async #authenticateRoot(services: Services, req: IncomingMessage, url: URL, body: Buffer): Promise<OperatorOrigin | undefined> {
    const raw = rawRequestOf(req, url, body);
    // Never --dev's "unknown access keys act as root": these need the root's real signature.
    const { principal } = await authenticate(raw, { ...services, dev: false }, "kms", services.clock.nowMs());
    if (principal.kind !== "Root" || principal.accountId !== services.defaultAccountId || principal.fromSessionToken === true) return undefined;
    return { accessKeyId: principal.accessKeyId, sourceIp: raw.sourceIp };
  }

  async #unseal(body: Buffer, sourceIp: string): Promise<SealStatus> {
    let share: unknown;
    try {
      share = (JSON.parse(body.toString("utf8")) as { Share?: unknown }).Share;
    } catch {
      share = undefined;
    } finally {
      body.fill(0);
    }
    if (typeof share !== "string") throw new SealRequestRefused('The request body must be {"Share": "<one unseal share>"}.');
    try {
      return await this.#control.submitShare(share, { sourceIp });
    } catch (error) {
      // Logged without the share: only that one was refused, why, and from where.
      if (error instanceof SealRequestRefused) log.warn("unseal share refused; progress reset", { reason: error.message, sourceIp });
      throw error;
    }
  }
}

/** The body of rotate-root and rekey: `Shares` (shamir), and rekey's new count and threshold; the body is zeroed once read. */
function readSharesBody(body: Buffer): { shares: string[]; newShares: number; newThreshold: number } {
  let parsed: { Shares?: unknown; NewShares?: unknown; NewThreshold?: unknown };
  try {
    parsed = body.length === 0 ? {} : (JSON.parse(body.toString("utf8")) as typeof parsed);
  } catch {
    throw new SealRequestRefused('The request body must be JSON: {"Shares": ["<unseal share>", ...]}.');
  } finally {
    body.fill(0);
  }
  const shares = parsed.Shares ?? [];
  if (!Array.isArray(shares) || !shares.every((share) => typeof share === "string")) throw new SealRequestRefused("Shares must be a list of unseal shares (strings).");
  return { shares, newShares: Number(parsed.NewShares), newThreshold: Number(parsed.NewThreshold) };
}

function answer(res: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
