/**
 * The bridge between the pure policy engine (src/authz) and kmsd's state: who the
 * caller is in the engine's terms, the caller's identity policies and every key policy
 * compiled once and cached by id and version, so the hot path evaluates compiled
 * policies only and never parses JSON.
 */
import { evaluate, parsePolicy, type AuthzPrincipal, type AuthzRequest, type CompiledPolicy, type Decision, type PolicySet } from "../authz/index.ts";
import type { IdentityPolicy, PrincipalPolicies } from "../identity/identityPolicies.ts";
import type { Principal } from "../identity/principal.ts";
import type { KeyRecord } from "../keys/records.ts";
import { log } from "../server/log.ts";

/** What an identity-policy source must offer: the policies of a principal (cached there). */
export interface IdentityPolicySource {
  policiesOf(principal: Principal): Promise<PrincipalPolicies>;
}

/** Compiled identity and session policies of one caller. */
export interface CallerPolicies {
  identity: readonly CompiledPolicy[];
  session: readonly CompiledPolicy[] | undefined;
}

const MAX_COMPILED = 50_000;
/** Policies that allow nothing: what a stored document the engine cannot parse becomes (fail closed). */
const NOTHING_STATEMENT = '"Effect":"Allow","Action":"kmsd:Nothing","Resource":"arn:aws:kmsd:::nothing"';
const ALLOWS_NOTHING = parsePolicy(`{"Version":"2012-10-17","Statement":[{${NOTHING_STATEMENT}}]}`, "identity");
const RESOURCE_ALLOWS_NOTHING = parsePolicy(`{"Version":"2012-10-17","Statement":[{"Principal":{"AWS":"arn:aws:iam::000000000000:root"},${NOTHING_STATEMENT}}]}`, "resource");

/** Authorization services shared by all requests. */
export class Authorizer {
  readonly #source: IdentityPolicySource;
  readonly #compiled = new Map<string, CompiledPolicy>();
  readonly #keyPolicies = new Map<string, { text: string; compiled: CompiledPolicy }>();

  constructor(source: IdentityPolicySource) {
    this.#source = source;
  }

  /** The caller's identity and session policies, compiled. */
  async callerPolicies(principal: Principal): Promise<CallerPolicies> {
    const { identity, session } = await this.#source.policiesOf(principal);
    return {
      identity: identity.map((policy) => this.#compile(policy, "identity")),
      session: session?.map((policy) => this.#compile(policy, "session")),
    };
  }

  /** A key's policy, compiled once per policy text. */
  keyPolicy(key: KeyRecord): CompiledPolicy {
    const cached = this.#keyPolicies.get(key.keyId);
    if (cached && cached.text === key.policy) return cached.compiled;
    let compiled: CompiledPolicy;
    try {
      compiled = parsePolicy(key.policy, "resource");
    } catch (error) {
      // Stored policies were validated when stored; one that no longer parses grants nothing.
      log.error("stored key policy does not parse", { keyId: key.keyId, error: String(error) });
      compiled = RESOURCE_ALLOWS_NOTHING;
    }
    if (this.#keyPolicies.size
 >= MAX_COMPILED) this.#keyPolicies.clear();
    this.#keyPolicies.set(key.keyId, { text: key.policy, compiled });
    return compiled;
  }

  /** Evaluates one request (a thin, named wrapper so callers need not import the engine). */
  evaluate(request: AuthzRequest, policies: PolicySet): Decision {
    return evaluate(request, policies);
  }

  #compile(policy: IdentityPolicy, kind: "identity" | "session"): CompiledPolicy {
    const cacheKey = `${policy.id}@${policy.version}`;
    let compiled = this.#compiled.get(cacheKey);
    if (!compiled) {
      try {
        compiled = parsePolicy(policy.document, kind);
      } catch (error) {
        log.error("stored identity policy does not parse", { policyId: policy.id, error: String(error) });
        compiled = ALLOWS_NOTHING;
      }
      if (this.#compiled.size >= MAX_COMPILED) this.#compiled.clear();
      this.#compiled.set(cacheKey, compiled);
    }
    return compiled;
  }
}

/** The caller as the policy engine sees it. */
export function authzPrincipal(principal: Principal): AuthzPrincipal {
  switch (principal.kind) {
    case "Root":
      return { arn: principal.arn, accountId: principal.accountId, type: "Root", userId: principal.userId, tags: principal.tags };
    case "IAMUser":
      return {
        arn: principal.arn,
        accountId: principal.accountId,
        type: "IAMUser",
        userId: principal.userId,
        userName: principal.userName,
        tags: principal.tags,
      };
    case "AssumedRole":
      return {
        arn: principal.arn,
        accountId: principal.accountId,
        type: "AssumedRole",
        userId: principal.userId,
        sessionIssuerArn: principal.roleArn,
        tags: principal.tags,
      };
  }
}
