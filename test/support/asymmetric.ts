/**
 * Helpers for the asymmetric, HMAC and key-agreement end-to-end suites: the table of what
 * AWS lets each key spec do (written out here, independently of the server's own table),
 * key fixtures created once per suite, digests and the OpenSSL command line, and a small
 * RFC 8032 verifier for Ed25519ph (which OpenSSL 3.0's CLI and node:crypto cannot check).
 */
import { execFileSync } from "node:child_process";
import { createHash, createPublicKey, verify as nodeVerify, constants, type KeyObject } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateKeyCommand,
  type EncryptionAlgorithmSpec,
  type KMSClient,
  type KeyAgreementAlgorithmSpec,
  type KeyMetadata,
  type KeySpec,
  type KeyUsageType,
  type MacAlgorithmSpec,
  type MessageType,
  type SigningAlgorithmSpec,
} from "@aws-sdk/client-kms";

/** KeyMetadata of a key just created: KeyId and Arn are always there. */
export type Key = Omit<KeyMetadata, "KeyId" | "Arn" | "KeySpec" | "KeyUsage"> & {
  KeyId: string;
  Arn: string;
  KeySpec: KeySpec;
  KeyUsage: KeyUsageType;
};

/** Creates a key of the given spec and usage (omit both for a symmetric key). */
export async function createKey(kms: KMSClient, keySpec?: KeySpec, keyUsage?: KeyUsageType): Promise<Key> {
  const { KeyMetadata: metadata } = await kms.send(new CreateKeyCommand({ KeySpec: keySpec, KeyUsage: keyUsage }));
  if (!metadata?.KeyId || !metadata.Arn || !metadata.KeySpec || !metadata.KeyUsage) throw new Error("CreateKey returned no KeyId/Arn");
  return { ...metadata, KeyId: metadata.KeyId, Arn: metadata.Arn, KeySpec: metadata.KeySpec, KeyUsage: metadata.KeyUsage };
}

/** Bytes as a Buffer (the SDK returns Uint8Array); fails on undefined. */
export function bytes(value: Uint8Array | undefined): Buffer {
  if (!value) throw new Error("expected bytes, got undefined");
  return Buffer.from(value);
}

/**
 * Keys created on first use and shared by a suite: one per (spec, usage). Pass `preset` for
 * keys created elsewhere (the RSA_4096 keys of the concurrency check).
 */
export function keyFixtures(kms: () => KMSClient) {
  const cache = new Map<string, Promise<Key>>();
  return {
    get(keySpec: KeySpec, keyUsage: KeyUsageType): Promise<Key> {
      const name = `${keySpec}/${keyUsage}`;
      let key = cache.get(name);
      if (!key) {
        key = keySpec === "SYMMETRIC_DEFAULT" ? createKey(kms()) : createKey(kms(), keySpec, keyUsage);
        cache.set(name, key);
      }
      return key;
    },
    preset(key: Key): void {
      cache.set(`${key.KeySpec}/${key.KeyUsage}`, Promise.resolve(key));
    },
  };
}

/** The algorithm lists AWS shows for one (KeySpec, KeyUsage) pair; a list that does not apply is absent. */
export type ExpectedAlgorithms = {
  EncryptionAlgorithms?: EncryptionAlgorithmSpec[];
  SigningAlgorithms?: SigningAlgorithmSpec[];
  MacAlgorithms?: MacAlgorithmSpec[];
  KeyAgreementAlgorithms?: KeyAgreementAlgorithmSpec[];
};

const RSA_SIGNING: SigningAlgorithmSpec[] = [
  "RSASSA_PKCS1_V1_5_SHA_256",
  "RSASSA_PKCS1_V1_5_SHA_384",
  "RSASSA_PKCS1_V1_5_SHA_512",
  "RSASSA_PSS_SHA_256",
  "RSASSA_PSS_SHA_384",
  "RSASSA_PSS_SHA_512",
];

/** One (KeySpec, KeyUsage) pair AWS accepts, with the algorithm lists DescribeKey shows for it. */
export type KeySpecUsage = { spec: KeySpec; usage: KeyUsageType; algorithms: ExpectedAlgorithms };
const entry = (spec: KeySpec, usage: KeyUsageType, algorithms: ExpectedAlgorithms): KeySpecUsage => ({ spec, usage, algorithms });

/** Every (KeySpec, KeyUsage) pair AWS accepts outside China (ML-KEM aside), with its algorithm lists in AWS's order. */
export const KEY_SPEC_USAGES: readonly KeySpecUsage[] = [
  ...(["RSA_2048", "RSA_3072", "RSA_4096"] as const).flatMap((spec) => [
    entry(spec, "ENCRYPT_DECRYPT", { EncryptionAlgorithms: ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"] }),
    entry(spec, "SIGN_VERIFY", { SigningAlgorithms: RSA_SIGNING }),
  ]),
  ...([
    ["ECC_NIST_P256", "ECDSA_SHA_256"],
    ["ECC_NIST_P384", "ECDSA_SHA_384"],
    ["ECC_NIST_P521", "ECDSA_SHA_512"],
  ] as const).flatMap(([spec, algorithm]) => [
    entry(spec, "SIGN_VERIFY", { SigningAlgorithms: [algorithm] }),
    entry(spec, "KEY_AGREEMENT", { KeyAgreementAlgorithms: ["ECDH"] }),
  ]),
  entry("ECC_SECG_P256K1", "SIGN_VERIFY", { SigningAlgorithms: ["ECDSA_SHA_256"] }),
  entry("ECC_NIST_EDWARDS25519", "SIGN_VERIFY", { SigningAlgorithms: ["ED25519_SHA_512", "ED25519_PH_SHA_512"] }),
  ...(["ML_DSA_44", "ML_DSA_65", "ML_DSA_87"] as const).map((spec) => entry(spec, "SIGN_VERIFY", { SigningAlgorithms: ["ML_DSA_SHAKE_256"] })),
  ...([
    ["HMAC_224", "HMAC_SHA_224"],
    ["HMAC_256", "HMAC_SHA_256"],
    ["HMAC_384", "HMAC_SHA_384"],
    ["HMAC_512", "HMAC_SHA_512"],
  ] as const).map(([spec, algorithm]) => entry(spec, "GENERATE_VERIFY_MAC", { MacAlgorithms: [algorithm] })),
];

/** The key specs that predate CustomerMasterKeySpec's deprecation (AWS echoes them in it). */
export const CLASSIC_KEY_SPECS: readonly KeySpec[] = [
  "RSA_2048", "RSA_3072", "RSA_4096", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1",
  "HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512", "SYMMETRIC_DEFAULT",
];

/** How node:crypto describes the public key of each asymmetric spec. */
export const NODE_KEY_SHAPES: Readonly<Partial<Record<KeySpec, { type: string; modulusLength?: number; namedCurve?: string }>>> = {
  RSA_2048: { type: "rsa", modulusLength: 2048 },
  RSA_3072: { type: "rsa", modulusLength: 3072 },
  RSA_4096: { type: "rsa", modulusLength: 4096 },
  ECC_NIST_P256: { type: "ec", namedCurve: "prime256v1" },
  ECC_NIST_P384: { type: "ec", namedCurve: "secp384r1" },
  ECC_NIST_P521: { type: "ec", namedCurve: "secp521r1" },
  ECC_SECG_P256K1: { type: "ec", namedCurve: "secp256k1" },
  ECC_NIST_EDWARDS25519: { type: "ed25519" },
  ML_DSA_44: { type: "ml-dsa-44" },
  ML_DSA_65: { type: "ml-dsa-65" },
  ML_DSA_87: { type: "ml-dsa-87" },
  ML_KEM_512: { type: "ml-kem-512" },
  ML_KEM_768: { type: "ml-kem-768" },
  ML_KEM_1024: { type: "ml-kem-1024" },
};

/** One signing algorithm of one key spec, with the MessageTypes AWS accepts for it. */
export type SigningCase = { spec: KeySpec; algorithm: SigningAlgorithmSpec; messageTypes: MessageType[] };

/** Every signing algorithm of every signing key spec (RSA_4096 aside: its key comes from the concurrency check). */
export function signingCases(specs: readonly KeySpec[]): SigningCase[] {
  return KEY_SPEC_USAGES.filter(({ spec, usage }) => usage === "SIGN_VERIFY" && specs.includes(spec)).flatMap(({ spec, algorithms }) =>
    (algorithms.SigningAlgorithms ?? []).map((algorithm) => ({ spec, algorithm, messageTypes: messageTypesOf(algorithm) })),
  );
}

/** The MessageTypes AWS accepts with an algorithm. */
export function messageTypesOf(algorithm: SigningAlgorithmSpec): MessageType[] {
  if (algorithm === "ED25519_SHA_512") return ["RAW"];
  if (algorithm === "ED25519_PH_SHA_512") return ["DIGEST"];
  if (algorithm === "ML_DSA_SHAKE_256") return ["RAW", "EXTERNAL_MU"];
  return ["RAW", "DIGEST"];
}

/** The hash of a hashed signing algorithm (sha256/384/512), or undefined for pure Ed25519 and ML-DSA. */
export function hashOf(algorithm: SigningAlgorithmSpec): "sha256" | "sha384" | "sha512" | undefined {
  if (algorithm === "ED25519_SHA_512" || algorithm === "ML_DSA_SHAKE_256") return undefined;
  const suffix = algorithm.slice(-3);
  if (suffix === "256" || suffix === "384" || suffix === "512") return `sha${suffix}`;
  return undefined;
}

/** The raw key bytes inside a SubjectPublicKeyInfo (EC point, Ed25519 or ML-DSA key), read from the DER by hand. */
export function rawPublicKey(spki: Uint8Array): Buffer {
  const der = Buffer.from(spki);
  const body = readDer(der, 0).content;
  const algorithm = readDer(body, 0);
  return readDer(body, algorithm.end).content.subarray(1);
}

function readDer(der: Buffer, offset: number): { tag: number; content: Buffer; end: number } {
  const tag = der[offset];
  let length = der[offset + 1];
  if (tag === undefined || length === undefined) throw new Error("truncated DER");
  let cursor = offset + 2;
  if (length & 0x80) {
    const octets = length & 0x7f;
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + (der[cursor++] ?? 0);
  }
  return { tag, content: der.subarray(cursor, cursor + length), end: cursor + length };
}

/** FIPS 204 external mu for pure ML-DSA with an empty context: SHAKE256(SHAKE256(pk, 64) || 0 || 0 || M, 64). */
export function mlDsaMu(spki: Uint8Array, message: Uint8Array): Buffer {
  const tr = createHash("shake256", { outputLength: 64 }).update(rawPublicKey(spki)).digest();
  return createHash("shake256", { outputLength: 64 }).update(tr).update(Buffer.from([0, 0])).update(message).digest();
}

/** What the caller sends as Message for a MessageType, given the original message. */
export function messageFor(algorithm: SigningAlgorithmSpec, messageType: MessageType, message: Buffer, spki: Uint8Array): Buffer {
  if (messageType === "RAW") return message;
  if (messageType === "EXTERNAL_MU") return mlDsaMu(spki, message);
  const hash = hashOf(algorithm);
  if (!hash) throw new Error(`${algorithm} has no DIGEST form`);
  return createHash(hash).update(message).digest();
}

/**
 * Checks a KMS signature over `message` (the original message, whatever MessageType was used)
 * with node:crypto and the public key. Ed25519ph is not something node can check (see rfc8032Verify).
 */
export function nodeVerifies(spki: Uint8Array, algorithm: SigningAlgorithmSpec, message: Buffer, signature: Uint8Array): boolean {
  const key: KeyObject = createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" });
  const hash = hashOf(algorithm);
  if (algorithm.startsWith("RSASSA_PSS")) {
    // AWS signs PSS with a salt as long as the digest; a fixed salt length makes OpenSSL insist on it.
    const saltLength = { sha256: 32, sha384: 48, sha512: 64 }[hash ?? "sha256"];
    return nodeVerify(hash ?? null, message, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }, signature);
  }
  if (algorithm.startsWith("RSASSA_PKCS1")) return nodeVerify(hash ?? null, message, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
  if (algorithm.startsWith("ECDSA")) return nodeVerify(hash ?? null, message, { key, dsaEncoding: "der" }, signature);
  if (algorithm === "ED25519_SHA_512" || algorithm === "ML_DSA_SHAKE_256") return nodeVerify(null, message, key, signature);
  throw new Error(`node:crypto cannot verify ${algorithm}`);
}

// ---- the OpenSSL command line ----

/** A scratch directory for files handed to the openssl CLI. */
export function scratchDirectory() {
  const directory = mkdtempSync(join(tmpdir(), "kmsd-e2e-openssl-"));
  let counter = 0;
  return {
    /** Writes bytes to a fresh file and returns its path. */
    write(content: Uint8Array | string): string {
      const path = join(directory, `f${counter++}`);
      writeFileSync(path, content);
      return path;
    },
    remove(): void {
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** PEM armour built by hand from DER, so that OpenSSL reads exactly the bytes KMS returned. */
export function pem(label: "PUBLIC KEY" | "PRIVATE KEY", der: Uint8Array): string {
  const lines = Buffer.from(der).toString("base64").match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/** Runs the openssl CLI; returns stdout, throws (with stderr) on a non-zero exit. */
export function openssl(args: readonly string[]): Buffer {
  return execFileSync("openssl", args, { stdio: ["ignore", "pipe", "pipe"] });
}

/** Whether an openssl command exits 0 (how `-verify` reports success). */
export function opensslSucceeds(args: readonly string[]): boolean {
  try {
    openssl(args);
    return true;
  } catch {
    return false;
  }
}

// ---- Ed25519ph, checked from RFC 8032 itself ----

/** dom2(1, "") of RFC 8032 §5.1: the Ed25519ph domain separator with an empty context. */
export const ED25519PH_DOMAIN = Buffer.concat([Buffer.from("SigEd25519 no Ed25519 collisions"), Buffer.from([1, 0])]);

const P = 2n ** 255n - 19n;
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const mod = (a: bigint, m = P): bigint => ((a % m) + m) % m;
function power(base: bigint, exponent: bigint): bigint {
  let result = 1n;
  let b = mod(base);
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % P;
    b = (b * b) % P;
  }
  return result;
}
const D = mod(-121665n * power(121666n, P - 2n));
const SQRT_MINUS_1 = power(2n, (P - 1n) / 4n);
/** A point in extended coordinates (X, Y, Z, T). */
type Point = readonly [bigint, bigint, bigint, bigint];

function pointAdd([x1, y1, z1, t1]: Point, [x2, y2, z2, t2]: Point): Point {
  const a = mod((y1 - x1) * (y2 - x2));
  const b = mod((y1 + x1) * (y2 + x2));
  const c = mod(2n * D * t1 * t2);
  const d = mod(2n * z1 * z2);
  const [e, f, g, h] = [b - a, d - c, d + c, b + a];
  return [mod(e * f), mod(g * h), mod(f * g), mod(e * h)];
}
function pointMultiply(scalar: bigint, point: Point): Point {
  let result: Point = [0n, 1n, 1n, 0n];
  let addend = point;
  for (let s = scalar; s > 0n; s >>= 1n) {
    if (s & 1n) result = pointAdd(result, addend);
    addend = pointAdd(addend, addend);
  }
  return result;
}
function pointsEqual([x1, y1, z1]: Point, [x2, y2, z2]: Point): boolean {
  return mod(x1 * z2 - x2 * z1) === 0n && mod(y1 * z2 - y2 * z1) === 0n;
}
const littleEndian = (value: Uint8Array): bigint => BigInt(`0x${Buffer.from(value).reverse().toString("hex") || "0"}`);
/** RFC 8032 §5.1.3 point decoding; undefined for an invalid encoding. */
function decodePoint(encoded: Uint8Array): Point | undefined {
  if (encoded.length !== 32) return undefined;
  const raw = Buffer.from(encoded);
  const sign = ((raw[31] ?? 0) >> 7) & 1;
  raw[31] = (raw[31] ?? 0) & 0x7f;
  const y = littleEndian(raw);
  if (y >= P) return undefined;
  const u = mod(y * y - 1n);
  const v = mod(D * y * y + 1n);
  let x = mod(u * power(v, 3n) * power(u * power(v, 7n), (P - 5n) / 8n));
  if (mod(v * x * x - u) !== 0n) {
    if (mod(v * x * x + u) !== 0n) return undefined;
    x = mod(x * SQRT_MINUS_1);
  }
  if (x === 0n && sign === 1) return undefined;
  if (Number(x & 1n) !== sign) x = P - x;
  return [x, y, 1n, mod(x * y)];
}
const BASE_POINT = decodePoint(Buffer.from("5866666666666666666666666666666666666666666666666666666666666666", "hex")) as Point;

/**
 * RFC 8032 §5.1.7 verification: [S]B = R + [k]A with k = SHA-512(domain || R || A || M').
 * Pure Ed25519: empty domain, M' = message. Ed25519ph: ED25519PH_DOMAIN, M' = SHA-512(message).
 */
export function rfc8032Verify(publicKey: Uint8Array, signature: Uint8Array, domain: Uint8Array, input: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  const r = decodePoint(signature.subarray(0, 32));
  const a = decodePoint(publicKey);
  const s = littleEndian(signature.subarray(32));
  if (!r || !a || s >= L) return false;
  const k = mod(littleEndian(createHash("sha512").update(domain).update(signature.subarray(0, 32)).update(publicKey).update(input).digest()), L);
  return pointsEqual(pointMultiply(s, BASE_POINT), pointAdd(r, pointMultiply(k, a)));
}
