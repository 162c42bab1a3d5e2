/**
 * Access keys and the directory that resolves an access key id to the credentials and
 * principal behind it: an account root's or an IAM user's long-term key (`AKIA…`), or
 * temporary credentials (`ASIA…`) of a role session or of GetSessionToken. Secrets are wrapped by the root key
 * at rest.
 *
 * Lookups are cached so an authenticated request does no database read. A change made
 * by this process (UpdateAccessKey, DeleteAccessKey, DeleteUser, DeleteRole) drops the
 * entry at once (`forget`, `identitiesChanged`). Another process on the
 * same data directory (a second server, `kmsd account create`) learns of a change when
 * the entry expires: entries are trusted for CACHE_TTL_MS, then read again. An id never
 * seen before is read from the store, which is how a server accepts a key another
 * process added a moment ago.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { RootKey } from "../crypto/rootKey.ts";
import { LocalChangeBus, type ChangeBus } from "../cluster/changes.ts";
import type { StoredAccessKey } from "../keys/records.ts";
import type { Store } from "../store/store.ts";
import { IdentityPolicyCache, sessionPolicyOf, type PrincipalPolicies } from "./identityPolicies.ts";
import { ID_PREFIX, newAccessKeyId } from "./ids.ts";
import { assumedRolePrincipal, rootPrincipal, userPrincipal, type Principal } from "./principal.ts";
import type { IdentityAccessKey, IdentityKeyOwner } from "./records.ts";
import { sessionSecretAad } from "./sessions.ts";

/** An access key ready for signature verification. */
export interface ActiveAccessKey {
  accessKeyId: string;
  secretAccessKey: string;
  principal: Principal;
  /** Session credentials only: the session token's hash and when the credentials expire. */
  session?: { tokenHash: Buffer; expiresAtMs: number };
}

/**
 * What an access key id resolves to. `revoked` (inactive, deleted, its user is gone, or
 * the role of a session is gone or was created again) is kept apart from `unknown` so
 * that such a key never falls back to --dev's "unknown keys act as root".
 */
export type CredentialLookup = { status: "active"; key: ActiveAccessKey } | { status: "revoked" } | { status: "unknown" };

/** A fresh access key, with the secret in the clear (shown once). */
export interface NewAccessKey<Stored extends IdentityAccessKey = IdentityAccessKey> {
  stored: Stored;
  secretAccessKey: string;
}

/** How long a resolved key is trusted before the store is read again (bounds cross-process staleness). */
export const CACHE_TTL_MS = 5000;
/** How long an unknown access key id is remembered as unknown (bounds the store reads of a flood of bad ids). */
const NEGATIVE_TTL_MS = 1000;
/** Resolved keys kept at most (sessions come and go; the oldest entry is dropped first). */
const MAX_CACHED = 10_000;

/** An access key id and secret given by the user (a seed file's), instead of fresh random ones. */
export interface ChosenAccessKey {
  accessKeyId: string;
  secretAccessKey: string;
}

/** Mints a root access key for `accountId`. */
export function mintRootAccessKey(rootKey: RootKey, accountId: string, nowMs: number, chosen?: ChosenAccessKey): NewAccessKey<StoredAccessKey> {
  return mintAccessKey(rootKey, accountId, { kind: "root" }, nowMs, chosen);
}

/** Mints an access key for `owner` (an account root or an IAM user of `accountId`), its secret wrapped by the root key. */
export function mintAccessKey<Owner extends IdentityKeyOwner>(
  rootKey: RootKey,
  accountId: string,
  owner: Owner,
  nowMs: number,
  chosen?: ChosenAccessKey,
): NewAccessKey<IdentityAccessKey & { owner: Owner }> {
  const accessKeyId = chosen?.accessKeyId ?? newAccessKeyId("accessKey");
  const secretAccessKey = chosen?.secretAccessKey ?? newSecret();
  return {
    secretAccessKey,
    stored: {
      accessKeyId,
      accountId,
      owner,
      wrappedSecret: rootKey.wrap(Buffer.from(secretAccessKey, "utf8"), secretAad(accessKeyId)),
      status: "Active",
      createdAtMs: nowMs,
    },
  };
}

interface CacheEntry {
  key: ActiveAccessKey;
  checkedAtMs: number;
  /** The IAM user the key belongs to (an IAM change drops the keys of users, as their names, tags or existence may have changed). */
  userId: string | undefined;
}

/** Resolves access key ids (cached), and holds the identity policy cache. */
export class AccessKeyDirectory {
  readonly #store: Store;
  readonly #rootKey: RootKey;
  readonly #known = new Map<string, CacheEntry>();
  readonly #unknownUntil = new Map<string, number>();
  readonly #policies: IdentityPolicyCache;
  readonly #bus: ChangeBus;

  constructor(store: Store, rootKey: RootKey, bus: ChangeBus = new LocalChangeBus()) {
    this.#store = store;
    this.#rootKey = rootKey;
    this.#policies = new IdentityPolicyCache(store.identities);
    this.#bus = bus;
    // Another worker changed an access key or an IAM entity: drop what this one cached.
    bus.subscribe((change) => {
      if (change.kind === "accessKey") this.#forgetLocally(change.accessKeyId);
      if (change.kind === "identityPolicies") this.#identitiesChangedLocally();
      if (change.kind === "everything") this.forgetAllLocally();
    });
  }

  /** Drops every cached access key and identity policy of this process (all may have changed). */
  forgetAllLocally(): void {
    this.#known.clear();
    this.#unknownUntil.clear();
    this.#policies.invalidate();
  }

  /** Resolves an access key id: active (with secret and principal), revoked, or unknown. */
  async lookup(accessKeyId: string): Promise<CredentialLookup> {
    const now = Date.now();
    const known = this.#known.get(accessKeyId);
    if (known && now - known.checkedAtMs < CACHE_TTL_MS) return { status: "active", key: known.key };
    this.#known.delete(accessKeyId);
    const until = this.#unknownUntil.get(accessKeyId);
    if (until !== undefined && until > now) return { status: "unknown" };
    const resolved = accessKeyId.startsWith(ID_PREFIX.sessionKey) ? await this.#loadSession(accessKeyId) : await this.#loadKey(accessKeyId);
    if (resolved.status === "unknown") {
      if (this.#unknownUntil.size > 10_000) this.#unknownUntil.clear();
      this.#unknownUntil.set(accessKeyId, now + NEGATIVE_TTL_MS);
      return resolved;
    }
    if (resolved.status !== "active") return { status: "revoked" };
    if (this.#known.size >= MAX_CACHED) this.#known.delete(this.#known.keys().next().value as string);
    this.#known.set(accessKeyId, { key: resolved.key, checkedAtMs: now, userId: resolved.userId });
    return { status: "active", key: resolved.key };
  }

  /** Drops a cached key at once, here and in every other worker (its status changed or it was deleted). */
  async forget(accessKeyId: string): Promise<void> {
    this.#forgetLocally(accessKeyId);
    await this.#bus.publish({ kind: "accessKey", accessKeyId });
  }

  #forgetLocally(accessKeyId: string): void {
    this.#known.delete(accessKeyId);
    this.#unknownUntil.delete(accessKeyId);
  }

  /** The identity policies that apply to a principal (see identityPolicies.ts). */
  policiesOf(principal: Principal): Promise<PrincipalPolicies> {
    return this.#policies.policiesOf(principal);
  }

  /** Called after any change to IAM users, groups, roles or policies; every worker forgets what it cached. */
  async identitiesChanged(): Promise<void> {
    this.#identitiesChangedLocally();
    await this.#bus.publish({ kind: "identityPolicies" });
  }

  #identitiesChangedLocally(): void {
    this.#policies.invalidate();
    // User principals carry names and tags, and a session lives only as long as its role
    // (and carries the role's tags); re-read them on next use.
    for (const [id, entry] of this.#known) if (entry.userId !== undefined || entry.key.session !== undefined) this.#known.delete(id);
  }

  async #loadKey(accessKeyId: string): Promise<{ status: "active"; key: ActiveAccessKey; userId: string | undefined } | { status: "revoked" | "unknown" }> {
    const identities = this.#store.identities;
    const stored = await identities.getAccessKey(accessKeyId);
    if (!stored) return { status: (await identities.wasAccessKeyDeleted(accessKeyId)) ? "revoked" : "unknown" };
    if (stored.status !== "Active") return { status: "revoked" };
    let principal: Principal;
    let userId: string | undefined;
    if (stored.owner.kind === "user") {
      const user = await identities.getUserById(stored.owner.userId);
      if (!user) return { status: "revoked" };
      principal = userPrincipal(user, accessKeyId);
      userId = user.userId;
    } else {
      principal = rootPrincipal(stored.accountId, accessKeyId);
    }
    const secretAccessKey = this.#rootKey.unwrap(stored.wrappedSecret, secretAad(accessKeyId)).toString("utf8");
    return { status: "active", key: { accessKeyId, secretAccessKey, principal }, userId };
  }

  async #loadSession(accessKeyId: string): Promise<{ status: "active"; key: ActiveAccessKey; userId: string | undefined } | { status: "revoked" | "unknown" }> {
    const identities = this.#store.identities;
    const session = await identities.getSession(accessKeyId);
    if (!session) return this.#loadTokenSession(accessKeyId);
    // A session belongs to the role's unique id, as in AWS: once the role is deleted (or
    // deleted and created again under the same name) its sessions are worth nothing.
    const role = await identities.getRole(session.accountId, session.roleName);
    if (!role || role.roleId !== session.roleId) return { status: "revoked" };
    const policy = session.sessionPolicy === undefined ? undefined : sessionPolicyOf(accessKeyId, session.sessionPolicy);
    const principal = assumedRolePrincipal(session, accessKeyId, policy, role.tags);
    const secretAccessKey = this.#rootKey.unwrap(session.wrappedSecret, sessionSecretAad(accessKeyId)).toString("utf8");
    return {
      status: "active",
      key: { accessKeyId, secretAccessKey, principal, session: { tokenHash: session.tokenHash, expiresAtMs: session.expiresAtMs } },
      userId: undefined,
    };
  }

  /** GetSessionToken's credentials: they act as their user (while it exists) or as the account root. */
  async #loadTokenSession(accessKeyId: string): Promise<{ status: "active"; key: ActiveAccessKey; userId: string | undefined } | { status: "revoked" | "unknown" }> {
    const identities = this.#store.identities;
    const session = await identities.getTokenSession(accessKeyId);
    if (!session) return { status: "unknown" };
    let principal: Principal;
    if (session.userId === undefined) {
      principal = rootPrincipal(session.accountId, accessKeyId, true);
    } else {
      const user = await identities.getUserById(session.userId);
      if (!user) return { status: "revoked" };
      principal = userPrincipal(user, accessKeyId, true);
    }
    const secretAccessKey = this.#rootKey.unwrap(session.wrappedSecret, sessionSecretAad(accessKeyId)).toString("utf8");
    return {
      status: "active",
      key: { accessKeyId, secretAccessKey, principal, session: { tokenHash: session.tokenHash, expiresAtMs: session.expiresAtMs } },
      userId: session.userId,
    };
  }
}

function newSecret(): string {
  return randomBytes(30).toString("base64");
}

/** Whether `secretAccessKey` is the secret of the stored key (compared in constant time). */
export function hasSecret(rootKey: RootKey, stored: IdentityAccessKey, secretAccessKey: string): boolean {
  const actual = rootKey.unwrap(stored.wrappedSecret, secretAad(stored.accessKeyId));
  const given = Buffer.from(secretAccessKey, "utf8");
  try {
    return actual.length === given.length && timingSafeEqual(actual, given);
  } finally {
    actual.fill(0);
  }
}

function secretAad(accessKeyId: string): Buffer {
  return Buffer.from(`access-key\n${accessKeyId}`, "utf8");
}
