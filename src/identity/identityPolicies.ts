/**
 * The identity-based policies that apply to a principal, for the authorization layer:
 * a user's inline and attached policies plus those of its groups; a role session's
 * role policies, and its session policies apart (inline and managed: they narrow, they
 * never grant on their own). An account root has none: it is not governed by identity policies.
 *
 * Policies come back as raw JSON text with an `id` and a `version` that changes
 * whenever the text does, so the evaluator can cache its compiled form by `id@version`.
 * Loaded sets are cached per user or role for CACHE_TTL_MS and dropped at once when
 * this process changes any IAM entity (`invalidate`); another process on the same data
 * directory sees a change within the TTL.
 */
import { createHash } from "node:crypto";
import type { IdentityStore } from "../store/identityStore.ts";
import { iamArn, parseIamArn } from "./arns.ts";
import type { AssumedRolePrincipal, Principal, UserPrincipal } from "./principal.ts";
import type { StoredIdentityPolicy } from "./records.ts";

/** One identity policy document with what identifies it. */
export interface IdentityPolicy {
  /** Stable id: a managed policy's `ANPA…`; an inline one's `user/AIDA…/Name` (group/role likewise); a session's `session/ASIA…`. */
  id: string;
  /** Changes whenever the document does: a managed policy's default version id, else a digest of the text. */
  version: string;
  source: StoredIdentityPolicy["source"] | "session";
  /** The policy name (inline or managed); `session` for a session policy. */
  name: string;
  /** Managed policies only. */
  arn?: string;
  /** The JSON document, as stored (not URL-encoded). */
  document: string;
}

/** Everything identity-based that applies to a principal. */
export interface PrincipalPolicies {
  /** User (own and groups') or role policies. Empty for an account root. */
  identity: readonly IdentityPolicy[];
  /** A role session's session policies (inline and managed), if it was given any. */
  session: readonly IdentityPolicy[] | undefined;
}

/** How long a loaded policy set is trusted before it is read again (bounds cross-process staleness). */
export const POLICY_CACHE_TTL_MS = 5000;
const MAX_CACHED = 10_000;

/** A short digest of a document, used as the version of inline and session policies. */
export function documentDigest(document: string): string {
  return createHash("sha256").update(document, "utf8").digest("base64url").slice(0, 22);
}

/** The session policy of a role session, as an IdentityPolicy. */
export function sessionPolicyOf(accessKeyId: string, document: string): IdentityPolicy {
  return { id: `session/${accessKeyId}`, version: documentDigest(document), source: "session", name: "session", document };
}

/** Reads the identity policies of a user or a role session's role from the store (no cache). */
async function loadIdentityPolicies(store: IdentityStore, principal: UserPrincipal | AssumedRolePrincipal): Promise<IdentityPolicy[]> {
  const stored =
    principal.kind === "IAMUser"
      ? await store.identityPolicies({ kind: "user", userId: principal.userId })
      : await store.identityPolicies({ kind: "role", roleId: principal.roleId });
  return distinct(stored.map((p) => toIdentityPolicy(principal.accountId, p)));
}

/** A document that allows nothing: what a managed session policy that no longer exists contributes (fail closed). */
const ALLOWS_NOTHING = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "kmsd:Nothing", Resource: "*" }] });

/**
 * The managed session policies of a role session, read from the store (their default
 * versions now, as a policy's changes reach the sessions that name it). One that is gone,
 * or that another account owns, allows nothing, so it never widens the session.
 */
async function loadManagedSessionPolicies(store: IdentityStore, principal: AssumedRolePrincipal): Promise<IdentityPolicy[]> {
  const policies: IdentityPolicy[] = [];
  for (const arn of principal.sessionPolicyArns) {
    const parsed = parseIamArn(arn, "policy");
    const policy = parsed && parsed.accountId === principal.accountId ? await store.getManagedPolicy(parsed.accountId, parsed.name) : undefined;
    const version = policy && policy.path === parsed?.path ? await store.getPolicyVersion(policy.policyId, policy.defaultVersionId) : undefined;
    policies.push(
      policy && version
        ? // Its own id: the compiled-policy cache must not mix it with the same policy compiled as an identity policy.
          { id: `session/${policy.policyId}`, version: version.versionId, source: "session", name: policy.policyName, arn, document: version.document }
        : { id: `missing/${arn}`, version: "none", source: "session", name: arn, arn, document: ALLOWS_NOTHING },
    );
  }
  return policies;
}

// A managed policy attached to the user and to one of its groups counts once.
function distinct(policies: IdentityPolicy[]): IdentityPolicy[] {
  const seen = new Set<string>();
  return policies.filter((p) => !seen.has(p.id) && seen.add(p.id));
}

function toIdentityPolicy(accountId: string, stored: StoredIdentityPolicy): IdentityPolicy {
  if (stored.policyId !== undefined) {
    return {
      id: stored.policyId,
      version: stored.versionId ?? "v1",
      source: stored.source,
      name: stored.policyName,
      arn: iamArn(accountId, "policy", stored.policyPath ?? "/", stored.policyName),
      document: stored.document,
    };
  }
  const ownerKind = stored.source.slice(0, stored.source.indexOf("-"));
  return {
    id: `${ownerKind}/${stored.ownerId}/${stored.policyName}`,
    version: documentDigest(stored.document),
    source: stored.source,
    name: stored.policyName,
    document: stored.document,
  };
}

interface CacheEntry {
  generation: number;
  loadedAtMs: number;
  policies: readonly IdentityPolicy[];
}

/** Identity policies per user or role (and managed session policies per session), cached (see the file comment for freshness). */
export class IdentityPolicyCache {
  readonly #store: IdentityStore;
  readonly #entries = new Map<string, CacheEntry>();
  #generation = 0;

  constructor(store: IdentityStore) {
    this.#store = store;
  }

  /** The policies that apply to `principal`. */
  async policiesOf(principal: Principal): Promise<PrincipalPolicies> {
    if (principal.kind === "Root") return { identity: [], session: undefined };
    const key = principal.kind === "IAMUser" ? principal.userId : principal.roleId;
    const identity = await this.#cached(key, () => loadIdentityPolicies(this.#store, principal));
    if (principal.kind !== "AssumedRole") return { identity, session: undefined };
    const inline = principal.sessionPolicy === undefined ? [] : [principal.sessionPolicy];
    const managed =
      principal.sessionPolicyArns.length === 0
        ? []
        : await this.#cached(`session/${principal.accessKeyId}`, () => loadManagedSessionPolicies(this.#store, principal));
    const session = [...inline, ...managed];
    return { identity, session: session.length === 0 ? undefined : session };
  }

  /** Drops every cached set (called after any IAM change in this process). */
  invalidate(): void {
    this.#generation++;
    this.#entries.clear();
  }

  async #cached(key: string, load: () => Promise<IdentityPolicy[]>): Promise<readonly IdentityPolicy[]> {
    const now = Date.now();
    const cached = this.#entries.get(key);
    if (cached && cached.generation === this.#generation && now - cached.loadedAtMs < POLICY_CACHE_TTL_MS) return cached.policies;
    const generation = this.#generation;
    const policies = await load();
    // A change made while loading bumped the generation: do not cache what may be stale.
    if (generation === this.#generation) {
      if (this.#entries.size >= MAX_CACHED) this.#entries.delete(this.#entries.keys().next().value as string);
      this.#entries.set(key, { generation, loadedAtMs: now, policies });
    }
    return policies;
  }
}
