/**
 * Secret bytes, two ways.
 *
 * SecretBytes: long-lived secrets in their own type, an isolated buffer of exact length
 * that redacts itself in logs, JSON and `util.inspect`, and is zeroed when done. The root
 * key and the keys that wrap it (src/crypto/rootKey.ts), the derived keys that outlive a
 * root key rotation (rootKeyring.ts) and unseal key shares while they are collected
 * (src/seal/) are held as SecretBytes, so an accidental log line prints `[secret 32
 * bytes]`, never the bytes, and sealing a node zeroes them. Unwrapped key material lives
 * in the key cache (keys/keyCache.ts), which zeroes it when it evicts or drops it.
 *
 * RequestSecrets: the short-lived secrets of one KMS request (a plaintext, a data key, a
 * data key pair's private key, a shared secret), zeroed together in one place, the request
 * pipeline (server/pipeline.ts), once the response is serialized or the request failed.
 * Handlers hand over what they make and do not return (`hold`); the pipeline holds the
 * request's and the response's secret members itself.
 */
import { inspect } from "node:util";

/** A buffer of secret bytes that never prints its contents. */
export class SecretBytes {
  readonly #bytes: Buffer;

  /** Copies `source` into a fresh buffer owned by this object (never a slice of Node's shared pool). */
  static copyOf(source: Uint8Array): SecretBytes {
    const bytes = Buffer.alloc(source.length);
    bytes.set(source);
    return new SecretBytes(bytes);
  }

  /** Takes ownership of `bytes` (the caller must not keep using it). */
  constructor(bytes: Buffer) {
    this.#bytes = bytes;
  }

  get length(): number {
    return this.#bytes.length;
  }

  /** The raw bytes, for handing to node:crypto. Never log or serialise them. */
  unsafeBytes(): Buffer {
    return this.#bytes;
  }

  /** Overwrites the bytes with zeros. */
  zero(): void {
    this.#bytes.fill(0);
  }

  toString(): string {
    return `[secret ${this.#bytes.length} bytes]`;
  }

  toJSON(): string {
    return this.toString();
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/** The members of a KMS request or response that carry secret bytes (PlaintextType in the model, sensitive). */
export const SECRET_MEMBERS = ["Plaintext", "PrivateKeyPlaintext", "SharedSecret"] as const;

/** The secret buffers of one request, zeroed together when it is answered. */
export class RequestSecrets {
  readonly #held: Uint8Array[] = [];

  /** Takes `bytes` to be zeroed when the request ends; returns them for use until then. */
  hold<T extends Uint8Array>(bytes: T): T {
    this.#held.push(bytes);
    return bytes;
  }

  /** Holds every SECRET_MEMBERS member of a request or response that is bytes. */
  holdMembers(message: unknown): void {
    if (typeof message !== "object" || message === null) return;
    for (const member of SECRET_MEMBERS) {
      const value = (message as Record<string, unknown>)[member];
      if (value instanceof Uint8Array) this.hold(value);
    }
  }

  /** Zeroes everything held. */
  zero(): void {
    for (const bytes of this.#held.splice(0)) bytes.fill(0);
  }
}
