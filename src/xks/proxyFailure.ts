/**
 * Why a call to an XKS proxy failed, as a value (the client throws it), and the AWS error
 * KMS answers for it. AWS's answer depends on the KMS operation behind the call: the
 * custom key store operations, CreateKey, or a cryptographic operation (the spec's table
 * of KMS exceptions). KMS never passes the proxy's own errorMessage on to its caller.
 */
import {
  AwsError,
  CustomKeyStoreInvalidStateException,
  KMSInvalidStateException,
  XksKeyInvalidConfigurationException,
  XksKeyNotFoundException,
  XksProxyIncorrectAuthenticationCredentialException,
  XksProxyInvalidConfigurationException,
  XksProxyInvalidResponseException,
  XksProxyUriUnreachableException,
} from "../errors.ts";
import type { ConnectionErrorCodeType } from "@aws-sdk/client-kms";
import type { XksErrorName } from "./proxyApi.ts";

/** What went wrong, from the connection up to the proxy's answer. */
export type XksFailureKind =
  | { kind: "unreachable" }
  | { kind: "tls" }
  | { kind: "timeout" }
  | { kind: "invalid-response" }
  | { kind: "proxy-error"; errorName: XksErrorName };

/** A failed proxy call. `detail` is for kmsd's log only (the proxy's errorMessage, a socket error). */
export class XksProxyFailure extends Error {
  readonly failure: XksFailureKind;

  constructor(failure: XksFailureKind, detail: string) {
    super(`XKS proxy call failed (${failure.kind === "proxy-error" ? failure.errorName : failure.kind}): ${detail}`);
    this.failure = failure;
  }
}

/** Which family of KMS operations made the proxy call: AWS maps the same failure differently for each. */
export type XksCaller = "key-store" | "create-key" | "cryptographic";

/** The spec's message for a proxy whose decryption gave back something KMS's own layer does not open. */
export const PROXY_RETURNED_INVALID_CIPHERTEXT =
  "The ciphertext that the external key store proxy submitted for decryption, or the encryption context, is corrupted, missing, or otherwise invalid.";

const CANNOT_INTERPRET =
  "AWS KMS cannot interpret the response from the external key store proxy. If you see this error repeatedly, report it to your external key store proxy administrator.";

/** The message AWS gives for each failure (the same whatever the exception type). */
function messageFor(failure: XksFailureKind): string {
  switch (failure.kind) {
    case "unreachable":
      return "AWS KMS cannot communicate with the external key store proxy. This might be a transient network issue. If you see this error repeatedly, verify that your external key store proxy is active and is connected to the network, and that its endpoint URI is correct in your external keystore.";
    case "tls":
      return "AWS KMS cannot establish a TLS connection to the external key store proxy. Verify the TLS configuration, including its certificate.";
    case "timeout":
      return "AWS KMS rejected the request because the external key store proxy did not respond in time. Retry the request. If you see this error repeatedly, report it to your external key store proxy administrator.";
    case "invalid-response":
      return CANNOT_INTERPRET;
    case "proxy-error":
      return PROXY_ERROR_MESSAGES[failure.errorName];
  }
}

const PROXY_ERROR_MESSAGES: Record<XksErrorName, string> = {
  ValidationException: CANNOT_INTERPRET,
  InvalidStateException:
    "The external key associated with this KMS key in an external key store is not enabled in the external HSM. Enable the external key in the external HSM and retry the request.",
  InvalidCiphertextException:
    "The external key store proxy rejected the request because the specified ciphertext or encryption context is corrupted, missing, or otherwise invalid.",
  InvalidKeyUsageException:
    "The external key associated with this KMS key in an external key store does not support the requested operation. Enable the operation on the key in your external HSM, and try the request again.",
  AuthenticationFailedException:
    "The external key store proxy rejected the request because it could not authenticate AWS KMS. Verify the XKS proxy authentication credentials for your external key store and update if necessary.",
  AccessDeniedException:
    "The external key store proxy denied access to the operation. Verify that the user and the external key are both authorized for this operation, and try the request again.",
  KeyNotFoundException:
    "The external key associated with this KMS key in an external key store was not found in its external HSM. If the external key ID associated with this KMS key is incorrect, create a new KMS key with the correct external key ID.",
  InvalidUriPathException:
    "The external key store proxy rejected the request because of an invalid URI path. Verify the URI path for your external key store and update if necessary.",
  UnsupportedOperationException:
    "The external key store proxy rejected the request because it does not support the requested operation. If you see this error repeatedly, report it to your external key store proxy administrator.",
  DependencyTimeoutException:
    "The external key store proxy did not respond to the request in the time allotted. Retry the request. If you see this error repeatedly, report it to your external key store proxy administrator.",
  ThrottlingException:
    "The external key store proxy rejected the request due to a very high request rate. Reduce the frequency of your calls using KMS keys in this external key store.",
  InternalException:
    "The external key store proxy rejected the request because it cannot communicate with the external HSM. Verify that the external key store proxy configuration is correct and that the external HSM is available.",
};

/** The AWS error for a failed proxy call made on behalf of `caller`. */
export function kmsErrorFor(failure: XksFailureKind, caller: XksCaller): AwsError {
  const message = messageFor(failure);
  if (caller === "cryptographic") return new KMSInvalidStateException(message);
  const name = failure.kind === "proxy-error" ? failure.errorName : failure.kind;
  if (caller === "create-key") {
    if (name === "KeyNotFoundException") return new XksKeyNotFoundException(message);
    if (name === "InvalidStateException" || name === "InvalidKeyUsageException") return new XksKeyInvalidConfigurationException(message);
    if (name === "AccessDeniedException") return new KMSInvalidStateException(message);
    return new CustomKeyStoreInvalidStateException(message);
  }
  switch (name) {
    case "AuthenticationFailedException":
      return new XksProxyIncorrectAuthenticationCredentialException(message);
    case "InvalidUriPathException":
      return new XksProxyInvalidConfigurationException(message);
    case "unreachable":
    case "tls":
    case "timeout":
    case "DependencyTimeoutException":
    case "ThrottlingException":
      return new XksProxyUriUnreachableException(message);
    default:
      return new XksProxyInvalidResponseException(message);
  }
}

/** The ConnectionErrorCode a store gets when connecting fails this way. */
export function connectionErrorCodeFor(failure: XksFailureKind): ConnectionErrorCodeType {
  switch (failure.kind) {
    case "unreachable":
      return "XKS_PROXY_NOT_REACHABLE";
    case "tls":
      return "XKS_PROXY_INVALID_TLS_CONFIGURATION";
    case "timeout":
      return "XKS_PROXY_TIMED_OUT";
    case "invalid-response":
      return "XKS_PROXY_INVALID_RESPONSE";
    case "proxy-error":
      switch (failure.errorName) {
        case "AuthenticationFailedException":
          return "INVALID_CREDENTIALS";
        case "AccessDeniedException":
          return "XKS_PROXY_ACCESS_DENIED";
        case "InvalidUriPathException":
          return "XKS_PROXY_INVALID_CONFIGURATION";
        case "DependencyTimeoutException":
          return "XKS_PROXY_TIMED_OUT";
        case "ThrottlingException":
        case "InternalException":
          return "XKS_PROXY_NOT_REACHABLE";
        default:
          return "XKS_PROXY_INVALID_RESPONSE";
      }
  }
}
