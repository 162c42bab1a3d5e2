/**
 * The client side of the XKS Proxy API: what kmsd sends to an external key store's proxy.
 * Every request is a POST of JSON, SigV4-signed with the store's proxy authentication
 * credential for the service `kms-xks-proxy`, over HTTPS whose certificate is verified
 * (against the system's CAs plus an optional custom CA, for self-hosted proxies). Every
 * response is checked against the spec before it is used; anything else is an
 * XksProxyFailure saying what went wrong, for proxyFailure.ts to turn into AWS's error.
 */
import { createHash } from "node:crypto";
import { request as httpsRequest } from "node:https";
import { rootCertificates } from "node:tls";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { PreparedSha256 } from "../server/sigv4Hash.ts";
import {
  AES_GCM,
  type DecryptRequestBody,
  type EncryptRequestBody,
  type EncryptResponseBody,
  GCM_IV_BYTES,
  GCM_TAG_BYTES,
  type HealthStatusResponseBody,
  isXksErrorName,
  type KeyMetadataResponseBody,
  MAX_CIPHERTEXT_METADATA_BYTES,
  operationPath,
  type RequestMetadata,
  XKS_SIGNING_SERVICE,
  type XksOperation,
} from "./proxyApi.ts";
import { XksProxyFailure } from "./proxyFailure.ts";

/** Where a store's proxy is and how to sign for it. */
export interface XksProxyTarget {
  uriEndpoint: string;
  uriPath: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** The Region of the KMS making the call (the signature's scope). */
  region: string;
}

/** How this kmsd reaches proxies (the serve options --xks-proxy-ca and --xks-proxy-connect-to). */
export interface XksClientOptions {
  /** PEM certificates trusted besides the system's CAs. */
  extraCa?: string;
  /**
   * Host name → `address:port` to connect to instead of the endpoint's host on port 443
   * (the endpoint itself may name no port). TLS still verifies the endpoint's host name.
   */
  connectTo?: ReadonlyMap<string, { host: string; port: number }>;
  /** How long a call may take, connection included. */
  timeoutMs: number;
}

/** The external key's answer to GetKeyMetadata. */
export type XksKeyMetadata = KeyMetadataResponseBody;

/** The parts of an AES-GCM encryption made by the proxy. */
export interface XksEncrypted {
  ciphertext: Buffer;
  ciphertextMetadata: Buffer;
  iv: Buffer;
  tag: Buffer;
}

/** A client for every store's proxy; holds no per-store state. */
export class XksProxyClient {
  readonly #options: XksClientOptions;
  readonly #ca: string[];

  constructor(options: XksClientOptions) {
    this.#options = options;
    this.#ca = options.extraCa ? [...rootCertificates, options.extraCa] : [...rootCertificates];
  }

  /** GetHealthStatus: the proxy answers, and at least one of its external key managers can serve. */
  async health(target: XksProxyTarget, metadata: RequestMetadata): Promise<HealthStatusResponseBody> {
    const body = await this.#call(target, "GetHealthStatus", undefined, { requestMetadata: metadata });
    const fleet = body.ekmFleetDetails;
    if (!Array.isArray(fleet) || fleet.length === 0 || typeof body.xksProxyVendor !== "string") invalid("GetHealthStatus answer without its fleet");
    const status = body as unknown as HealthStatusResponseBody;
    // A proxy whose every key manager is unavailable cannot serve: AWS counts it unreachable.
    if (status.ekmFleetDetails.every((ekm) => ekm.healthStatus === "UNAVAILABLE")) {
      throw new XksProxyFailure({ kind: "unreachable" }, "every external key manager instance is UNAVAILABLE");
    }
    return status;
  }

  async keyMetadata(target: XksProxyTarget, xksKeyId: string, metadata: RequestMetadata): Promise<XksKeyMetadata> {
    const body = await this.#call(target, "GetKeyMetadata", xksKeyId, { requestMetadata: metadata });
    if (typeof body.keySpec !== "string" || !Array.isArray(body.keyUsage) || typeof body.keyStatus !== "string") invalid("GetKeyMetadata answer incomplete");
    return body as unknown as XksKeyMetadata;
  }

  /** Encrypt with AES-GCM under the external key; the answer's CDIV is checked. */
  async encrypt(target: XksProxyTarget, xksKeyId: string, metadata: RequestMetadata, plaintext: Uint8Array, aad: Uint8Array): Promise<XksEncrypted> {
    const request: EncryptRequestBody = {
      requestMetadata: metadata,
      plaintext: Buffer.from(plaintext).toString("base64"),
      encryptionAlgorithm: AES_GCM,
      additionalAuthenticatedData: Buffer.from(aad).toString("base64"),
      ciphertextDataIntegrityValueAlgorithm: "SHA_256",
    };
    const body = (await this.#call(target, "Encrypt", xksKeyId, request)) as Partial<EncryptResponseBody>;
    const encrypted = {
      ciphertext: base64Field(body.ciphertext, "ciphertext"),
      ciphertextMetadata: body.ciphertextMetadata === undefined ? Buffer.alloc(0) : base64Field(body.ciphertextMetadata, "ciphertextMetadata"),
      iv: base64Field(body.initializationVector, "initializationVector"),
      tag: base64Field(body.authenticationTag, "authenticationTag"),
    };
    if (encrypted.ciphertext.length !== plaintext.length) invalid("ciphertext length differs from the plaintext's");
    if (encrypted.ciphertextMetadata.length > MAX_CIPHERTEXT_METADATA_BYTES) invalid("ciphertextMetadata over 20 bytes");
    if (!GCM_IV_BYTES.includes(encrypted.iv.length) || encrypted.tag.length !== GCM_TAG_BYTES) invalid("IV or tag of the wrong length");
    const expected = ciphertextDataIntegrityValue(aad, encrypted);
    if (body.ciphertextDataIntegrityValue !== expected) invalid("ciphertextDataIntegrityValue does not match");
    return encrypted;
  }

  async decrypt(target: XksProxyTarget, xksKeyId: string, metadata: RequestMetadata, encrypted: XksEncrypted, aad: Uint8Array): Promise<Buffer> {
    const request: DecryptRequestBody = {
      requestMetadata: metadata,
      ciphertext: encrypted.ciphertext.toString("base64"),
      ...(encrypted.ciphertextMetadata.length > 0 ? { ciphertextMetadata: encrypted.ciphertextMetadata.toString("base64") } : {}),
      encryptionAlgorithm: AES_GCM,
      additionalAuthenticatedData: Buffer.from(aad).toString("base64"),
      initializationVector: encrypted.iv.toString("base64"),
      authenticationTag: encrypted.tag.toString("base64"),
    };
    const body = await this.#call(target, "Decrypt", xksKeyId, request);
    const plaintext = base64Field(body.plaintext, "plaintext");
    if (plaintext.length !== encrypted.ciphertext.length) invalid("plaintext length differs from the ciphertext's");
    return plaintext;
  }

  /** Signs and sends one request; the parsed JSON of a 200 answer, or an XksProxyFailure. */
  async #call(target: XksProxyTarget, operation: XksOperation, xksKeyId: string | undefined, payload: object): Promise<Record<string, unknown>> {
    const url = new URL(target.uriEndpoint);
    const path = operationPath(target.uriPath, operation, xksKeyId);
    const body = Buffer.from(JSON.stringify(payload), "utf8");
    const signer = new SignatureV4({
      credentials: { accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey },
      region: target.region,
      service: XKS_SIGNING_SERVICE,
      sha256: PreparedSha256,
      uriEscapePath: true,
      applyChecksum: false,
    });
    const signed = await signer.sign(
      new HttpRequest({
        method: "POST",
        protocol: "https:",
        hostname: url.hostname,
        path,
        headers: { host: url.host, "content-type": "application/json", "x-amz-content-sha256": sha256Hex(body) },
        body,
      }),
    );
    const route = this.#options.connectTo?.get(url.hostname);
    const { status, text } = await send(
      {
        host: route?.host ?? url.hostname,
        port: route?.port ?? 443,
        servername: url.hostname,
        path,
        headers: { ...(signed.headers as Record<string, string>), "content-length": String(body.length) },
        ca: this.#ca,
      },
      body,
      this.#options.timeoutMs,
    );
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return invalid(`HTTP ${status} with a body that is not JSON`);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) invalid(`HTTP ${status} with a body that is not a JSON object`);
    const object = parsed as Record<string, unknown>;
    if (status === 200) return object;
    if (isXksErrorName(object.errorName)) {
      throw new XksProxyFailure({ kind: "proxy-error", errorName: object.errorName }, `HTTP ${status}: ${String(object.errorMessage ?? "")}`);
    }
    return invalid(`HTTP ${status} without a known errorName`);
  }
}

/** The spec's Ciphertext Data Integrity Value: SHA-256 over AAD, metadata, IV, ciphertext and tag, base64. */
export function ciphertextDataIntegrityValue(aad: Uint8Array, encrypted: XksEncrypted): string {
  return createHash("sha256")
    .update(aad)
    .update(encrypted.ciphertextMetadata)
    .update(encrypted.iv)
    .update(encrypted.ciphertext)
    .update(encrypted.tag)
    .digest("base64");
}

interface SendTarget {
  host: string;
  port: number;
  servername: string;
  path: string;
  headers: Record<string, string>;
  ca: string[];
}

/** One HTTPS POST; the failure kinds tell a refused connection, a TLS failure and a timeout apart. */
function send(target: SendTarget, body: Buffer, timeoutMs: number): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (failure: XksProxyFailure) => {
      if (settled) return;
      settled = true;
      reject(failure);
    };
    const req = httpsRequest(
      {
        method: "POST",
        host: target.host,
        port: target.port,
        servername: target.servername,
        path: target.path,
        headers: target.headers,
        ca: target.ca,
        minVersion: "TLSv1.2",
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          // No proxy answer of the spec comes near this; a larger one is not a proxy's.
          if (size > 65_536) {
            req.destroy();
            fail(new XksProxyFailure({ kind: "invalid-response" }, "answer over 64 KiB"));
            return;
          }
          chunks.push(chunk);
        });
        res.on("end", () => {
          if (settled) return;
          settled = true;
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") });
        });
        res.on("error", (error) => fail(new XksProxyFailure({ kind: "invalid-response" }, error.message)));
      },
    );
    req.setTimeout(timeoutMs, () => {
      req.destroy();
      fail(new XksProxyFailure({ kind: "timeout" }, `no answer within ${timeoutMs} ms`));
    });
    req.on("error", (error: NodeJS.ErrnoException) => {
      const tls = typeof error.code === "string" && /CERT|SSL|TLS|SELF_SIGNED|ALTNAME|ERR_TLS/i.test(error.code);
      fail(new XksProxyFailure({ kind: tls ? "tls" : "unreachable" }, `${error.code ?? ""} ${error.message}`));
    });
    req.end(body);
  });
}

function sha256Hex(body: Buffer): string {
  return createHash("sha256").update(body).digest("hex");
}

function base64Field(value: unknown, name: string): Buffer {
  if (typeof value !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) return invalid(`${name} missing or not base64`);
  return Buffer.from(value, "base64");
}

function invalid(detail: string): never {
  throw new XksProxyFailure({ kind: "invalid-response" }, detail);
}
