/**
 * The KMS service: every operation of the model mapped to its handler. The KmsRegistry
 * type makes a missing entry a compile error.
 */
import { CancelKeyDeletion } from "./operations/CancelKeyDeletion.ts";
import { CreateAlias } from "./operations/CreateAlias.ts";
import { UpdateCustomKeyStore } from "./operations/UpdateCustomKeyStore.ts";
import { DisconnectCustomKeyStore } from "./operations/DisconnectCustomKeyStore.ts";
import { DescribeCustomKeyStores } from "./operations/DescribeCustomKeyStores.ts";
import { DeleteCustomKeyStore } from "./operations/DeleteCustomKeyStore.ts";
import { CreateCustomKeyStore } from "./operations/CreateCustomKeyStore.ts";
import { ConnectCustomKeyStore } from "./operations/ConnectCustomKeyStore.ts";
import { CreateGrant } from "./operations/CreateGrant.ts";
import { CreateKey } from "./operations/CreateKey.ts";
import { Decrypt } from "./operations/Decrypt.ts";
import { DeleteAlias } from "./operations/DeleteAlias.ts";
import { DeleteImportedKeyMaterial } from "./operations/DeleteImportedKeyMaterial.ts";
import { DeriveSharedSecret } from "./operations/DeriveSharedSecret.ts";
import { DescribeKey } from "./operations/DescribeKey.ts";
import { DisableKey } from "./operations/DisableKey.ts";
import { DisableKeyRotation } from "./operations/DisableKeyRotation.ts";
import { EnableKey } from "./operations/EnableKey.ts";
import { EnableKeyRotation } from "./operations/EnableKeyRotation.ts";
import { Encrypt } from "./operations/Encrypt.ts";
import { GenerateDataKey } from "./operations/GenerateDataKey.ts";
import { GenerateDataKeyPair } from "./operations/GenerateDataKeyPair.ts";
import { GenerateDataKeyPairWithoutPlaintext } from "./operations/GenerateDataKeyPairWithoutPlaintext.ts";
import { GenerateDataKeyWithoutPlaintext } from "./operations/GenerateDataKeyWithoutPlaintext.ts";
import { GenerateMac } from "./operations/GenerateMac.ts";
import { GenerateRandom } from "./operations/GenerateRandom.ts";
import { GetKeyLastUsage } from "./operations/GetKeyLastUsage.ts";
import { GetKeyPolicy } from "./operations/GetKeyPolicy.ts";
import { GetKeyRotationStatus } from "./operations/GetKeyRotationStatus.ts";
import { GetParametersForImport } from "./operations/GetParametersForImport.ts";
import { GetPublicKey } from "./operations/GetPublicKey.ts";
import { ImportKeyMaterial } from "./operations/ImportKeyMaterial.ts";
import { ListAliases } from "./operations/ListAliases.ts";
import { ListGrants } from "./operations/ListGrants.ts";
import { ListKeyPolicies } from "./operations/ListKeyPolicies.ts";
import { ListKeyRotations } from "./operations/ListKeyRotations.ts";
import { ListKeys } from "./operations/ListKeys.ts";
import { ListResourceTags } from "./operations/ListResourceTags.ts";
import { ListRetirableGrants } from "./operations/ListRetirableGrants.ts";
import { PutKeyPolicy } from "./operations/PutKeyPolicy.ts";
import { ReEncrypt } from "./operations/ReEncrypt.ts";
import { ReplicateKey } from "./operations/ReplicateKey.ts";
import { RetireGrant } from "./operations/RetireGrant.ts";
import { RevokeGrant } from "./operations/RevokeGrant.ts";
import { RotateKeyOnDemand } from "./operations/RotateKeyOnDemand.ts";
import { ScheduleKeyDeletion } from "./operations/ScheduleKeyDeletion.ts";
import { Sign } from "./operations/Sign.ts";
import { TagResource } from "./operations/TagResource.ts";
import { UntagResource } from "./operations/UntagResource.ts";
import { UpdateAlias } from "./operations/UpdateAlias.ts";
import { UpdateKeyDescription } from "./operations/UpdateKeyDescription.ts";
import { UpdatePrimaryRegion } from "./operations/UpdatePrimaryRegion.ts";
import { Verify } from "./operations/Verify.ts";
import { VerifyMac } from "./operations/VerifyMac.ts";
import type { KmsRegistry } from "./registry.ts";

/** Handlers of the KMS API, by operation name. */
export const kmsOperations: KmsRegistry = {
  CancelKeyDeletion,
  ConnectCustomKeyStore,
  CreateAlias,
  CreateCustomKeyStore,
  CreateGrant,
  CreateKey,
  Decrypt,
  DeleteAlias,
  DeleteCustomKeyStore,
  DeleteImportedKeyMaterial,
  DeriveSharedSecret,
  DescribeCustomKeyStores,
  DescribeKey,
  DisableKey,
  DisableKeyRotation,
  DisconnectCustomKeyStore,
  EnableKey,
  EnableKeyRotation,
  Encrypt,
  GenerateDataKey,
  GenerateDataKeyPair,
  GenerateDataKeyPairWithoutPlaintext,
  GenerateDataKeyWithoutPlaintext,
  GenerateMac,
  GenerateRandom,
  GetKeyLastUsage,
  GetKeyPolicy,
  GetKeyRotationStatus,
  GetParametersForImport,
  GetPublicKey,
  ImportKeyMaterial,
  ListAliases,
  ListGrants,
  ListKeyPolicies,
  ListKeyRotations,
  ListKeys,
  ListResourceTags,
  ListRetirableGrants,
  PutKeyPolicy,
  ReEncrypt,
  ReplicateKey,
  RetireGrant,
  RevokeGrant,
  RotateKeyOnDemand,
  ScheduleKeyDeletion,
  Sign,
  TagResource,
  UntagResource,
  UpdateAlias,
  UpdateCustomKeyStore,
  UpdateKeyDescription,
  UpdatePrimaryRegion,
  Verify,
  VerifyMac,
};
