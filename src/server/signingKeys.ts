/**
 * Derived SigV4 signing keys, kept per access key, date, region and service. Deriving one
 * takes four HMACs (kDate, kRegion, kService, kSigning) and the SDK's own cache of them
 * is keyed by a fifth HMAC of the secret on every call; a client signs thousands of
 * requests with the same scope, so the key is derived once per day and reused as a
 * prepared node:crypto key. The entry remembers the secret it was derived from: a
 * request naming the access key with another secret never meets a key it did not earn.
 */
import { createSecretKey, timingSafeEqual, type KeyObject } from "node:crypto";
import { getSigningKey } from "@smithy/signature-v4";
import { PreparedSha256 } from "./sigv4Hash.ts";

/** Most entries kept (one per access key in use, per day, region and service); the oldest goes first. */
const MAX_ENTRIES = 4096;

interface Entry {
  secret: Buffer;
  key: KeyObject;
}

/** The signing keys of the credential scopes in use. */
export class SigningKeyCache {
  readonly #entries = new Map<string, Entry>();
  readonly #maxEntries: number;
  #derivations = 0;

  constructor(maxEntries = MAX_ENTRIES) {
    this.#maxEntries = maxEntries;
  }

  /** How many keys were derived (cache misses), for tests and the benchmark. */
  get derivations(): number {
    return this.#derivations;
  }

  /** The signing key of `secretAccessKey` for the scope (date YYYYMMDD), derived on first use. */
  async keyFor(accessKeyId: string, secretAccessKey: string, date: string, region: string, service: string): Promise<KeyObject> {
    const cacheKey = `${accessKeyId}/${date}/${region}/${service}`;
    const secret = Buffer.from(secretAccessKey, "utf8");
    const cached = this.#entries.get(cacheKey);
    if (cached && cached.secret.length === secret.length && timingSafeEqual(cached.secret, secret)) return cached.key;
    const derived = await getSigningKey(PreparedSha256, { accessKeyId, secretAccessKey }, date, region, service);
    const key = createSecretKey(derived);
    this.#derivations++;
    this.#entries.delete(cacheKey);
    if (this.#entries.size >= this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value as string);
    this.#entries.set(cacheKey, { secret, key });
    return key;
  }
}
