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
}
