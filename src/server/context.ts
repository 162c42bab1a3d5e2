/**
 * What an operation handler receives besides its input: who is calling, in which
 * region, the time of the request, and the services it may use. Handlers never see
 * HTTP, raw JSON or SigV4.
 */
import type { AdjustableClock } from "../clock.ts";
import type { AccessKeyDirectory } from "../identity/accessKeys.ts";
import type { Principal } from "../identity/principal.ts";
import type { KeyRepository } from "../keys/keyRepository.ts";
import type { RootKey } from "../crypto/rootKey.ts";
import type { Store } from "../store/store.ts";
import type { Authorizer } from "../authorization/authorizer.ts";
import type { AuditTrail } from "../audit/trail.ts";
import type { KeyRecord } from "../keys/records.ts";
import type { Quotas } from "../quotas/fromConfig.ts";
import { RequestSecrets } from "../crypto/secret.ts";
import type { XksProxyClient } from "../xks/proxyClient.ts";
import type { HsmClusters } from "../hsm/hsmClusters.ts";

/** Long-lived services shared by all requests. */
export interface Services {
  store: Store;
  keys: KeyRepository;
  accessKeys: AccessKeyDirectory;
  rootKey: RootKey;
  clock: AdjustableClock;
  /** Accept unknown access keys as the default account's root, and expose the dev clock. */
  dev: boolean;
  defaultAccountId: string;
  authorizer: Authorizer;
  /** The audit trail: every request's CloudTrail event, LookupEvents, key last usage. */
  audit: AuditTrail;
  /** AWS's request quotas (throttling) and resource quotas, as configured. */
  quotas: Quotas;
  /** How this node reaches the XKS proxies of external key stores. */
  xks: XksProxyClient;
  /** The PKCS#11 tokens that CloudHSM-type custom key stores may name, by cluster id. */
  hsmClusters: HsmClusters;
}

/** One authenticated request. */
export interface RequestContext {
  requestId: string;
  principal: Principal;
  /** The caller's account. */
  accountId: string;
  /** The region of the request (from its SigV4 credential scope). */
  region: string;
  /** The server clock at the start of the request, in milliseconds. */
  nowMs: number;
  services: Services;
  /** The decoded request (operation input), for authorization conditions and audit. */
  input: Readonly<Record<string, unknown>>;
  /** The client's address. */
  sourceIp: string;
  /** Whether the request came over TLS. */
  secureTransport: boolean;
  userAgent: string | undefined;
  /**
   * `kms:ViaService`: the integrated AWS service calling on the caller's behalf. kmsd has no
   * integrated services; with --dev a request may claim one (header x-kmsd-via-service) so
   * tests can exercise AWS managed keys and ViaService conditions.
   */
  viaService?: string | undefined;
  /** ReEncrypt only: whether the source and destination keys are the same (`kms:ReEncryptOnSameKey`), set by the handler. */
  reEncryptOnSameKey?: boolean;
  /**
   * Keys the operation resolved and checked, in order (keyAccess appends each): the audit
   * event's resources, the key owners whose trails get a copy, and GetKeyLastUsage's keys.
   */
  keysUsed?: KeyRecord[];
  /** The request's secret buffers, zeroed by the pipeline once the response is serialized (crypto/secret.ts). */
  secrets: RequestSecrets;
}


/** The context of one authenticated request: who, where, when, and where it came from. */
export function requestContext(
  request: { sourceIp: string; secure: boolean; headers: Record<string, string | string[] | undefined> },
  requestId: string,
  principal: Principal,
  region: string,
  nowMs: number,
  services: Services,
  input: Readonly<Record<string, unknown>>,
): RequestContext {
  return { requestId, principal, accountId: principal.accountId, region, nowMs, services, input, secrets: new RequestSecrets(), ...requestOrigin(request) };
}

/** The parts of a RequestContext that come from the HTTP request itself. */
export function requestOrigin(request: { sourceIp: string; secure: boolean; headers: Record<string, string | string[] | undefined> }) {
  const userAgent = request.headers["user-agent"];
  return {
    sourceIp: request.sourceIp,
    secureTransport: request.secure,
    userAgent: Array.isArray(userAgent) ? userAgent[0] : userAgent,
  };
}

