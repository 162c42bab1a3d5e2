/**
 * The root of trust. Every piece of key material (and every stored secret access key)
 * is wrapped by the root key before it reaches the database, with AES-256-GCM and
 * additional data that binds it to where it belongs (a key ARN and version id, an
 * access key id), so a wrapped blob cannot be moved to another record.
 *
 * The root key itself comes from the node's seal (src/seal/): a plaintext file in the
 * `file` mode (FileRootKey), or unwrapped from the data directory's seal file by Shamir
 * shares, another KMS or a PKCS#11 token. In memory it is a WrappingKey: its bytes live in
 * one buffer of their own that `destroy()` zeroes when the node seals.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto";
import { closeSync, openSync, readFileSync, writeSync } from "node:fs";
import { SecretBytes } from "./secret.ts";

/** Wraps and unwraps secrets at rest. */
export interface RootKey {
  /** Wraps under the current root key generation; the result names that generation. */
  wrap(plaintext: Buffer, aad: Buffer): Buffer;
  /** Throws if the blob was altered or belongs to other additional data. */
  unwrap(wrapped: Buffer, aad: Buffer): Buffer;
  /** A 32-byte key for one internal purpose (an "AWS owned key"), derived deterministically from the root key. */
  deriveKey(purpose: string): Buffer;
}

/**
 * The wrap formats. v1, `01 | iv(12) | ciphertext | tag(16)`, is what generation 1 (the
 * root key a deployment was created with) writes, and every key that wraps a root key.
 * v2, `02 | generation(4, big-endian) | iv(12) | ciphertext | tag(16)`, names a later
 * root key generation (kmsd operator rotate-root), so wraps under an old and a new root key
 * coexist while a rotation runs and a reader knows which key each needs; its first five
 * bytes are authenticated with the caller's additional data, so the generation cannot be
 * altered.
 */
const WRAP_FORMAT_V1 = 0x01;
const WRAP_FORMAT_V2 = 0x02;
const V2_HEADER_LENGTH = 5;
const IV_LENGTH = 12;
const TAG_LENGTH = 16;
/** The generation of the root key a deployment starts with (and of every wrap in format v1). */
export const FIRST_GENERATION = 1;

/** The root key generation a wrapped secret names; throws on a blob that is no wrap of kmsd's. */
export function wrapGeneration(wrapped: Uint8Array): number {
  if (wrapped.length >= 1 + IV_LENGTH + TAG_LENGTH && wrapped[0] === WRAP_FORMAT_V1) return FIRST_GENERATION;
  if (wrapped.length >= V2_HEADER_LENGTH + IV_LENGTH + TAG_LENGTH && wrapped[0] === WRAP_FORMAT_V2) {
    return Buffer.from(wrapped.buffer, wrapped.byteOffset, wrapped.length).readUInt32BE(1);
  }
  throw new Error("wrapped secret has an unknown format");
}
/** A root key (and every key that wraps one) is an AES-256 key. */
export const ROOT_KEY_LENGTH = 32;

/**
 * An AES-256-GCM wrapping key held in memory: the root key, or a key that wraps the
 * root key (a Shamir unseal key). Once destroyed its bytes are zeros and every use
 * throws, so nothing can be wrapped under a zeroed key by a request still in flight.
 */
export class WrappingKey implements RootKey {
  readonly #key: SecretBytes;
  #destroyed = false;

  private constructor(key: SecretBytes) {
    this.#key = key;
  }

  /** A fresh random key. */
  static generate(): WrappingKey {
    return WrappingKey.adopt(randomBytes(ROOT_KEY_LENGTH));
  }

  /** Takes the key's bytes: copies them into a buffer of its own and zeroes `bytes`. */
  static adopt(bytes: Uint8Array): WrappingKey {
    if (bytes.length !== ROOT_KEY_LENGTH) throw new Error(`a root key is ${ROOT_KEY_LENGTH} bytes, not ${bytes.length}`);
    const key = SecretBytes.copyOf(bytes);
    bytes.fill(0);
    return new WrappingKey(key);
  }

  /**
   * Lends the raw key bytes to `use` (to wrap them under another key, or hand them to a
   * worker process); the bytes must not outlive the call.
   */
  withBytes<T>(use: (bytes: Buffer) => T): T {
    return use(this.#live());
  }

  /** Zeroes the key; every later use throws. */
  destroy(): void {
    this.#destroyed = true;
    this.#key.zero();
  }

  get destroyed(): boolean {
    return this.#destroyed;
  }

  /** Wraps as root key generation `generation` (format v1 for the first, v2 naming it for later ones). */
  wrap(plaintext: Buffer, aad: Buffer, generation: number = FIRST_GENERATION): Buffer {
    if (!Number.isInteger(generation) || generation < FIRST_GENERATION || generation > 0xffffffff) throw new Error(`no root key generation ${generation}`);
    const header = generation === FIRST_GENERATION ? Buffer.from([WRAP_FORMAT_V1]) : Buffer.alloc(V2_HEADER_LENGTH);
    if (generation !== FIRST_GENERATION) {
      header[0] = WRAP_FORMAT_V2;
      header.writeUInt32BE(generation, 1);
    }
    const iv = randomBytes(IV_LENGTH);
    const cipher = createCipheriv("aes-256-gcm", this.#live(), iv);
    cipher.setAAD(authenticatedData(header, aad));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([header, iv, body, cipher.getAuthTag()]);
  }

  /** Unwraps either format; the generation a blob names is the caller's business (RootKeyring picks the key by it). */
  unwrap(wrapped: Buffer, aad: Buffer): Buffer {
    wrapGeneration(wrapped); // checks the format and the length
    const headerLength = wrapped[0] === WRAP_FORMAT_V1 ? 1 : V2_HEADER_LENGTH;
    const header = wrapped.subarray(0, headerLength);
    const iv = wrapped.subarray(headerLength, headerLength + IV_LENGTH);
    const tag = wrapped.subarray(wrapped.length - TAG_LENGTH);
    const decipher = createDecipheriv("aes-256-gcm", this.#live(), iv);
    decipher.setAAD(authenticatedData(header, aad));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(wrapped.subarray(headerLength + IV_LENGTH, wrapped.length - TAG_LENGTH)), decipher.final()]);
  }

  deriveKey(purpose: string): Buffer {
    return createHmac("sha256", this.#live()).update(`kmsd internal key\n${purpose}`, "utf8").digest();
  }

  #live(): Buffer {
    if (this.#destroyed) throw new Error("the root key was destroyed: the node is sealed");
    return this.#key.unsafeBytes();
  }

  toString(): string {
    return "[root key]";
  }

  toJSON(): string {
    return this.toString();
  }
}

/** What GCM authenticates: v1 authenticates the caller's data alone (as it always did), v2 its header too. */
function authenticatedData(header: Buffer, aad: Buffer): Buffer {
  return header.length === 1 ? aad : Buffer.concat([header, aad]);
}

/** The `file` seal mode: the root key in a plaintext file of its own (mode 0600) beside the database. */
export const FileRootKey = {
  /** Loads the root key file, creating it with fresh random bytes (mode 0600) if absent. */
  loadOrCreate(path: string): WrappingKey {
    try {
      return FileRootKey.load(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    const key = randomBytes(ROOT_KEY_LENGTH);
    // "wx": never overwrite a root key that appeared meanwhile (another process won the race).
    let fd: number;
    try {
      fd = openSync(path, "wx", 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") return FileRootKey.load(path);
      throw error;
    }
    try {
      writeSync(fd, key);
    } finally {
      closeSync(fd);
    }
    return WrappingKey.adopt(key);
  },

  /** Loads an existing root key file. */
  load(path: string): WrappingKey {
    const key = readFileSync(path);
    if (key.length !== ROOT_KEY_LENGTH) {
      key.fill(0);
      throw new Error(`root key file ${path} is ${key.length} bytes; expected ${ROOT_KEY_LENGTH}`);
    }
    return WrappingKey.adopt(key);
  },
};
