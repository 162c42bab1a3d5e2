/**
 * The HTTP front of a node with a seal. The operator endpoints answer in every state:
 *
 *   GET  /kmsd/operator/seal-status   the seal's status (no credentials: a sealed node has none to check)
 *   POST /kmsd/operator/unseal        {"Share": "..."}: one unseal share; no credentials, the share is the proof
 *   POST /kmsd/operator/seal          SigV4-signed (service kms) by the default account's root: seals at once
 *
 * While sealed, `GET /health` answers 503 with `"sealed": true`, `GET /ready` 503 with the
 * reason "sealed", and every other request is
 * refused with ServiceUnavailableException (503; ServiceUnavailable in IAM/STS's XML), as no
 * key is usable; once unsealed everything else goes to the API.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { AwsError, ServiceUnavailableException } from "../errors.ts";
import { authenticate } from "../server/authenticate.ts";
import type { Services } from "../server/context.ts";
import { rawRequestOf, readBody, refuseApiRequest } from "../server/httpServer.ts";
import { log } from "../server/log.ts";
import { SealRequestRefused, type SealControl, type SealStatus } from "./nodeSeal.ts";

/** The operator endpoints' paths. */
export const OPERATOR_PATHS = { status: "/kmsd/operator/seal-status", unseal: "/kmsd/operator/unseal", seal: "/kmsd/operator/seal" } as const;

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
    const operation = url === null ? undefined : operatorOperation(req.method, url.pathname);
    if (url !== null && operation !== undefined) {
      this.#operator(operation, req, res, url).catch((error: unknown) => {
        log.error("operator request failed", { error: error instanceof Error ? error.message : String(error) });
        answer(res, 500, { __type: "KMSInternalException", message: "An internal error occurred." });
      });
      return;
    }
    const api = this.#api;
    if (api !== undefined) return api.listener(req, res);
    if (req.method === "GET" && url?.pathname === "/health") {
      req.resume();
      const status = this.#control.status();
      return answer(res, 503, { status: "sealed", sealed: true, mode: status.mode, progress: status.progress, threshold: status.threshold, ...(status.reason ? { reason: status.reason } : {}), worker: this.#worker });
    }
    if (req.method === "GET" && url?.pathname === "/ready") {
      req.resume();
      return answer(res, 503, { status: "not ready", reasons: ["sealed"], worker: this.#worker });
    }
    refuseApiRequest(req, res, new ServiceUnavailableException("kmsd is sealed: no key is usable until the node is unsealed (kmsd operator unseal)."));
  };

  async #operator(operation: "status" | "unseal" | "seal", req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    try {
      const body = await readBody(req);
      if (operation === "status") return answer(res, 200, sealStatusBody(this.#control.status()));
      if (operation === "unseal") return answer(res, 200, sealStatusBody(await this.#unseal(body, rawRequestOf(req, url, body).sourceIp)));
      const api = this.#api;
      if (api === undefined) return answer(res, 200, sealStatusBody(this.#control.status()));
      const raw = rawRequestOf(req, url, body);
      // Never --dev's "unknown access keys act as root": sealing needs the root's real signature.
      const { principal } = await authenticate(raw, { ...api.services, dev: false }, "kms", api.services.clock.nowMs());
      if (principal.kind !== "Root" || principal.accountId !== api.services.defaultAccountId || principal.fromSessionToken === true) {
        return answer(res, 403, { __type: "AccessDeniedException", message: "Only the default account's root, with its long-term access key, may seal the node." });
      }
      log.warn("seal requested", { accessKeyId: principal.accessKeyId, sourceIp: raw.sourceIp });
      return answer(res, 200, sealStatusBody(await this.#control.seal()));
    } catch (error) {
      if (error instanceof SealRequestRefused) return answer(res, 400, { __type: "SealRequestRefusedException", message: error.message });
      if (error instanceof AwsError) return answer(res, error.status, { __type: error.code, message: error.message });
      throw error;
    }
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
      return await this.#control.submitShare(share);
    } catch (error) {
      // Logged without the share: only that one was refused, why, and from where.
      if (error instanceof SealRequestRefused) log.warn("unseal share refused; progress reset", { reason: error.message, sourceIp });
      throw error;
    }
  }
}

function operatorOperation(method: string | undefined, path: string): "status" | "unseal" | "seal" | undefined {
  if (method === "GET" && path === OPERATOR_PATHS.status) return "status";
  if (method === "POST" && path === OPERATOR_PATHS.unseal) return "unseal";
  if (method === "POST" && path === OPERATOR_PATHS.seal) return "seal";
  return undefined;
}

function answer(res: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
