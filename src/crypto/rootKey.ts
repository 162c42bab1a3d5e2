/**
 * The root of trust. Every piece of key material (and every stored secret access key)
 * is wrapped by the root key before it reaches the database, with AES-256-GCM and
 * additional data that binds it to where it belongs (a key ARN and version id, an
 * access key id), so a wrapped blob cannot be moved to another record.
 *
 * The embedded default keeps the root key in a file of its own (mode 0600) next to
 * the database; other roots of trust (sealed passphrase, PKCS#11) implement RootKey.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto";

import { closeSync, openSync, readFileSync, writeSync } from "node:fs";

/** Wraps and unwraps secrets at rest. */
export interface RootKey {
  wrap(plaintext: Buffer, aad: Buffer): Buffer;
  /** Throws if the blob was altered or belongs to other additional data. */
  unwrap(wrapped: Buffer, aad: Buffer): Buffer;
  /** A 32-byte key for one internal purpose (an "AWS owned key"), derived deterministically from the root key. */
  deriveKey(purpose: string): Buffer;
}

const WRAP_FORMAT_V1 = 0x01;
const IV_LENGTH = 12;
const TAG_LENGTH = 16;
const ROOT_KEY_LENGTH = 32;

/** A root key held in memory, loaded from (or created as) a key file. */
export class FileRootKey implements RootKey {
  readonly #key: Buffer;

  private constructor(key: Buffer) {
    this.#key = key;
  }

  /** Loads the root key file, creating it with fresh random bytes (mode 0600) if absent. */
  static loadOrCreate(path: string): FileRootKey {
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
    return new FileRootKey(key);
  }

  /** Loads an existing root key file. */
  static load(path: string): FileRootKey {
    const key = readFileSync(path);
    if (key.length !== ROOT_KEY_LENGTH) {
      throw new Error(`root key file ${path} is ${key.length} bytes; expected ${ROOT_KEY_LENGTH}`);
    }
    return new FileRootKey(key);
  }

  wrap(plaintext: Buffer, aad: Buffer): Buffer {
    const iv = randomBytes(IV_LENGTH);
    const cipher = createCipheriv("aes-256-gcm", this.#key, iv);
    cipher.setAAD(aad);
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([Buffer.from([WRAP_FORMAT_V1]), iv, body, cipher.getAuthTag()]);
  }

  unwrap(wrapped: Buffer, aad: Buffer): Buffer {
    if (wrapped.length < 1 + IV_LENGTH + TAG_LENGTH || wrapped[0] !== WRAP_FORMAT_V1) {
      throw new Error("wrapped secret has an unknown format");
    }
    const iv = wrapped.subarray(1, 1 + IV_LENGTH);
    const tag = wrapped.subarray(wrapped.length - TAG_LENGTH);
    const decipher = createDecipheriv("aes-256-gcm", this.#key, iv);
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(wrapped.subarray(1 + IV_LENGTH, wrapped.length - TAG_LENGTH)), decipher.final()]);
  }

  deriveKey(purpose: string): Buffer {
    return createHmac("sha256", this.#key).update(`kmsd internal key\n${purpose}`, "utf8").digest();
  }

  toString(): string {
    return "[root key]";
  }
}
