/**
 * Access keys: minting them (with the secret wrapped by the root key at rest) and
 * looking them up for SigV4. Lookups are cached in memory so an authenticated request
 * does no database read; a key id never seen before is looked up in the store, which
 * is how a server accepts a key that `kmsd account create` added a moment ago.
 */
import { randomBytes, randomInt } from "node:crypto";
import type { RootKey } from "../crypto/rootKey.ts";
import type { StoredAccessKey } from "../keys/records.ts";
import type { Store } from "../store/store.ts";
import { rootPrincipal, type Principal } from "./principal.ts";

/** An access key ready for signature verification. */
export interface ActiveAccessKey {
  accessKeyId: string;
  secretAccessKey: string;
  principal: Principal;
}

/** A fresh access key pair for an account's root, with the secret in the clear (shown once). */
export interface NewAccessKey {
  stored: StoredAccessKey;
  secretAccessKey: string;
}

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/** How long an unknown access key id is remembered as unknown (bounds the store reads of a flood of bad ids). */
const NEGATIVE_TTL_MS = 1000;

/** Mints a root access key for `accountId`. */
export function mintRootAccessKey(rootKey: RootKey, accountId: string, nowMs: number): NewAccessKey {
  let accessKeyId = "AKIA";
  for (let i = 0; i < 16; i++) accessKeyId += BASE32[randomInt(32)];
  const secretAccessKey = randomBytes(30).toString("base64");
  return {
    secretAccessKey,
    stored: {
      accessKeyId,
      accountId,
      owner: { kind: "root" },
      wrappedSecret: rootKey.wrap(Buffer.from(secretAccessKey, "utf8"), secretAad(accessKeyId)),
      status: "Active",
      createdAtMs: nowMs,
    },
  };
}

/** Looks up access keys, cached. */
export class AccessKeyDirectory {
  readonly #store: Store;
  readonly #rootKey: RootKey;
  readonly #known = new Map<string, ActiveAccessKey>();
  readonly #unknownUntil = new Map<string, number>();

  constructor(store: Store, rootKey: RootKey) {
    this.#store = store;
    this.#rootKey = rootKey;
  }

  /** The active key with this id, or undefined if there is none (or it is inactive). */
  async find(accessKeyId: string): Promise<ActiveAccessKey | undefined> {
    const known = this.#known.get(accessKeyId);
    if (known) return known;
    const now = Date.now();
    const until = this.#unknownUntil.get(accessKeyId);
    if (until !== undefined && until > now) return undefined;
    const stored = await this.#store.getAccessKey(accessKeyId);
    if (!stored || stored.status !== "Active") {
      if (this.#unknownUntil.size > 10_000) this.#unknownUntil.clear();
      this.#unknownUntil.set(accessKeyId, now + NEGATIVE_TTL_MS);
      return undefined;
    }
    const active: ActiveAccessKey = {
      accessKeyId,
      secretAccessKey: this.#rootKey.unwrap(stored.wrappedSecret, secretAad(accessKeyId)).toString("utf8"),
      principal: rootPrincipal(stored.accountId, accessKeyId),
    };
    this.#known.set(accessKeyId, active);
    return active;
  }
}

function secretAad(accessKeyId: string): Buffer {
  return Buffer.from(`access-key\n${accessKeyId}`, "utf8");
}
