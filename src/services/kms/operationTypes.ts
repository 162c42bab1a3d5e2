/**
 * Request and response types of every KMS operation, from @aws-sdk/client-kms (the
 * official SDK's types, derived from the same model). Generated once from botocore's model
 * operation list; the registry's mapped type over this makes a missing operation a compile error.
 */
import type {
  CancelKeyDeletionRequest,
  CancelKeyDeletionResponse,
  ConnectCustomKeyStoreRequest,
  ConnectCustomKeyStoreResponse,
  CreateAliasRequest,
  CreateCustomKeyStoreRequest,
  CreateCustomKeyStoreResponse,
  CreateGrantRequest,
  CreateGrantResponse,
  CreateKeyRequest,
  CreateKeyResponse,
  DecryptRequest,
  DecryptResponse,
  DeleteAliasRequest,
  DeleteCustomKeyStoreRequest,
  DeleteCustomKeyStoreResponse,
  DeleteImportedKeyMaterialRequest,
  DeleteImportedKeyMaterialResponse,
  DeriveSharedSecretRequest,
  DeriveSharedSecretResponse,
  DescribeCustomKeyStoresRequest,
  DescribeCustomKeyStoresResponse,
  DescribeKeyRequest,
  DescribeKeyResponse,
  DisableKeyRequest,
  DisableKeyRotationRequest,
  DisconnectCustomKeyStoreRequest,
  DisconnectCustomKeyStoreResponse,
  EnableKeyRequest,
  EnableKeyRotationRequest,
  EncryptRequest,
  EncryptResponse,
  GenerateDataKeyPairRequest,
  GenerateDataKeyPairResponse,
  GenerateDataKeyPairWithoutPlaintextRequest,
  GenerateDataKeyPairWithoutPlaintextResponse,
  GenerateDataKeyRequest,
  GenerateDataKeyResponse,
  GenerateDataKeyWithoutPlaintextRequest,
  GenerateDataKeyWithoutPlaintextResponse,
  GenerateMacRequest,
  GenerateMacResponse,
  GenerateRandomRequest,
  GenerateRandomResponse,
  GetKeyLastUsageRequest,
  GetKeyLastUsageResponse,
  GetKeyPolicyRequest,
  GetKeyPolicyResponse,
  GetKeyRotationStatusRequest,
  GetKeyRotationStatusResponse,
  GetParametersForImportRequest,
  GetParametersForImportResponse,
  GetPublicKeyRequest,
  GetPublicKeyResponse,
  ImportKeyMaterialRequest,
  ImportKeyMaterialResponse,
  ListAliasesRequest,
  ListAliasesResponse,
  ListGrantsRequest,
  ListGrantsResponse,
  ListKeyPoliciesRequest,
  ListKeyPoliciesResponse,
  ListKeyRotationsRequest,
  ListKeyRotationsResponse,
  ListKeysRequest,
  ListKeysResponse,
  ListResourceTagsRequest,
  ListResourceTagsResponse,
  ListRetirableGrantsRequest,
  PutKeyPolicyRequest,
  ReEncryptRequest,
  ReEncryptResponse,
  ReplicateKeyRequest,
  ReplicateKeyResponse,
  RetireGrantRequest,
  RevokeGrantRequest,
  RotateKeyOnDemandRequest,
  RotateKeyOnDemandResponse,
  ScheduleKeyDeletionRequest,
  ScheduleKeyDeletionResponse,
  SignRequest,
  SignResponse,
  TagResourceRequest,
  UntagResourceRequest,
  UpdateAliasRequest,
  UpdateCustomKeyStoreRequest,
  UpdateCustomKeyStoreResponse,
  UpdateKeyDescriptionRequest,
  UpdatePrimaryRegionRequest,
  VerifyMacRequest,
  VerifyMacResponse,
  VerifyRequest,
  VerifyResponse,
} from "@aws-sdk/client-kms";

/** For each operation, its input and output type. */
export interface KmsOperationTypes {
  CancelKeyDeletion: { input: CancelKeyDeletionRequest; output: CancelKeyDeletionResponse };
  ConnectCustomKeyStore: { input: ConnectCustomKeyStoreRequest; output: ConnectCustomKeyStoreResponse };
  CreateAlias: { input: CreateAliasRequest; output: Record<string, never> };
  CreateCustomKeyStore: { input: CreateCustomKeyStoreRequest; output: CreateCustomKeyStoreResponse };
  CreateGrant: { input: CreateGrantRequest; output: CreateGrantResponse };
  CreateKey: { input: CreateKeyRequest; output: CreateKeyResponse };
  Decrypt: { input: DecryptRequest; output: DecryptResponse };
  DeleteAlias: { input: DeleteAliasRequest; output: Record<string, never> };
  DeleteCustomKeyStore: { input: DeleteCustomKeyStoreRequest; output: DeleteCustomKeyStoreResponse };
  DeleteImportedKeyMaterial: { input: DeleteImportedKeyMaterialRequest; output: DeleteImportedKeyMaterialResponse };
  DeriveSharedSecret: { input: DeriveSharedSecretRequest; output: DeriveSharedSecretResponse };
  DescribeCustomKeyStores: { input: DescribeCustomKeyStoresRequest; output: DescribeCustomKeyStoresResponse };
  DescribeKey: { input: DescribeKeyRequest; output: DescribeKeyResponse };
  DisableKey: { input: DisableKeyRequest; output: Record<string, never> };
  DisableKeyRotation: { input: DisableKeyRotationRequest; output: Record<string, never> };
  DisconnectCustomKeyStore: { input: DisconnectCustomKeyStoreRequest; output: DisconnectCustomKeyStoreResponse };
  EnableKey: { input: EnableKeyRequest; output: Record<string, never> };
  EnableKeyRotation: { input: EnableKeyRotationRequest; output: Record<string, never> };
  Encrypt: { input: EncryptRequest; output: EncryptResponse };
  GenerateDataKey: { input: GenerateDataKeyRequest; output: GenerateDataKeyResponse };
  GenerateDataKeyPair: { input: GenerateDataKeyPairRequest; output: GenerateDataKeyPairResponse };
  GenerateDataKeyPairWithoutPlaintext: { input: GenerateDataKeyPairWithoutPlaintextRequest; output: GenerateDataKeyPairWithoutPlaintextResponse };
  GenerateDataKeyWithoutPlaintext: { input: GenerateDataKeyWithoutPlaintextRequest; output: GenerateDataKeyWithoutPlaintextResponse };
  GenerateMac: { input: GenerateMacRequest; output: GenerateMacResponse };
  GenerateRandom: { input: GenerateRandomRequest; output: GenerateRandomResponse };
  GetKeyLastUsage: { input: GetKeyLastUsageRequest; output: GetKeyLastUsageResponse };
  GetKeyPolicy: { input: GetKeyPolicyRequest; output: GetKeyPolicyResponse };
  GetKeyRotationStatus: { input: GetKeyRotationStatusRequest; output: GetKeyRotationStatusResponse };
  GetParametersForImport: { input: GetParametersForImportRequest; output: GetParametersForImportResponse };
  GetPublicKey: { input: GetPublicKeyRequest; output: GetPublicKeyResponse };
  ImportKeyMaterial: { input: ImportKeyMaterialRequest; output: ImportKeyMaterialResponse };
  ListAliases: { input: ListAliasesRequest; output: ListAliasesResponse };
  ListGrants: { input: ListGrantsRequest; output: ListGrantsResponse };
  ListKeyPolicies: { input: ListKeyPoliciesRequest; output: ListKeyPoliciesResponse };
  ListKeyRotations: { input: ListKeyRotationsRequest; output: ListKeyRotationsResponse };
  ListKeys: { input: ListKeysRequest; output: ListKeysResponse };
  ListResourceTags: { input: ListResourceTagsRequest; output: ListResourceTagsResponse };
  ListRetirableGrants: { input: ListRetirableGrantsRequest; output: ListGrantsResponse };
  PutKeyPolicy: { input: PutKeyPolicyRequest; output: Record<string, never> };
  ReEncrypt: { input: ReEncryptRequest; output: ReEncryptResponse };
  ReplicateKey: { input: ReplicateKeyRequest; output: ReplicateKeyResponse };
  RetireGrant: { input: RetireGrantRequest; output: Record<string, never> };
  RevokeGrant: { input: RevokeGrantRequest; output: Record<string, never> };
  RotateKeyOnDemand: { input: RotateKeyOnDemandRequest; output: RotateKeyOnDemandResponse };
  ScheduleKeyDeletion: { input: ScheduleKeyDeletionRequest; output: ScheduleKeyDeletionResponse };
  Sign: { input: SignRequest; output: SignResponse };
  TagResource: { input: TagResourceRequest; output: Record<string, never> };
  UntagResource: { input: UntagResourceRequest; output: Record<string, never> };
  UpdateAlias: { input: UpdateAliasRequest; output: Record<string, never> };
  UpdateCustomKeyStore: { input: UpdateCustomKeyStoreRequest; output: UpdateCustomKeyStoreResponse };
  UpdateKeyDescription: { input: UpdateKeyDescriptionRequest; output: Record<string, never> };
  UpdatePrimaryRegion: { input: UpdatePrimaryRegionRequest; output: Record<string, never> };
  Verify: { input: VerifyRequest; output: VerifyResponse };
  VerifyMac: { input: VerifyMacRequest; output: VerifyMacResponse };
}
