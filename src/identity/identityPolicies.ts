/**
 * The identity-based policies that apply to a principal, for the authorization layer:
 * a user's inline and attached policies plus those of its groups; a role session's
 * role policies, and its inline session policy apart (it narrows, it never grants on
 * its own). An account root has none: it is not governed by identity policies.
 *
 * Policies come back as raw JSON text with an `id` and a `version` that changes
 * whenever the text does, so the evaluator can cache its compiled form by `id@version`.
 * Loaded sets are cached per user or role for CACHE_TTL_MS and dropped at once when
 * this process changes any IAM entity (`invalidate`); another process on the same data
 * directory sees a change within the TTL.
 */
import { createHash } from "node:crypto";
import type { IdentityStore } from "../store/identityStore.ts";
import { iamArn } from "./arns.ts";
import type { Principal } from "./principal.ts";
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
  /** A role session's inline session policy, if it was given one. */
  session: IdentityPolicy | undefined;
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

/** Reads the identity policies of a principal from the store (no cache). */
export async function loadIdentityPolicies(store: IdentityStore, principal: Principal): Promise<PrincipalPolicies> {
  switch (principal.kind) {
    case "Root":
      return { identity: [], session: undefined };
    case "IAMUser": {
      const stored = await store.identityPolicies({ kind: "user", userId: principal.userId });
      return { identity: distinct(stored.map((p) => toIdentityPolicy(principal.accountId, p))), session: undefined };
    }
    case "AssumedRole": {
      const stored = await store.identityPolicies({ kind: "role", roleId: principal.roleId });
      return { identity: distinct(stored.map((p) => toIdentityPolicy(principal.accountId, p))), session: principal.sessionPolicy };
    }
  }
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
  identity: readonly IdentityPolicy[];
}

/** Identity policies per user or role, cached (see the file comment for freshness). */
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
    const session = principal.kind === "AssumedRole" ? principal.sessionPolicy : undefined;
    const now = Date.now();
    const cached = this.#entries.get(key);
    if (cached && cached.generation === this.#generation && now - cached.loadedAtMs < POLICY_CACHE_TTL_MS) {
      return { identity: cached.identity, session };
    }
    const generation = this.#generation;
    const loaded = await loadIdentityPolicies(this.#store, principal);
    // A change made while loading bumped the generation: do not cache what may be stale.
    if (generation === this.#generation) {
      if (this.#entries.size >= MAX_CACHED) this.#entries.delete(this.#entries.keys().next().value as string);
      this.#entries.set(key, { generation, loadedAtMs: now, identity: loaded.identity });
    }
    return { identity: loaded.identity, session };
  }

  /** Drops every cached set (called after any IAM change in this process). */
  invalidate(): void {
    this.#generation++;
    this.#entries.clear();
  }
}
