/**
 * AWS error types, one class per `__type`. Operations throw these; the protocol codec
 * turns them into `{"__type", "message"}` bodies. The HTTP status lives on the class,
 * never derived from message text. Anything that is not an AwsError is answered as a
 * generic KMSInternalException by the pipeline (the detail goes to the log only).
 */

/** Base of every error a client may see. */
export class AwsError extends Error {
  /** The wire `__type`, e.g. `NotFoundException`. */
  readonly code: string;
  /** HTTP status AWS answers with. Real AWS KMS answers 400 for every client fault. */
  readonly status: number;

  constructor(code: string, message: string, status = 400) {
    super(message);
    this.code = code;
    this.status = status;
    this.name = code;
  }
}

/** Declares an error class for one AWS `__type`. */
function awsError(code: string, status = 400) {
  const ErrorClass = class extends AwsError {
    constructor(message = "") {
      super(code, message, status);
    }
  };
  Object.defineProperty(ErrorClass, "name", { value: code });
  return ErrorClass;
}

// Protocol and authentication (shared by every AWS JSON and Query service).
export const SerializationException = awsError("SerializationException");
export const UnknownOperationException = awsError("UnknownOperationException");
export const ValidationException = awsError("ValidationException");
export const MissingAuthenticationTokenException = awsError("MissingAuthenticationTokenException", 400);
export const UnrecognizedClientException = awsError("UnrecognizedClientException");
export const InvalidSignatureException = awsError("InvalidSignatureException");
export const IncompleteSignatureException = awsError("IncompleteSignatureException");
export const ExpiredTokenException = awsError("ExpiredTokenException");
export const AccessDeniedException = awsError("AccessDeniedException");
export const ThrottlingException = awsError("ThrottlingException");
export const RequestEntityTooLargeException = awsError("RequestEntityTooLargeException", 413);
/**
 * AWS's common "temporary failure of the server" (503, which SDKs retry): what a sealed
 * node answers, as no key is usable until an operator or the auto-unseal unseals it.
 */
export const ServiceUnavailableException = awsError("ServiceUnavailableException", 503);

// KMS model exceptions.
export const AlreadyExistsException = awsError("AlreadyExistsException");
export const ConflictException = awsError("ConflictException");
export const CustomKeyStoreNotFoundException = awsError("CustomKeyStoreNotFoundException");
export const DependencyTimeoutException = awsError("DependencyTimeoutException", 503);
export const DisabledException = awsError("DisabledException");
export const DryRunOperationException = awsError("DryRunOperationException");
export const ExpiredImportTokenException = awsError("ExpiredImportTokenException");
export const IncorrectKeyException = awsError("IncorrectKeyException");
export const IncorrectKeyMaterialException = awsError("IncorrectKeyMaterialException");
export const InvalidAliasNameException = awsError("InvalidAliasNameException");
export const InvalidArnException = awsError("InvalidArnException");
export const InvalidCiphertextException = awsError("InvalidCiphertextException");
export const InvalidGrantIdException = awsError("InvalidGrantIdException");
export const InvalidGrantTokenException = awsError("InvalidGrantTokenException");
export const InvalidImportTokenException = awsError("InvalidImportTokenException");
export const InvalidKeyUsageException = awsError("InvalidKeyUsageException");
export const InvalidMarkerException = awsError("InvalidMarkerException");
export const KMSInternalException = awsError("KMSInternalException", 500);
export const KMSInvalidMacException = awsError("KMSInvalidMacException");
export const KMSInvalidSignatureException = awsError("KMSInvalidSignatureException");
export const KMSInvalidStateException = awsError("KMSInvalidStateException");
export const KeyUnavailableException = awsError("KeyUnavailableException", 500);
export const LimitExceededException = awsError("LimitExceededException");
export const MalformedPolicyDocumentException = awsError("MalformedPolicyDocumentException");
export const NotFoundException = awsError("NotFoundException");
export const TagException = awsError("TagException");
export const UnsupportedOperationException = awsError("UnsupportedOperationException");

// Custom key stores (CloudHSM-type and external key stores).
export const CloudHsmClusterInUseException = awsError("CloudHsmClusterInUseException");
export const CloudHsmClusterInvalidConfigurationException = awsError("CloudHsmClusterInvalidConfigurationException");
export const CloudHsmClusterNotActiveException = awsError("CloudHsmClusterNotActiveException");
export const CloudHsmClusterNotFoundException = awsError("CloudHsmClusterNotFoundException");
export const CloudHsmClusterNotRelatedException = awsError("CloudHsmClusterNotRelatedException");
export const CustomKeyStoreHasCMKsException = awsError("CustomKeyStoreHasCMKsException");
export const CustomKeyStoreInvalidStateException = awsError("CustomKeyStoreInvalidStateException");
export const CustomKeyStoreNameInUseException = awsError("CustomKeyStoreNameInUseException");
export const IncorrectTrustAnchorException = awsError("IncorrectTrustAnchorException");
export const XksKeyAlreadyInUseException = awsError("XksKeyAlreadyInUseException");
export const XksKeyInvalidConfigurationException = awsError("XksKeyInvalidConfigurationException");
export const XksKeyNotFoundException = awsError("XksKeyNotFoundException");
export const XksProxyIncorrectAuthenticationCredentialException = awsError("XksProxyIncorrectAuthenticationCredentialException");
export const XksProxyInvalidConfigurationException = awsError("XksProxyInvalidConfigurationException");
export const XksProxyInvalidResponseException = awsError("XksProxyInvalidResponseException");
export const XksProxyUriEndpointInUseException = awsError("XksProxyUriEndpointInUseException");
export const XksProxyUriInUseException = awsError("XksProxyUriInUseException");
export const XksProxyUriUnreachableException = awsError("XksProxyUriUnreachableException");
export const XksProxyVpcEndpointServiceInUseException = awsError("XksProxyVpcEndpointServiceInUseException");
export const XksProxyVpcEndpointServiceInvalidConfigurationException = awsError("XksProxyVpcEndpointServiceInvalidConfigurationException");
export const XksProxyVpcEndpointServiceNotFoundException = awsError("XksProxyVpcEndpointServiceNotFoundException");

/** The message every DryRun request gets when it would have succeeded. */
export const DRY_RUN_MESSAGE = "The request would have succeeded, but the DryRun option is set.";
