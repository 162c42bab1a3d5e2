/**
 * The External Key Store (XKS) Proxy API, version 1, as AWS publishes it
 * (aws/aws-kms-xksproxy-api-spec): its four operations, their paths under a store's
 * `[/prefix]/kms/xks/v1`, the JSON shapes on the wire and the proxy's error names with
 * their HTTP statuses. Shared by kmsd's proxy client (a KMS using an external key store)
 * and its proxy server (kmsd acting as the external key manager).
 */

/** The SigV4 service name every proxy request is signed for. */
export const XKS_SIGNING_SERVICE = "kms-xks-proxy";

/** The operations of the proxy API. */
export type XksOperation = "GetHealthStatus" | "GetKeyMetadata" | "Encrypt" | "Decrypt";

/** The path of an operation below the store's URI path. */
export function operationPath(uriPath: string, operation: XksOperation, xksKeyId?: string): string {
  if (operation === "GetHealthStatus") return `${uriPath}/health`;
  const suffix = operation === "GetKeyMetadata" ? "metadata" : operation === "Encrypt" ? "encrypt" : "decrypt";
  return `${uriPath}/keys/${encodeURIComponent(xksKeyId ?? "")}/${suffix}`;
}

/** What KMS tells the proxy about the call behind a proxy request (the spec's requestMetadata). */
export interface RequestMetadata {
  awsPrincipalArn?: string;
  kmsKeyArn?: string;
  kmsOperation: string;
  kmsRequestId: string;
  kmsViaService?: string;
}

/** The only algorithm of version 1. */
export const AES_GCM = "AES_GCM";

export interface EncryptRequestBody {
  requestMetadata: RequestMetadata;
  plaintext: string;
  encryptionAlgorithm: typeof AES_GCM;
  additionalAuthenticatedData?: string;
  ciphertextDataIntegrityValueAlgorithm?: "SHA_256";
}

export interface EncryptResponseBody {
  ciphertext: string;
  ciphertextMetadata?: string;
  initializationVector: string;
  authenticationTag: string;
  ciphertextDataIntegrityValue?: string;
}

export interface DecryptRequestBody {
  requestMetadata: RequestMetadata;
  ciphertext: string;
  ciphertextMetadata?: string;
  encryptionAlgorithm: typeof AES_GCM;
  additionalAuthenticatedData?: string;
  initializationVector: string;
  authenticationTag: string;
}

export interface KeyMetadataResponseBody {
  keySpec: string;
  keyUsage: string[];
  keyStatus: string;
}

export interface HealthStatusResponseBody {
  xksProxyFleetSize: number;
  xksProxyVendor: string;
  xksProxyModel: string;
  ekmVendor: string;
  ekmFleetDetails: Array<{ id: string; model: string; healthStatus: "ACTIVE" | "DEGRADED" | "UNAVAILABLE" }>;
}

/** The proxy's error names and the HTTP status each is sent with. */
export const XKS_ERROR_STATUS = {
  ValidationException: 400,
  InvalidStateException: 400,
  InvalidCiphertextException: 400,
  InvalidKeyUsageException: 400,
  AuthenticationFailedException: 401,
  AccessDeniedException: 403,
  KeyNotFoundException: 404,
  InvalidUriPathException: 404,
  ThrottlingException: 429,
  InternalException: 500,
  UnsupportedOperationException: 501,
  DependencyTimeoutException: 503,
} as const;

/** A proxy error name. */
export type XksErrorName = keyof typeof XKS_ERROR_STATUS;

/** Whether a string is one of the proxy's error names. */
export function isXksErrorName(name: unknown): name is XksErrorName {
  return typeof name === "string" && Object.hasOwn(XKS_ERROR_STATUS, name);
}

/** Limits of the spec a proxy response is checked against. */
export const MAX_CIPHERTEXT_METADATA_BYTES = 20;
export const GCM_TAG_BYTES = 16;
/** The IV lengths the spec allows. */
export const GCM_IV_BYTES: readonly number[] = [12, 16];
