/**
 * The SHA-256 / HMAC-SHA256 implementation handed to @smithy/signature-v4 when it
 * recomputes a signature. Same contract as @smithy/hash-node's Hash, but HMAC keys (the
 * secret access key, the derived signing key) are prepared once and reused: preparing a
 * key on every createHmac was the largest single cost of verifying a request.
 */
import { createHash, createHmac, createSecretKey, type Hash, type Hmac, type KeyObject } from "node:crypto";

type SourceData = string | ArrayBuffer | ArrayBufferView;

const MAX_KEYS = 1024;
const preparedKeys = new Map<string, KeyObject>();

/** A Checksum (the interface @smithy/signature-v4 takes) over node:crypto with prepared HMAC keys. */
export class PreparedSha256 {
  readonly #secret: SourceData | undefined;
  #hash: Hash | Hmac;

  constructor(secret?: SourceData) {
    this.#secret = secret;
    this.#hash = start(secret);
  }

  update(data: SourceData): void {
    this.#hash.update(bytes(data));
  }

  async digest(): Promise<Uint8Array> {
    return this.#hash.digest();
  }

  reset(): void {
    this.#hash = start(this.#secret);
  }
}

function start(secret: SourceData | undefined): Hash | Hmac {
  return secret === undefined ? createHash("sha256") : createHmac("sha256", keyFor(secret));
}

function keyFor(secret: SourceData): KeyObject {
  const raw = bytes(secret);
  const cacheKey = raw.toString("base64");
  let key = preparedKeys.get(cacheKey);
  if (!key) {
    if (preparedKeys.size >= MAX_KEYS) preparedKeys.delete(preparedKeys.keys().next().value as string);
    key = createSecretKey(raw);
    preparedKeys.set(cacheKey, key);
  }
  return key;
}

function bytes(data: SourceData): Buffer {
  if (typeof data === "string") return Buffer.from(data, "utf8");
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}
