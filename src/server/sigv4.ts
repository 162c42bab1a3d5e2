/**
 * SigV4 authentication. The signature is recomputed over exactly the headers the client
 * signed, and compared with the client's in constant time. The canonical request and the
 * string to sign are built by @smithy/signature-v4 (the signer the AWS SDKs use), in the
 * steps of its SignatureV4.signRequest; kmsd never hand-builds canonical requests. Only
 * the signing key is kmsd's: derived by the SDK's getSigningKey once per access key,
 * date, region and service (signingKeys.ts) instead of on every request.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { HttpRequest } from "@smithy/protocol-http";
import {
  ALGORITHM_IDENTIFIER,
  AMZ_DATE_HEADER,
  createScope,
  GENERATED_HEADERS,
  getCanonicalHeaders,
  getPayloadHash,
  SignatureV4Base,
  TOKEN_HEADER,
} from "@smithy/signature-v4";
import { SigningKeyCache } from "./signingKeys.ts";
import { PreparedSha256 } from "./sigv4Hash.ts";
import {
  IncompleteSignatureException,
  InvalidSignatureException,
  MissingAuthenticationTokenException,
} from "../errors.ts";

/** What the Authorization header and X-Amz-Date say, before any check of the signature. */
export interface SignedRequestClaims {
  accessKeyId: string;
  /** YYYYMMDD from the credential scope. */
  scopeDate: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
  /** The request time the client signed (X-Amz-Date). */
  signedAtMs: number;
  amzDate: string;
  sessionToken: string | undefined;
}

/** The parts of an HTTP request that SigV4 covers. */
export interface RawRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** Header names lower-cased, values as received. */
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** The client's address (`aws:SourceIp`, CloudTrail's sourceIPAddress). */
  sourceIp: string;
  /** Whether the request came over TLS (`aws:SecureTransport`). */
  secure: boolean;
}


const AUTHORIZATION = /^AWS4-HMAC-SHA256 +Credential=([^,\s]+), *SignedHeaders=([^,\s]+), *Signature=([0-9a-f]{64})$/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
/** How far a request's signing time may be from the server clock (AWS: 5 minutes). */
export const MAX_SKEW_MS = 5 * 60 * 1000;

/** Reads the SigV4 claims of a request; throws the AWS error if they are missing or malformed. */
export function parseSigV4(headers: RawRequest["headers"]): SignedRequestClaims {
  const authorization = single(headers.authorization);
  if (!authorization) throw new MissingAuthenticationTokenException("Missing Authentication Token");
  const match = AUTHORIZATION.exec(authorization.trim());
  if (!match) {
    throw new IncompleteSignatureException(
      "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters with algorithm AWS4-HMAC-SHA256.",
    );
  }
  const [, credential = "", signedHeaders = "", signature = ""] = match;
  const scope = credential.split("/");
  if (scope.length !== 5 || scope[4] !== "aws4_request") {
    throw new IncompleteSignatureException(`Credential should be scoped to a valid region. ${credential}`);
  }
  const [accessKeyId = "", scopeDate = "", region = "", service = ""] = scope;
  const amzDate = single(headers["x-amz-date"]);
  const dateMatch = amzDate ? AMZ_DATE.exec(amzDate) : null;
  if (!amzDate || !dateMatch) {
    throw new IncompleteSignatureException("Authorization header requires existence of a valid 'X-Amz-Date' header.");
  }
  const [, y, mo, d, h, mi, s] = dateMatch.map(Number) as number[];
  const signedAtMs = Date.UTC(y ?? 0, (mo ?? 1) - 1, d, h, mi, s);
  const names = signedHeaders.split(";");
  if (!names.includes("host")) throw new InvalidSignatureException("'Host' must be a signed header.");
  return {
    accessKeyId,
    scopeDate,
    region,
    service,
    signedHeaders: names,
    signature,
    signedAtMs,
    amzDate,
    sessionToken: single(headers["x-amz-security-token"]),
  };
}

/** Throws InvalidSignatureException ("Signature expired") if the request time is too far from now. */
export function checkSkew(claims: SignedRequestClaims, nowMs: number): void {
  if (claims.signedAtMs < nowMs - MAX_SKEW_MS) {
    throw new InvalidSignatureException(
      `Signature expired: ${claims.amzDate} is now earlier than ${amzDate(nowMs - MAX_SKEW_MS)} (${amzDate(nowMs)} - 5 min.)`,
    );
  }
  if (claims.signedAtMs > nowMs + MAX_SKEW_MS) {
    throw new InvalidSignatureException(
      `Signature not yet current: ${claims.amzDate} is still later than ${amzDate(nowMs + MAX_SKEW_MS)} (${amzDate(nowMs)} + 5 min.)`,
    );
  }
}

/** Recomputes the signature with the secret and compares it in constant time. */
export async function verifySignature(
  request: RawRequest,
  claims: SignedRequestClaims,
  secretAccessKey: string,
): Promise<void> {
  if (claims.amzDate.slice(0, 8) !== claims.scopeDate) {
    throw new InvalidSignatureException(
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${claims.scopeDate}' != '${claims.amzDate.slice(0, 8)}', from '${claims.amzDate}'.`,
    );
  }
  // The signed headers as the SDK's signer canonicalises them: prepareRequest would drop the
  // ones the signer generates (stringToSign sets X-Amz-Date again), so they are not copied.
  const signed: Record<string, string> = {};
  for (const name of claims.signedHeaders) {
    const value = request.headers[name];
    if (value === undefined) throw new InvalidSignatureException(SIGNATURE_MISMATCH);
    if (!GENERATED_HEADERS.includes(name)) signed[name] = Array.isArray(value) ? value.join(",") : value;
  }
  const declaredHash = signed["x-amz-content-sha256"];
  if (declaredHash !== undefined && declaredHash !== createHash("sha256").update(request.body).digest("hex")) {
    throw new InvalidSignatureException("The provided 'x-amz-content-sha256' header does not match what was computed.");
  }
  const toVerify = new HttpRequest({ method: request.method, path: request.path, query: request.query, headers: signed, body: request.body });
  const { stringToSign, shortDate } = await canonicalRequests.stringToSign(toVerify, claims);
  const key = await signingKeys.keyFor(claims.accessKeyId, secretAccessKey, shortDate, claims.region, claims.service);
  const expected = createHmac("sha256", key).update(stringToSign, "utf8").digest();
  // parseSigV4 let through only 64 hex digits: 32 bytes, as long as the HMAC.
  const given = Buffer.from(claims.signature, "hex");
  if (given.length !== expected.length || !timingSafeEqual(expected, given)) throw new InvalidSignatureException(SIGNATURE_MISMATCH);
}

/**
 * The SDK signer's canonicalisation, without its credential handling: the string to sign
 * of a request, built as SignatureV4.signRequest builds it (generated headers dropped,
 * X-Amz-Date and a session token set as the signer sets them, the payload hash the
 * client declared or the body's), so a signature verifies here exactly when the SDK's
 * signer would have produced it.
 */
class CanonicalRequests extends SignatureV4Base {
  constructor() {
    // The credentials and scope are the request's, passed per call; these are never used.
    super({ credentials: { accessKeyId: "", secretAccessKey: "" }, region: "", service: "", sha256: PreparedSha256, uriEscapePath: true, applyChecksum: false });
  }

  /** The last request time formatted (requests signed in the same second share it). */
  #lastDate: { signedAtMs: number; longDate: string; shortDate: string } = { signedAtMs: Number.NaN, longDate: "", shortDate: "" };

  /**
   * `request` stands for what prepareRequest would return: a fresh HttpRequest holding a copy of
   * the signed headers without the generated ones (verifySignature's). Its headers are added to here.
   */
  async stringToSign(request: HttpRequest, claims: SignedRequestClaims): Promise<{ stringToSign: string; shortDate: string }> {
    const { longDate, shortDate } = this.#formatDate(claims.signedAtMs);
    request.headers[AMZ_DATE_HEADER] = longDate;
    if (claims.sessionToken) request.headers[TOKEN_HEADER] = claims.sessionToken;
    const payloadHash = await getPayloadHash(request, this.sha256);
    const canonicalHeaders = getCanonicalHeaders(request, undefined, new Set(claims.signedHeaders));
    const scope = createScope(shortDate, claims.region, claims.service);
    const canonicalRequest = this.createCanonicalRequest(request, canonicalHeaders, payloadHash);
    return { stringToSign: await this.createStringToSign(longDate, scope, canonicalRequest, ALGORITHM_IDENTIFIER), shortDate };
  }

  /** The SDK's formatDate of the request time, computed once per distinct time. */
  #formatDate(signedAtMs: number): { longDate: string; shortDate: string } {
    if (this.#lastDate.signedAtMs !== signedAtMs) this.#lastDate = { signedAtMs, ...this.formatDate(new Date(signedAtMs)) };
    return this.#lastDate;
  }
}

const canonicalRequests = new CanonicalRequests();
const signingKeys = new SigningKeyCache();

const SIGNATURE_MISMATCH =
  "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Formats a time as SigV4's basic ISO 8601 (YYYYMMDDTHHMMSSZ). */
export function amzDate(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}/, "");
}
