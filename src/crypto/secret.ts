/**
 * Secret bytes in their own type: an isolated buffer of exact length that redacts
 * itself in logs, JSON and `util.inspect`, and can be zeroed when done. The root key
 * and the keys that wrap it (src/crypto/rootKey.ts) and unseal key shares while they
 * are collected (src/seal/) are held as SecretBytes, so an accidental log line prints
 * `[secret 32 bytes]`, never the bytes, and sealing a node zeroes them.
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
