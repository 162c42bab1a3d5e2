/**
 * kmsd as an XKS proxy (`kmsd serve --xks-port`): the External Key Store Proxy API over
 * HTTPS, backed by kmsd's own symmetric keys, so that an AWS KMS (or another kmsd) can use
 * keys held here as an external key store. The XKS key id is a kmsd key id, or an alias
 * name without its `alias/` prefix, in the account of the proxy user that signed the call.
 *
 * Each request: POST only (405 otherwise), a path of the spec (InvalidUriPathException),
 * a SigV4 signature for `kms-xks-proxy` by a configured proxy user, checked with kmsd's own
 * verifier and the 5-minute skew (AuthenticationFailedException), a JSON body with
 * requestMetadata (ValidationException). Every call, answered or refused after it was
 * authenticated, is an event in the key owner's audit trail, without plaintext.
 */
import { createServer, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import { InvalidSignatureException } from "../errors.ts";
import { AUDITED_SERVICES } from "../audit/auditedServices.ts";
import { EVENT_VERSION, KMS_KEY_RESOURCE_TYPE, kmsEvent, type AuditEvent } from "../audit/events.ts";
import { newEventId } from "../audit/eventId.ts";
import { isoSeconds } from "../audit/times.ts";
import { resolveKey } from "../keys/keyResolver.ts";
import { keyArn, type KeyRecord } from "../keys/records.ts";
import type { Services } from "../server/context.ts";
import { log } from "../server/log.ts";
import { DEFAULT_REGION } from "../server/regions.ts";
import { checkSkew, parseSigV4, verifySignature } from "../server/sigv4.ts";
import { XKS_ERROR_STATUS, XKS_SIGNING_SERVICE, type XksErrorName, type XksOperation } from "./proxyApi.ts";
import { ciphertextDataIntegrityValue } from "./proxyClient.ts";
import { materialPrefixOf, xksDecrypt, xksEncrypt } from "./proxyCrypto.ts";

/** A credential the proxy accepts, and the kmsd account whose keys it may use. */
export interface XksProxyUser {
  accessKeyId: string;
  secretAccessKey: string;
  /** Default: the default account. */
  accountId?: string;
  /** Default: us-east-1. */
  region?: string;
  /**
   * The spec's optional secondary authorization: the XKS key ids (as KMS names them in the
   * path) this user may use; others are AccessDeniedException. Default: every key of its account.
   */
  keys?: readonly string[];
  /** Likewise the AWS principals (requestMetadata.awsPrincipalArn) whose calls this user may make. Default: any. */
  principals?: readonly string[];
}

/** The proxy listener's settings. */
export interface XksProxyServerOptions {
  host: string;
  port: number;
  /** PEM certificate chain and private key of the proxy's TLS endpoint. */
  cert: string;
  key: string;
  /** PEM CA: when set, clients must present a certificate it signed (mutual TLS). */
  clientCa?: string;
  users: readonly XksProxyUser[];
  version: string;
}

/** A running proxy listener. */
export interface XksProxyListener {
  port: number;
  close(): Promise<void>;
}

const PATH = /^((?:\/[A-Za-z0-9_-]+)*)\/kms\/xks\/v1\/(?:(health)|keys\/([A-Za-z0-9._-]{1,128})\/(metadata|encrypt|decrypt))$/;
const OPERATION_OF_SUFFIX = { metadata: "GetKeyMetadata", encrypt: "Encrypt", decrypt: "Decrypt" } as const;
const MAX_BODY_BYTES = 64 * 1024;

/** A proxy error answer, thrown inside the handler. */
class ProxyError extends Error {
  readonly errorName: XksErrorName;
  constructor(errorName: XksErrorName, message: string) {
    super(message);
    this.errorName = errorName;
  }
}

/** Starts the proxy listener on the services of an unsealed node. */
export async function startXksProxy(services: Services, options: XksProxyServerOptions): Promise<XksProxyListener> {
  const users = new Map(options.users.map((user) => [user.accessKeyId, user]));
  const server: Server = createServer(
    {
      cert: options.cert,
      key: options.key,
      minVersion: "TLSv1.2",
      ...(options.clientCa ? { ca: options.clientCa, requestCert: true, rejectUnauthorized: true } : {}),
    },
    (req, res) => {
      handle(req, res, services, users, options.version).catch((error: unknown) => {
        log.error("xks proxy request failed", { error: String(error) });
        if (!res.headersSent) send(res, 500, { errorName: "InternalException" });
      });
    },
  );
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  log.info("xks proxy listening", { host: options.host, port });
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** What one call did, for its audit event. */
interface CallRecord {
  operation: XksOperation;
  user: XksProxyUser & { accountId: string; region: string };
  metadata: Record<string, unknown>;
  xksKeyId?: string;
  key?: KeyRecord;
}

async function handle(req: IncomingMessage, res: ServerResponse, services: Services, users: ReadonlyMap<string, XksProxyUser>, version: string): Promise<void> {
  const requestId = randomUUID();
  const url = new URL(req.url ?? "/", "https://proxy");
  const route = PATH.exec(url.pathname);
  if (req.method !== "POST") {
    res.setHeader("allow", "POST");
    send(res, 405, { errorName: "ValidationException", errorMessage: "The XKS proxy API takes POST requests only." });
    return;
  }
  const body = await readBody(req);
  if (!route) return sendError(res, new ProxyError("InvalidUriPathException", "The request URI path is not an XKS proxy API path."));
  if (body === undefined) return sendError(res, new ProxyError("ValidationException", "The request body is too large."));
  let user: CallRecord["user"];
  try {
    user = await authenticate(req, url.pathname, body, services, users);
  } catch (error) {
    log.info("xks proxy authentication failed", { requestId, reason: (error as Error).message });
    return sendError(res, new ProxyError("AuthenticationFailedException", "The request signature could not be verified."));
  }
  const operation: XksOperation = route[2] ? "GetHealthStatus" : OPERATION_OF_SUFFIX[route[4] as keyof typeof OPERATION_OF_SUFFIX];
  const call: CallRecord = { operation, user, metadata: {}, ...(route[3] ? { xksKeyId: route[3] } : {}) };
  let status = 200;
  let answer: object;
  try {
    services.audit.assertAvailable();
    const request = parseBody(body);
    call.metadata = request.requestMetadata;
    answer = await perform(call, request, services, version);
  } catch (error) {
    const proxyError = error instanceof ProxyError ? error : new ProxyError("InternalException", "The external key manager failed.");
    if (!(error instanceof ProxyError)) log.error("xks proxy call failed", { requestId, error: String(error) });
    status = XKS_ERROR_STATUS[proxyError.errorName];
    answer = { errorName: proxyError.errorName, errorMessage: proxyError.message };
  }
  await services.audit.recordServiceEvent(proxyCallEvent(call, requestId, services.clock.nowMs(), req.socket.remoteAddress ?? "", status === 200 ? undefined : (answer as { errorName: string })));
  send(res, status, answer);
}

async function authenticate(
  req: IncomingMessage,
  path: string,
  body: Buffer,
  services: Services,
  users: ReadonlyMap<string, XksProxyUser>,
): Promise<CallRecord["user"]> {
  const headers = req.headers as Record<string, string | string[] | undefined>;
  const claims = parseSigV4(headers);
  if (claims.service !== XKS_SIGNING_SERVICE) throw new InvalidSignatureException(`signed for ${claims.service}`);
  const user = users.get(claims.accessKeyId);
  if (!user) throw new InvalidSignatureException("unknown access key id");
  checkSkew(claims, services.clock.nowMs());
  await verifySignature(
    { method: "POST", path, query: {}, headers, body, sourceIp: req.socket.remoteAddress ?? "", secure: true },
    claims,
    user.secretAccessKey,
  );
  return { ...user, accountId: user.accountId ?? services.defaultAccountId, region: user.region ?? DEFAULT_REGION };
}

/** A parsed request body: requestMetadata and the operation's members. */
interface ProxyRequest {
  requestMetadata: Record<string, unknown>;
  [member: string]: unknown;
}

function parseBody(body: Buffer): ProxyRequest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    throw new ProxyError("ValidationException", "The request body is not JSON.");
  }
  const metadata = (parsed as { requestMetadata?: unknown } | null)?.requestMetadata;
  if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) throw new ProxyError("ValidationException", "requestMetadata is required.");
  const { kmsRequestId, kmsOperation } = metadata as Record<string, unknown>;
  if (typeof kmsRequestId !== "string" || typeof kmsOperation !== "string") throw new ProxyError("ValidationException", "requestMetadata needs kmsRequestId and kmsOperation.");
  return parsed as ProxyRequest;
}

async function perform(call: CallRecord, request: ProxyRequest, services: Services, version: string): Promise<object> {
  if (call.operation === "GetHealthStatus") {
    return {
      xksProxyFleetSize: 1,
      xksProxyVendor: "kmsd",
      xksProxyModel: `kmsd XKS proxy ${version}`,
      ekmVendor: "kmsd",
      ekmFleetDetails: [{ id: "kmsd", model: `kmsd ${version}`, healthStatus: "ACTIVE" }],
    };
  }
  authorize(call);
  const key = await findXksKey(call, services);
  call.key = key;
  const symmetric = key.keySpec === "SYMMETRIC_DEFAULT" && key.keyUsage === "ENCRYPT_DECRYPT" && key.origin !== "EXTERNAL_KEY_STORE";
  if (call.operation === "GetKeyMetadata") {
    return {
      keySpec: key.keySpec === "SYMMETRIC_DEFAULT" ? "AES_256" : key.keySpec,
      keyUsage: symmetric ? ["ENCRYPT", "DECRYPT"] : [],
      keyStatus: key.state === "Enabled" ? "ENABLED" : "DISABLED",
    };
  }
  if (!symmetric) throw new ProxyError("InvalidKeyUsageException", "The key is not a symmetric encryption key.");
  if (key.state !== "Enabled") throw new ProxyError("InvalidStateException", "The key is not enabled.");
  if (request.encryptionAlgorithm !== "AES_GCM") throw new ProxyError("ValidationException", "encryptionAlgorithm must be AES_GCM.");
  const aad = optionalBase64(request.additionalAuthenticatedData, "additionalAuthenticatedData", 8192);
  if (call.operation === "Encrypt") {
    const plaintext = base64(request.plaintext, "plaintext", 8192);
    const cdiv = request.ciphertextDataIntegrityValueAlgorithm;
    if (cdiv !== undefined && cdiv !== "SHA_256") throw new ProxyError("ValidationException", "ciphertextDataIntegrityValueAlgorithm must be SHA_256.");
    const keyMaterialId = key.currentKeyMaterialId as string;
    const material = await services.keys.material(key, keyMaterialId);
    if (!material) throw new ProxyError("InternalException", "The key has no material.");
    const encrypted = xksEncrypt(material, keyMaterialId, plaintext, aad);
    plaintext.fill(0);
    return {
      ciphertext: encrypted.ciphertext.toString("base64"),
      ciphertextMetadata: encrypted.ciphertextMetadata.toString("base64"),
      initializationVector: encrypted.iv.toString("base64"),
      authenticationTag: encrypted.tag.toString("base64"),
      ...(cdiv === undefined ? {} : { ciphertextDataIntegrityValue: ciphertextDataIntegrityValue(aad, encrypted) }),
    };
  }
  const encrypted = {
    ciphertext: base64(request.ciphertext, "ciphertext", 8192),
    ciphertextMetadata: optionalBase64(request.ciphertextMetadata, "ciphertextMetadata", 20),
    iv: base64(request.initializationVector, "initializationVector", 16),
    tag: base64(request.authenticationTag, "authenticationTag", 16),
  };
  if (![12, 16].includes(encrypted.iv.length) || encrypted.tag.length !== 16) throw new ProxyError("InvalidCiphertextException", "The IV or tag has the wrong length.");
  const prefix = materialPrefixOf(encrypted.ciphertextMetadata);
  const keyMaterialId = prefix === undefined ? undefined : materialIdsOf(key).find((id) => id.startsWith(prefix));
  const material = keyMaterialId === undefined ? undefined : await services.keys.material(key, keyMaterialId);
  if (!material || keyMaterialId === undefined) throw new ProxyError("InvalidCiphertextException", INVALID_CIPHERTEXT);
  try {
    return { plaintext: xksDecrypt(material, keyMaterialId, encrypted, aad).toString("base64") };
  } catch {
    throw new ProxyError("InvalidCiphertextException", INVALID_CIPHERTEXT);
  }
}

const INVALID_CIPHERTEXT = "The ciphertext, additional authenticated data or authentication tag is corrupted, missing or otherwise invalid.";

/**
 * The spec's secondary authorization, from the proxy user's configuration: the external key
 * named in the path, and the AWS principal in requestMetadata, must be listed (when a list is
 * configured). Checked before the key is looked up, so a refused caller learns nothing of it;
 * GetHealthStatus is never subject to it, as the spec requires. The log says which check refused.
 */
function authorize(call: CallRecord): void {
  const { keys, principals } = call.user;
  const principal = call.metadata.awsPrincipalArn;
  const refusal =
    keys !== undefined && !keys.includes(call.xksKeyId ?? "")
      ? "the external key is not among the proxy user's keys"
      : principals !== undefined && (typeof principal !== "string" || !principals.includes(principal))
        ? "the AWS principal is not among the proxy user's principals"
        : undefined;
  if (refusal === undefined) return;
  log.info("xks proxy access denied", { accessKeyId: call.user.accessKeyId, xksKeyId: call.xksKeyId, awsPrincipalArn: String(principal), kmsRequestId: String(call.metadata.kmsRequestId), reason: refusal });
  throw new ProxyError("AccessDeniedException", "The proxy user is not authorized for this operation on this key.");
}

/** The kmsd key an XKS key id names in the proxy user's account: a key id, or an alias name without `alias/`. */
async function findXksKey(call: CallRecord, services: Services): Promise<KeyRecord> {
  const id = call.xksKeyId ?? "";
  const identifier = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$|^mrk-[0-9a-f]{32}$/.test(id) ? id : `alias/${id}`;
  try {
    return await resolveKey(services.keys, { accountId: call.user.accountId, region: call.user.region }, identifier, "aliases-allowed");
  } catch {
    throw new ProxyError("KeyNotFoundException", `No key ${id} for this proxy user.`);
  }
}

/** Every material version a key has had. */
function materialIdsOf(key: KeyRecord): string[] {
  return [key.currentKeyMaterialId, key.firstKeyMaterialId, ...(key.rotations ?? []).map((rotation) => rotation.keyMaterialId)].filter(
    (id): id is string => id !== undefined,
  );
}

function base64(value: unknown, name: string, maxBytes: number): Buffer {
  if (typeof value !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) throw new ProxyError("ValidationException", `${name} must be base64.`);
  const bytes = Buffer.from(value, "base64");
  if (bytes.length > maxBytes) throw new ProxyError("ValidationException", `${name} is longer than ${maxBytes} bytes.`);
  return bytes;
}

function optionalBase64(value: unknown, name: string, maxBytes: number): Buffer {
  return value === undefined ? Buffer.alloc(0) : base64(value, name, maxBytes);
}

/** The call's audit event in the key owner's (or, for health checks, the proxy user's) trail; never a plaintext. */
function proxyCallEvent(call: CallRecord, requestId: string, timeMs: number, sourceIp: string, error: { errorName: string } | undefined): AuditEvent {
  const accountId = call.key?.accountId ?? call.user.accountId;
  const region = call.key?.region ?? call.user.region;
  const eventId = newEventId(timeMs);
  const eventName = `XksProxy${call.operation}`;
  const resources = call.key ? [{ accountId, type: KMS_KEY_RESOURCE_TYPE, ARN: keyArn(call.key) }] : [];
  const requestParameters = {
    ...(call.xksKeyId === undefined ? {} : { xksKeyId: call.xksKeyId }),
    requestMetadata: pickStrings(call.metadata, ["awsPrincipalArn", "kmsKeyArn", "kmsOperation", "kmsRequestId", "kmsViaService"]),
  };
  const record = {
    eventVersion: EVENT_VERSION,
    userIdentity: { type: "XksProxyUser", accountId, accessKeyId: call.user.accessKeyId },
    eventTime: isoSeconds(timeMs),
    eventSource: AUDITED_SERVICES.kms.eventSource,
    eventName,
    awsRegion: region,
    sourceIPAddress: sourceIp,
    userAgent: "kms-xks-proxy",
    requestParameters,
    responseElements: null,
    ...(error ? { errorCode: error.errorName } : {}),
    requestID: requestId,
    eventID: eventId,
    readOnly: call.operation === "GetHealthStatus" || call.operation === "GetKeyMetadata",
    resources,
    eventType: "AwsApiCall",
    managementEvent: call.operation === "GetHealthStatus" || call.operation === "GetKeyMetadata",
    recipientAccountId: accountId,
    eventCategory: "Management",
  };
  return kmsEvent(
    { accountId, region, timeMs, eventId, eventName, readOnly: record.readOnly, username: call.user.accessKeyId, accessKeyId: call.user.accessKeyId, requestId, keyArns: resources.map((resource) => resource.ARN) },
    record,
  );
}

function pickStrings(source: Record<string, unknown>, names: readonly string[]): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of names) if (typeof source[name] === "string") picked[name] = (source[name] as string).slice(0, 2048);
  return picked;
}

/** The body, or undefined when it is over the limit. */
async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) tooLarge = true;
    else chunks.push(chunk);
  }
  return tooLarge ? undefined : Buffer.concat(chunks);
}

function sendError(res: ServerResponse, error: ProxyError): void {
  send(res, XKS_ERROR_STATUS[error.errorName], { errorName: error.errorName, errorMessage: error.message });
}

function send(res: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}
