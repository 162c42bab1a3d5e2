/**
 * For every KMS operation: the IAM actions it is authorized with, against which resource,
 * and which policy governs it, per AWS's "AWS KMS permissions" reference.
 *  - "key-policy": the resource is the key ARN; the key policy decides, and IAM policies
 *    count only where the key policy delegates to the account (evaluate with the key
 *    policy as resourcePolicy and the key's grants);
 *  - "iam-policy": the resource is `*` (or an alias ARN); identity policies decide
 *    (evaluate without a resourcePolicy).
 * Alias operations need two or three checks (the alias and each key), ReEncrypt two
 * (ReEncryptFrom on the source key, ReEncryptTo on the destination key).
 * `crossAccount` says whether AWS lets a principal of another account call the operation
 * on the key at all. The mapped type makes a missing operation a compile error.
 */
import type { KMS_OPERATIONS } from "../model/kms.generated.ts";

/** Which resource a check is made against. */
export type KmsResourceRef =
  /** The key the operation names. */
  | "key"
  /** ReEncrypt's destination key. */
  | "destination-key"
  /** UpdateAlias's new target key. */
  | "target-key"
  /** UpdatePrimaryRegion's replica key being promoted. */
  | "replica-key"
  /** The alias ARN the operation names. */
  | "alias"
  /** No resource: `*`. */
  | "none";

/** One authorization check an operation performs. */
export interface KmsAuthorizationCheck {
  /** The IAM action, e.g. `kms:ReEncryptFrom`. */
  readonly action: string;
  readonly resource: KmsResourceRef;
  readonly policy: "key-policy" | "iam-policy";
  /** The check applies only when the request uses this parameter. */
  readonly when?: "Tags" | undefined;
}

/** How one KMS operation is authorized. */
export interface KmsPermission {
  readonly checks: readonly KmsAuthorizationCheck[];
  /** Whether a principal of another account may call it on the key. */
  readonly crossAccount: boolean;
}

type KmsOperationName = (typeof KMS_OPERATIONS)[number];

const keyOp = (operation: string, crossAccount = false): KmsPermission => ({
  checks: [{ action: `kms:${operation}`, resource: "key", policy: "key-policy" }],
  crossAccount,
});
const iamOp = (operation: string): KmsPermission => ({
  checks: [{ action: `kms:${operation}`, resource: "none", policy: "iam-policy" }],
  crossAccount: false,
});
const aliasOp = (operation: string, ...keys: readonly KmsResourceRef[]): KmsPermission => ({
  checks: [
    { action: `kms:${operation}`, resource: "alias", policy: "iam-policy" },
    ...keys.map((resource): KmsAuthorizationCheck => ({ action: `kms:${operation}`, resource, policy: "key-policy" })),
  ],
  crossAccount: false,
});

/** The authorization of every KMS operation. */
export const KMS_PERMISSIONS: { readonly [Op in KmsOperationName]: KmsPermission } = {
  CancelKeyDeletion: keyOp("CancelKeyDeletion"),
  ConnectCustomKeyStore: iamOp("ConnectCustomKeyStore"),
  CreateAlias: aliasOp("CreateAlias", "key"),
  CreateCustomKeyStore: iamOp("CreateCustomKeyStore"),
  CreateGrant: keyOp("CreateGrant", true),
  CreateKey: {
    checks: [
      { action: "kms:CreateKey", resource: "none", policy: "iam-policy" },
      { action: "kms:TagResource", resource: "none", policy: "iam-policy", when: "Tags" },
    ],
    crossAccount: false,
  },
  Decrypt: keyOp("Decrypt", true),
  DeleteAlias: aliasOp("DeleteAlias", "key"),
  DeleteCustomKeyStore: iamOp("DeleteCustomKeyStore"),
  DeleteImportedKeyMaterial: keyOp("DeleteImportedKeyMaterial"),
  DeriveSharedSecret: keyOp("DeriveSharedSecret", true),
  DescribeCustomKeyStores: iamOp("DescribeCustomKeyStores"),
  DescribeKey: keyOp("DescribeKey", true),
  DisableKey: keyOp("DisableKey"),
  DisableKeyRotation: keyOp("DisableKeyRotation"),
  DisconnectCustomKeyStore: iamOp("DisconnectCustomKeyStore"),
  EnableKey: keyOp("EnableKey"),
  EnableKeyRotation: keyOp("EnableKeyRotation"),
  Encrypt: keyOp("Encrypt", true),
  GenerateDataKey: keyOp("GenerateDataKey", true),
  GenerateDataKeyPair: keyOp("GenerateDataKeyPair", true),
  GenerateDataKeyPairWithoutPlaintext: keyOp("GenerateDataKeyPairWithoutPlaintext", true),
  GenerateDataKeyWithoutPlaintext: keyOp("GenerateDataKeyWithoutPlaintext", true),
  GenerateMac: keyOp("GenerateMac", true),
  GenerateRandom: iamOp("GenerateRandom"),
  GetKeyLastUsage: keyOp("GetKeyLastUsage"),
  GetKeyPolicy: keyOp("GetKeyPolicy"),
  GetKeyRotationStatus: keyOp("GetKeyRotationStatus", true),
  GetParametersForImport: keyOp("GetParametersForImport"),
  GetPublicKey: keyOp("GetPublicKey", true),
  ImportKeyMaterial: keyOp("ImportKeyMaterial"),
  ListAliases: iamOp("ListAliases"),
  ListGrants: keyOp("ListGrants", true),
  ListKeyPolicies: keyOp("ListKeyPolicies"),
  ListKeyRotations: keyOp("ListKeyRotations"),
  ListKeys: iamOp("ListKeys"),
  ListResourceTags: keyOp("ListResourceTags"),
  ListRetirableGrants: iamOp("ListRetirableGrants"),
  PutKeyPolicy: keyOp("PutKeyPolicy"),
  ReEncrypt: {
    checks: [
      { action: "kms:ReEncryptFrom", resource: "key", policy: "key-policy" },
      { action: "kms:ReEncryptTo", resource: "destination-key", policy: "key-policy" },
    ],
    crossAccount: true,
  },
  ReplicateKey: {
    checks: [
      { action: "kms:ReplicateKey", resource: "key", policy: "key-policy" },
      { action: "kms:CreateKey", resource: "none", policy: "iam-policy" },
      { action: "kms:TagResource", resource: "none", policy: "iam-policy", when: "Tags" },
    ],
    crossAccount: false,
  },
  // Also allowed, without any policy, to the grant's retiring principal and (when the grant allows RetireGrant) its grantee.
  RetireGrant: keyOp("RetireGrant", true),
  RevokeGrant: keyOp("RevokeGrant", true),
  RotateKeyOnDemand: keyOp("RotateKeyOnDemand"),
  ScheduleKeyDeletion: keyOp("ScheduleKeyDeletion"),
  Sign: keyOp("Sign", true),
  TagResource: keyOp("TagResource"),
  UntagResource: keyOp("UntagResource"),
  UpdateAlias: aliasOp("UpdateAlias", "key", "target-key"),
  UpdateCustomKeyStore: iamOp("UpdateCustomKeyStore"),
  UpdateKeyDescription: keyOp("UpdateKeyDescription"),
  UpdatePrimaryRegion: {
    checks: [
      { action: "kms:UpdatePrimaryRegion", resource: "key", policy: "key-policy" },
      { action: "kms:UpdatePrimaryRegion", resource: "replica-key", policy: "key-policy" },
    ],
    crossAccount: false,
  },
  Verify: keyOp("Verify", true),
  VerifyMac: keyOp("VerifyMac", true),
};

/** How an operation is authorized, or undefined for a name that is not a KMS operation. */
export function kmsPermission(operation: string): KmsPermission | undefined {
  return Object.hasOwn(KMS_PERMISSIONS, operation) ? KMS_PERMISSIONS[operation as KmsOperationName] : undefined;
}
