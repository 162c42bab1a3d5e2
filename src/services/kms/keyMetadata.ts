/**
 * The KeyMetadata structure AWS returns from CreateKey and DescribeKey, built from a
 * key record. Which algorithm lists appear depends on the key spec and usage.
 */
import type { KeyMetadata } from "@aws-sdk/client-kms";
import { keyArn, type KeyRecord } from "../../keys/records.ts";

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
  };
  if (key.deletionDateMs !== undefined) metadata.DeletionDate = new Date(key.deletionDateMs);
  if (key.keySpec === "SYMMETRIC_DEFAULT") {
    metadata.EncryptionAlgorithms = ["SYMMETRIC_DEFAULT"];
    if (key.currentKeyMaterialId) metadata.CurrentKeyMaterialId = key.currentKeyMaterialId;
  }
  return metadata;
}
