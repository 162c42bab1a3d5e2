/**
 * Baseline 1, "the ceiling for Node on this machine": the least a server must do to
 * answer Encrypt, Decrypt, GenerateDataKey and ReEncrypt the way kmsd does, on the same
 * HTTP stack (node:http), and nothing else: read the body, parse the JSON, verify the
 * SigV4 signature with @smithy/signature-v4 as kmsd's src/server/sigv4.ts did before it
 * kept derived signing keys (x-amz-content-sha256 check, a fresh signer per request,
 * constant-time compare),
 * derive the per-message key with the same HMAC-SHA256 counter-mode KDF and seal/open
 * with AES-256-GCM over a blob laid out like kmsd's, and answer JSON with the same
 * headers. No storage (key material is derived from the key id), no authorization, no
 * audit, no model validation. GenerateMac (HMAC_SHA_256) and Sign (ECC_NIST_P256,
 * ECDSA_SHA_256, RAW) use the key id's material or a key pair made on first use.
 * CreateKey answers a fresh id (so the benchmark's set-up can run unchanged) and stores
 * nothing.
 *
 * This file is deliberately independent of src/: the baseline must not move when kmsd
 * is optimised.
 *
 *   node bench/baseline/minimalServer.ts [--port 0] [--workers N]
 *   env BENCH_ACCESS_KEY_ID, BENCH_SECRET_ACCESS_KEY: the one accepted credential
 *
 * Logs {"message":"listening","port":N} on stderr, like kmsd; stops on SIGTERM/SIGINT.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  generateKeyPairSync,
  randomBytes,
  randomUUID,
  sign,
  timingSafeEqual,
  type KeyObject,
} from "node:crypto";
import cluster from "node:cluster";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Hash } from "@smithy/hash-node";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";

const ACCOUNT = "111122223333";
const REGION = "us-east-1";
const MAX_BODY_BYTES = 512 * 1024;
const MAX_SKEW_MS = 5 * 60 * 1000;
const AUTHORIZATION = /^AWS4-HMAC-SHA256 +Credential=([^,\s]+), *SignedHeaders=([^,\s]+), *Signature=([0-9a-f]{64})$/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const KDF_LABEL = Buffer.from("kmsd symmetric v1", "utf8");
const HEADER_LENGTH = 78;
const TAG_LENGTH = 16;

const secrets = new Map<string, string>([[process.env.BENCH_ACCESS_KEY_ID ?? "AKIABENCHMINIMAL0001", process.env.BENCH_SECRET_ACCESS_KEY ?? "bench-secret"]]);
// The same in every worker process, so any of them opens what another sealed.
const master = createHash("sha256").update(`kmsd-bench minimal server ${process.env.BENCH_SECRET_ACCESS_KEY ?? ""}`).digest();
/** Key material per key id, derived on first use (what a cache hit costs in kmsd). */
const materials = new Map<string, { material: Buffer; materialId: Buffer }>();
/** ECC_NIST_P256 private keys per key id, generated on first use (a parsed key pair in kmsd's cache). */
const signingKeys = new Map<string, KeyObject>();

class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, message: string, status = 400) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

async function authenticate(req: IncomingMessage, body: Buffer): Promise<void> {
  const match = AUTHORIZATION.exec((single(req.headers.authorization) ?? "").trim());
  if (!match) throw new ApiError("IncompleteSignatureException", "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature'.");
  const [, credential = "", signedHeaders = "", signature = ""] = match;
  const [accessKeyId = "", scopeDate = "", region = "", service = ""] = credential.split("/");
  const amzDate = single(req.headers["x-amz-date"]) ?? "";
  const date = AMZ_DATE.exec(amzDate);
  if (!date) throw new ApiError("IncompleteSignatureException", "Missing X-Amz-Date.");
  const [, y, mo, d, h, mi, s] = date.map(Number) as number[];
  const signedAtMs = Date.UTC(y ?? 0, (mo ?? 1) - 1, d, h, mi, s);
  if (Math.abs(signedAtMs - Date.now()) > MAX_SKEW_MS) throw new ApiError("InvalidSignatureException", "Signature expired.");
  const secretAccessKey = secrets.get(accessKeyId);
  if (secretAccessKey === undefined) throw new ApiError("UnrecognizedClientException", "The security token included in the request is invalid.");
  if (amzDate.slice(0, 8) !== scopeDate) throw new ApiError("InvalidSignatureException", "Credential scope date mismatch.");
  const names = signedHeaders.split(";");
  const signed: Record<string, string> = {};
  for (const name of names) {
    const value = req.headers[name];
    if (value === undefined) throw new ApiError("InvalidSignatureException", "Signature mismatch.");
    signed[name] = Array.isArray(value) ? value.join(",") : value;
  }
  const declaredHash = signed["x-amz-content-sha256"];
  if (declaredHash !== undefined && declaredHash !== createHash("sha256").update(body).digest("hex")) {
    throw new ApiError("InvalidSignatureException", "The provided 'x-amz-content-sha256' header does not match what was computed.");
  }
  const signer = new SignatureV4({
    credentials: { accessKeyId, secretAccessKey },
    region,
    service,
    sha256: Hash.bind(null, "sha256"),
    uriEscapePath: true,
    applyChecksum: false,
  });
  const url = new URL(req.url ?? "/", "http://localhost");
  const resigned = await signer.sign(
    new HttpRequest({ method: req.method ?? "POST", path: url.pathname, query: Object.fromEntries(url.searchParams), headers: signed, body }),
    { signingDate: new Date(signedAtMs), signableHeaders: new Set(names), signingRegion: region, signingService: service },
  );
  const expected = Buffer.from(/Signature=([0-9a-f]{64})/.exec(String(resigned.headers.authorization ?? ""))?.[1] ?? "", "utf8");
  const given = Buffer.from(signature, "utf8");
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw new ApiError("InvalidSignatureException", "Signature mismatch.");
}

function materialOf(keyId: string): { material: Buffer; materialId: Buffer } {
  let entry = materials.get(keyId);
  if (!entry) {
    const material = createHmac("sha256", master).update(keyId).digest();
    entry = { material, materialId: createHash("sha256").update(material).digest() };
    materials.set(keyId, entry);
  }
  return entry;
}

function deriveKey(material: Buffer, context: Buffer): Buffer {
  // NIST SP 800-108 counter mode, one block: HMAC(K, [1]32 || label || 0x00 || context || [256]32).
  return createHmac("sha256", material)
    .update(Buffer.from([0, 0, 0, 1]))
    .update(KDF_LABEL)
    .update(Buffer.from([0]))
    .update(context)
    .update(Buffer.from([0, 0, 1, 0]))
    .digest();
}

function encodeContext(context: unknown): Buffer {
  const entries = context && typeof context === "object" ? Object.entries(context as Record<string, unknown>) : [];
  const pairs = entries.map(([k, v]) => [Buffer.from(k, "utf8"), Buffer.from(String(v), "utf8")] as const).sort((a, b) => Buffer.compare(a[0], b[0]));
  let size = 2;
  for (const [k, v] of pairs) size += 4 + k.length + v.length;
  const out = Buffer.alloc(size);
  let offset = out.writeUInt16BE(pairs.length, 0);
  for (const [k, v] of pairs) {
    offset = out.writeUInt16BE(k.length, offset);
    offset += k.copy(out, offset);
    offset = out.writeUInt16BE(v.length, offset);
    offset += v.copy(out, offset);
  }
  return out;
}

function keyIdOf(input: Record<string, unknown>, member = "KeyId"): string {
  const keyId = input[member];
  if (typeof keyId !== "string" || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(keyId)) {
    throw new ApiError("NotFoundException", `Invalid keyId ${String(keyId)}`);
  }
  return keyId;
}

function seal(keyId: string, plaintext: Buffer, context: unknown): Buffer {
  const { material, materialId } = materialOf(keyId);
  const out = Buffer.allocUnsafe(HEADER_LENGTH + plaintext.length + TAG_LENGTH);
  out[0] = 1;
  out[1] = 0;
  out.write(keyId.replaceAll("-", ""), 2, 16, "hex");
  materialId.copy(out, 18);
  randomBytes(28).copy(out, 50);
  const cipher = createCipheriv("aes-256-gcm", deriveKey(material, out.subarray(0, 66)), out.subarray(66, HEADER_LENGTH));
  cipher.setAAD(Buffer.concat([out.subarray(0, HEADER_LENGTH), encodeContext(context)]));
  let offset = HEADER_LENGTH + cipher.update(plaintext).copy(out, HEADER_LENGTH);
  offset += cipher.final().copy(out, offset);
  cipher.getAuthTag().copy(out, offset);
  return out;
}

function open(blob: Buffer, context: unknown): { keyId: string; plaintext: Buffer } {
  if (blob.length < HEADER_LENGTH + TAG_LENGTH || blob[0] !== 1) throw new ApiError("InvalidCiphertextException", "");
  const hex = blob.subarray(2, 18).toString("hex");
  const keyId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  const { material } = materialOf(keyId);
  try {
    const decipher = createDecipheriv("aes-256-gcm", deriveKey(material, blob.subarray(0, 66)), blob.subarray(66, HEADER_LENGTH));
    decipher.setAAD(Buffer.concat([blob.subarray(0, HEADER_LENGTH), encodeContext(context)]));
    decipher.setAuthTag(blob.subarray(blob.length - TAG_LENGTH));
    return { keyId, plaintext: Buffer.concat([decipher.update(blob.subarray(HEADER_LENGTH, blob.length - TAG_LENGTH)), decipher.final()]) };
  } catch {
    throw new ApiError("InvalidCiphertextException", "");
  }
}

function blobOf(input: Record<string, unknown>, member: string): Buffer {
  const value = input[member];
  if (typeof value !== "string") throw new ApiError("ValidationException", `${member} is required.`);
  return Buffer.from(value, "base64");
}

const arn = (keyId: string) => `arn:aws:kms:${REGION}:${ACCOUNT}:key/${keyId}`;

function operate(operation: string, input: Record<string, unknown>): unknown {
  switch (operation) {
    case "CreateKey": {
      const keyId = randomUUID();
      return { KeyMetadata: { KeyId: keyId, Arn: arn(keyId), AWSAccountId: ACCOUNT, Enabled: true, KeyState: "Enabled", KeySpec: "SYMMETRIC_DEFAULT" } };
    }
    case "Encrypt": {
      const keyId = keyIdOf(input);
      const blob = seal(keyId, blobOf(input, "Plaintext"), input.EncryptionContext);
      return { CiphertextBlob: blob.toString("base64"), KeyId: arn(keyId), EncryptionAlgorithm: "SYMMETRIC_DEFAULT" };
    }
    case "Decrypt": {
      const { keyId, plaintext } = open(blobOf(input, "CiphertextBlob"), input.EncryptionContext);
      return { KeyId: arn(keyId), Plaintext: plaintext.toString("base64"), EncryptionAlgorithm: "SYMMETRIC_DEFAULT" };
    }
    case "GenerateDataKey": {
      const keyId = keyIdOf(input);
      const plaintext = randomBytes(typeof input.NumberOfBytes === "number" ? input.NumberOfBytes : input.KeySpec === "AES_128" ? 16 : 32);
      const blob = seal(keyId, plaintext, input.EncryptionContext);
      return { CiphertextBlob: blob.toString("base64"), Plaintext: plaintext.toString("base64"), KeyId: arn(keyId) };
    }
    case "ReEncrypt": {
      const { keyId: sourceKeyId, plaintext } = open(blobOf(input, "CiphertextBlob"), input.SourceEncryptionContext);
      const keyId = keyIdOf(input, "DestinationKeyId");
      const blob = seal(keyId, plaintext, input.DestinationEncryptionContext);
      return {
        CiphertextBlob: blob.toString("base64"),
        SourceKeyId: arn(sourceKeyId),
        KeyId: arn(keyId),
        SourceEncryptionAlgorithm: "SYMMETRIC_DEFAULT",
        DestinationEncryptionAlgorithm: "SYMMETRIC_DEFAULT",
      };
    }
    case "GenerateMac": {
      // HMAC_SHA_256 over the message with the key's material: kmsd's GenerateMac without its key record.
      const keyId = keyIdOf(input);
      const mac = createHmac("sha256", materialOf(keyId).material).update(blobOf(input, "Message")).digest();
      return { Mac: mac.toString("base64"), MacAlgorithm: "HMAC_SHA_256", KeyId: arn(keyId) };
    }
    case "Sign": {
      // ECDSA_SHA_256 over a RAW message, DER-encoded as KMS returns it.
      const keyId = keyIdOf(input);
      let privateKey = signingKeys.get(keyId);
      if (!privateKey) {
        privateKey = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
        signingKeys.set(keyId, privateKey);
      }
      const signature = sign("sha256", blobOf(input, "Message"), privateKey);
      return { Signature: signature.toString("base64"), SigningAlgorithm: "ECDSA_SHA_256", KeyId: arn(keyId) };
    }
    default:
      throw new ApiError("UnknownOperationException", `Unknown operation ${operation}`);
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) reject(new ApiError("RequestEntityTooLargeException", "Request body too large.", 413));
      else chunks.push(chunk);
    });
    req.on("end", () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, {
    "content-type": "application/x-amz-json-1.1",
    "content-length": Buffer.byteLength(body),
    "x-amzn-requestid": randomUUID(),
    date: new Date().toUTCString(),
  });
  res.end(body);
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const body = await readBody(req);
    const target = single(req.headers["x-amz-target"]) ?? "";
    if (req.method !== "POST" || !target.startsWith("TrentService.")) throw new ApiError("UnknownOperationException", "Missing X-Amz-Target header");
    await authenticate(req, body);
    let input: unknown;
    try {
      input = body.length === 0 ? {} : JSON.parse(body.toString("utf8"));
    } catch {
      throw new ApiError("SerializationException", "Not valid JSON.");
    }
    if (!input || typeof input !== "object") throw new ApiError("SerializationException", "Not a JSON object.");
    send(res, 200, JSON.stringify(operate(target.slice("TrentService.".length), input as Record<string, unknown>)));
  } catch (error) {
    const apiError = error instanceof ApiError ? error : new ApiError("KMSInternalException", String(error), 500);
    send(res, apiError.status, JSON.stringify({ __type: apiError.code, message: apiError.message }));
  }
}

const argument = (name: string, fallback: number) => {
  const index = process.argv.indexOf(name);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
};
const port = argument("--port", 0);
const workers = argument("--workers", 1);

if (workers > 1 && cluster.isPrimary) {
  // N processes sharing one port (node:cluster), as `kmsd serve --workers N` would.
  let listening = 0;
  let announced = false;
  const children = Array.from({ length: workers }, () => cluster.fork());
  cluster.on("listening", (_worker, address) => {
    if (++listening === workers && !announced) {
      announced = true;
      process.stderr.write(`${JSON.stringify({ level: "info", message: "listening", port: address.port, workers })}\n`);
    }
  });
  const shutdown = () => children.forEach((child) => child.kill("SIGTERM"));
  process.once("SIGTERM", shutdown);
  process.once("SIGINT", shutdown);
} else {
  const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  server.listen(port, "127.0.0.1", () => {
    if (cluster.isPrimary) process.stderr.write(`${JSON.stringify({ level: "info", message: "listening", port: (server.address() as AddressInfo).port })}\n`);
  });
  const shutdown = () => {
    server.close();
    server.closeAllConnections();
  };
  process.once("SIGTERM", shutdown);
  process.once("SIGINT", shutdown);
}
