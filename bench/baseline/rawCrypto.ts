/**
 * Baseline 2: the raw cryptographic work of each operation, done with node:crypto in a
 * synchronous loop on one thread (one core), no HTTP, no JSON, no SigV4. For symmetric
 * operations it is exactly what kmsd's format needs per request: the HMAC-SHA256
 * counter-mode KDF for the message key plus AES-256-GCM over the 78-byte header as
 * additional data; plain AES-GCM is measured too, for reference.
 *
 *   node bench/baseline/rawCrypto.ts [--duration=1]    prints ops/s per core as JSON
 */
import { constants, createCipheriv, createDecipheriv, createHmac, generateKeyPairSync, randomBytes, sign, verify, type KeyObject } from "node:crypto";

const LABEL = Buffer.from("kmsd symmetric v1", "utf8");
const HEADER = 78;

function derive(material: Buffer, context: Buffer): Buffer {
  return createHmac("sha256", material)
    .update(Buffer.from([0, 0, 0, 1]))
    .update(LABEL)
    .update(Buffer.from([0]))
    .update(context)
    .update(Buffer.from([0, 0, 1, 0]))
    .digest();
}

function seal(material: Buffer, plaintext: Buffer, context: Buffer): Buffer {
  const out = Buffer.allocUnsafe(HEADER + plaintext.length + 16);
  out.fill(1, 0, 50);
  randomBytes(28).copy(out, 50);
  const cipher = createCipheriv("aes-256-gcm", derive(material, out.subarray(0, 66)), out.subarray(66, HEADER));
  cipher.setAAD(Buffer.concat([out.subarray(0, HEADER), context]));
  let offset = HEADER + cipher.update(plaintext).copy(out, HEADER);
  offset += cipher.final().copy(out, offset);
  cipher.getAuthTag().copy(out, offset);
  return out;
}

function open(material: Buffer, blob: Buffer, context: Buffer): Buffer {
  const decipher = createDecipheriv("aes-256-gcm", derive(material, blob.subarray(0, 66)), blob.subarray(66, HEADER));
  decipher.setAAD(Buffer.concat([blob.subarray(0, HEADER), context]));
  decipher.setAuthTag(blob.subarray(blob.length - 16));
  return Buffer.concat([decipher.update(blob.subarray(HEADER, blob.length - 16)), decipher.final()]);
}

function plainGcm(key: Buffer, plaintext: Buffer): Buffer {
  const cipher = createCipheriv("aes-256-gcm", key, randomBytes(12));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([body, cipher.getAuthTag()]);
}

/** Operations per second of `operation` in a loop for `durationMs` on this thread. */
function rate(durationMs: number, operation: () => unknown): number {
  for (let i = 0; i < 20; i++) operation(); // warm-up
  const started = performance.now();
  const deadline = started + durationMs;
  let done = 0;
  let batch = 1;
  while (performance.now() < deadline) {
    for (let i = 0; i < batch; i++) operation();
    done += batch;
    if (batch < 256) batch *= 2;
  }
  return (done / (performance.now() - started)) * 1000;
}

/** The raw rates, ops/s on one core, keyed by baseline name. */
export function measureRawCrypto(durationMs: number): Record<string, number> {
  const material = randomBytes(32);
  // The encryption context the benchmark sends ({app, tenant}), encoded as kmsd encodes it.
  const context = Buffer.from("0002000361707000056265 6e6368000674656e616e740002 7431".replaceAll(" ", ""), "hex");
  const small = randomBytes(32);
  const large = randomBytes(4096);
  const smallBlob = seal(material, small, context);
  const message = randomBytes(256);
  const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const ecc = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const pss = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
  const rsaSignature = sign("sha256", message, { key: rsa.privateKey, ...pss });
  const eccSignature = sign("sha256", message, { key: ecc.privateKey, dsaEncoding: "der" });
  const hmacKey = randomBytes(32);
  const signWith = (key: KeyObject, options: object) => () => sign("sha256", message, { key, ...options });
  return {
    "aes-256-gcm 32 B": rate(durationMs, () => plainGcm(material, small)),
    "kdf + aes-256-gcm seal 32 B": rate(durationMs, () => seal(material, small, context)),
    "aes-256-gcm 4 KiB": rate(durationMs, () => plainGcm(material, large)),
    "kdf + aes-256-gcm seal 4 KiB": rate(durationMs, () => seal(material, large, context)),
    "kdf + aes-256-gcm open 32 B": rate(durationMs, () => open(material, smallBlob, context)),
    "random 32 B + kdf + aes-256-gcm seal": rate(durationMs, () => seal(material, randomBytes(32), context)),
    "open + seal 32 B": rate(durationMs, () => seal(material, open(material, smallBlob, context), context)),
    "hmac-sha256 256 B": rate(durationMs, () => createHmac("sha256", hmacKey).update(message).digest()),
    "rsa-2048 pss sign": rate(durationMs, signWith(rsa.privateKey, pss)),
    "rsa-2048 pss verify": rate(durationMs, () => verify("sha256", message, { key: rsa.publicKey, ...pss }, rsaSignature)),
    "ecdsa p-256 sign": rate(durationMs, signWith(ecc.privateKey, { dsaEncoding: "der" })),
    "ecdsa p-256 verify": rate(durationMs, () => verify("sha256", message, { key: ecc.publicKey, dsaEncoding: "der" }, eccSignature)),
  };
}

if (import.meta.main) {
  const found = process.argv.find((argument) => argument.startsWith("--duration="));
  const seconds = found ? Number(found.slice("--duration=".length)) : 1;
  process.stdout.write(`${JSON.stringify(measureRawCrypto(seconds * 1000), null, 2)}\n`);
}
