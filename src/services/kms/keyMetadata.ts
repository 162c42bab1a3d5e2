/**
 * The KeyMetadata structure AWS returns from CreateKey and DescribeKey, built from a
 * key record. Which algorithm lists appear depends on the key spec and usage.
 */
import type { KeyMetadata } from "@aws-sdk/client-kms";
import { algorithmsFor } from "../../crypto/asymmetric/index.ts";
import { isReplicaKey, keyArn, type KeyRecord } from "../../keys/records.ts";

/** KeyMetadata as AWS shows it for this key. */
export function toKeyMetadata(key: KeyRecord): KeyMetadata {
  const metadata: KeyMetadata = {
    AWSAccountId: key.accountId,
    KeyId: key.keyId,
    Arn: keyArn(key),
    CreationDate: new Date(key.createdAtMs),
    Enabled: key.state === "Enabled",
    Description: key.description,
    KeyUsage: key.keyUsage,
    KeyState: key.state,
    Origin: key.origin,
    KeyManager: key.keyManager,
    CustomerMasterKeySpec: key.keySpec as KeyMetadata["CustomerMasterKeySpec"],
    KeySpec: key.keySpec,
    MultiRegion: key.multiRegion,
    ...(key.customKeyStoreId === undefined ? {} : { CustomKeyStoreId: key.customKeyStoreId }),
    ...(key.xksKeyId === undefined ? {} : { XksKeyConfiguration: { Id: key.xksKeyId } }),
    ...(key.cloudHsmClusterId === undefined ? {} : { CloudHsmClusterId: key.cloudHsmClusterId }),
  };
  if (key.multiRegionConfig) {
    const { primaryRegion, replicaRegions } = key.multiRegionConfig;
    const inRegion = (region: string) => ({ Arn: keyArn({ ...key, region }), Region: region });
    metadata.MultiRegionConfiguration = {
      MultiRegionKeyType: isReplicaKey(key) ? "REPLICA" : "PRIMARY",
      PrimaryKey: inRegion(primaryRegion),
      ReplicaKeys: replicaRegions.map(inRegion),
    };
  }
  if (key.deletionDateMs !== undefined) metadata.DeletionDate = new Date(key.deletionDateMs);
  if (key.state === "PendingReplicaDeletion" && key.pendingWindowInDays !== undefined) metadata.PendingDeletionWindowInDays = key.pendingWindowInDays;
  if (key.imported) {
    metadata.ExpirationModel = key.imported.expirationModel;
    if (key.imported.validToMs !== undefined) metadata.ValidTo = new Date(key.imported.validToMs);
  }

  Object.assign(metadata, keyAlgorithms(key));
  // AWS shows the material id of symmetric encryption keys only (recorded for HMAC and asymmetric keys),
  // and not yet for a replica in Creating (recorded in ReplicateKey's answer).
  if (key.keySpec === "SYMMETRIC_DEFAULT" && key.currentKeyMaterialId && key.state !== "Creating") metadata.CurrentKeyMaterialId = key.currentKeyMaterialId;
  return metadata;
}

/** The algorithm lists (Encryption, Signing, Mac, KeyAgreement) AWS shows for the key's spec and usage. */
export function keyAlgorithms(key: KeyRecord): Pick<
  KeyMetadata,
  "EncryptionAlgorithms" | "SigningAlgorithms" | "MacAlgorithms" | "KeyAgreementAlgorithms"
> {
  if (key.keySpec === "SYMMETRIC_DEFAULT") return { EncryptionAlgorithms: ["SYMMETRIC_DEFAULT"] };
  const { EncryptionAlgorithms, SigningAlgorithms, MacAlgorithms, KeyAgreementAlgorithms } = algorithmsFor(key.keySpec, key.keyUsage);
  return {
    ...(EncryptionAlgorithms ? { EncryptionAlgorithms: [...EncryptionAlgorithms] } : {}),
    ...(SigningAlgorithms ? { SigningAlgorithms: [...SigningAlgorithms] } : {}),
    ...(MacAlgorithms ? { MacAlgorithms: [...MacAlgorithms] } : {}),
    ...(KeyAgreementAlgorithms ? { KeyAgreementAlgorithms: [...KeyAgreementAlgorithms] } : {}),
  };
}
