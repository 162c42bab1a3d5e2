/**
 * The KMS part of the condition context, built from what the operation knows about the
 * request and the key, named as AWS's KMS condition-key reference names them. Keys that
 * describe a request parameter are set even when the caller left the parameter to its
 * default (AWS documents this for kms:EncryptionAlgorithm, kms:KeySpec, …): the operation
 * passes the effective value. Absent facts leave their keys absent (Null: true).
 */
import { requestTagContext, resourceTagContext } from "./globalConditionKeys.ts";
import type { ConditionValue, GrantConstraintsLike } from "./types.ts";

export { KMS_PERMISSIONS, kmsPermission, type KmsAuthorizationCheck, type KmsPermission } from "./kmsPermissions.ts";

/** The properties of the KMS key used in (or created by) the operation. */
export interface KmsKeyFacts {
  /** `kms:KeySpec` (and the deprecated `kms:CustomerMasterKeySpec`). */
  readonly keySpec: string;
  /** `kms:KeyUsage` (and the deprecated `kms:CustomerMasterKeyUsage`). */
  readonly keyUsage: string;
  /** `kms:KeyOrigin`. */
  readonly origin: string;
  /** `kms:MultiRegion`. */
  readonly multiRegion: boolean;
  /** `kms:MultiRegionKeyType`, multi-Region keys only. */
  readonly multiRegionKeyType?: "PRIMARY" | "REPLICA" | undefined;
  /** `kms:ResourceAliases`: the key's alias names (`alias/…`). */
  readonly aliases?: readonly string[] | undefined;
  /** `aws:ResourceTag/*`: the key's tags. */
  readonly tags?: Readonly<Record<string, string>> | undefined;
}

/** What a KMS operation knows about its request. Every field is optional. */
export interface KmsRequestFacts {
  /** `kms:CallerAccount`: the caller's account. */
  readonly callerAccount?: string | undefined;
  /** `kms:ViaService`: the integrated service calling on the caller's behalf. */
  readonly viaService?: string | undefined;
  /** The key used or created. */
  readonly key?: KmsKeyFacts | undefined;
  /** `kms:EncryptionContext:*` and `kms:EncryptionContextKeys` (for ReEncrypt: the context of the key being checked). */
  readonly encryptionContext?: Readonly<Record<string, string>> | undefined;
  /** `kms:EncryptionAlgorithm`. */
  readonly encryptionAlgorithm?: string | undefined;
  /** `kms:SigningAlgorithm`. */
  readonly signingAlgorithm?: string | undefined;
  /** `kms:MacAlgorithm`. */
  readonly macAlgorithm?: string | undefined;
  /** `kms:MessageType` (RAW or DIGEST). */
  readonly messageType?: string | undefined;
  /** `kms:KeyAgreementAlgorithm`. */
  readonly keyAgreementAlgorithm?: string | undefined;
  /** `kms:DataKeyPairSpec`. */
  readonly dataKeyPairSpec?: string | undefined;
  /** The KeyId parameter; `kms:RequestAlias` when it names an alias (name or ARN). */
  readonly keyIdParameter?: string | undefined;
  /** CreateGrant: `kms:GrantOperations`. */
  readonly grantOperations?: readonly string[] | undefined;
  /** CreateGrant: `kms:GrantConstraintType`, and the constraint's pairs as `kms:EncryptionContext:*`. */
  readonly grantConstraints?: GrantConstraintsLike | undefined;
  /** CreateGrant: `kms:GranteePrincipal`. */
  readonly granteePrincipal?: string | undefined;
  /** CreateGrant: `kms:RetiringPrincipal`. */
  readonly retiringPrincipal?: string | undefined;
  /** CreateGrant, ListGrants, RevokeGrant: `kms:GrantIsForAWSResource`. */
  readonly grantIsForAWSResource?: boolean | undefined;
  /** ReEncrypt: `kms:ReEncryptOnSameKey`. */
  readonly reEncryptOnSameKey?: boolean | undefined;
  /** EnableKeyRotation: `kms:RotationPeriodInDays`. */
  readonly rotationPeriodInDays?: number | undefined;
  /** ScheduleKeyDeletion: `kms:ScheduleKeyDeletionPendingWindowInDays`. */
  readonly pendingWindowInDays?: number | undefined;
  /** CreateKey, PutKeyPolicy: `kms:BypassPolicyLockoutSafetyCheck`. */
  readonly bypassPolicyLockoutSafetyCheck?: boolean | undefined;
  /** GetParametersForImport: `kms:WrappingAlgorithm`. */
  readonly wrappingAlgorithm?: string | undefined;
  /** GetParametersForImport: `kms:WrappingKeySpec`. */
  readonly wrappingKeySpec?: string | undefined;
  /** ImportKeyMaterial: `kms:ExpirationModel`. */
  readonly expirationModel?: string | undefined;
  /** ImportKeyMaterial: `kms:ValidTo` (epoch seconds). */
  readonly validTo?: Date | number | undefined;
  /** UpdatePrimaryRegion: `kms:PrimaryRegion`. */
  readonly primaryRegion?: string | undefined;
  /** ReplicateKey: `kms:ReplicaRegion`. */
  readonly replicaRegion?: string | undefined;
  /** Tags the request sets: `aws:RequestTag/*` and `aws:TagKeys`. */
  readonly requestTags?: Readonly<Record<string, string>> | undefined;
}

const STRINGS: readonly (readonly [keyof KmsRequestFacts, string])[] = [
  ["callerAccount", "kms:CallerAccount"],
  ["viaService", "kms:ViaService"],
  ["encryptionAlgorithm", "kms:EncryptionAlgorithm"],
  ["signingAlgorithm", "kms:SigningAlgorithm"],
  ["macAlgorithm", "kms:MacAlgorithm"],
  ["messageType", "kms:MessageType"],
  ["keyAgreementAlgorithm", "kms:KeyAgreementAlgorithm"],
  ["dataKeyPairSpec", "kms:DataKeyPairSpec"],
  ["granteePrincipal", "kms:GranteePrincipal"],
  ["retiringPrincipal", "kms:RetiringPrincipal"],
  ["grantIsForAWSResource", "kms:GrantIsForAWSResource"],
  ["reEncryptOnSameKey", "kms:ReEncryptOnSameKey"],
  ["rotationPeriodInDays", "kms:RotationPeriodInDays"],
  ["pendingWindowInDays", "kms:ScheduleKeyDeletionPendingWindowInDays"],
  ["bypassPolicyLockoutSafetyCheck", "kms:BypassPolicyLockoutSafetyCheck"],
  ["wrappingAlgorithm", "kms:WrappingAlgorithm"],
  ["wrappingKeySpec", "kms:WrappingKeySpec"],
  ["expirationModel", "kms:ExpirationModel"],
  ["primaryRegion", "kms:PrimaryRegion"],
  ["replicaRegion", "kms:ReplicaRegion"],
];

/** The KMS condition keys for one authorization check. */
export function kmsRequestContext(facts: KmsRequestFacts): Record<string, ConditionValue> {
  const context: Record<string, ConditionValue> = {};
  for (const [field, key] of STRINGS) {
    const value = facts[field];
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") context[key] = value;
  }
  if (facts.key !== undefined) Object.assign(context, keyContext(facts.key));
  const constraintType = grantConstraintType(facts.grantConstraints);
  if (constraintType !== undefined) context["kms:GrantConstraintType"] = constraintType;
  // For CreateGrant, the encryption-context keys describe the new grant's constraint.
  const pairs = facts.encryptionContext ?? facts.grantConstraints?.encryptionContextEquals ?? facts.grantConstraints?.encryptionContextSubset;
  if (pairs !== undefined) Object.assign(context, encryptionContextKeys(pairs));
  if (facts.grantOperations !== undefined) context["kms:GrantOperations"] = facts.grantOperations;
  const alias = requestAlias(facts.keyIdParameter);
  if (alias !== undefined) context["kms:RequestAlias"] = alias;
  if (facts.validTo !== undefined) {
    context["kms:ValidTo"] = facts.validTo instanceof Date ? Math.floor(facts.validTo.getTime() / 1000) : facts.validTo;
  }
  if (facts.requestTags !== undefined) Object.assign(context, requestTagContext(facts.requestTags));
  return context;
}

/** `kms:EncryptionContext:<key>` per pair (values case-sensitive) and `kms:EncryptionContextKeys`. */
export function encryptionContextKeys(pairs: Readonly<Record<string, string>>): Record<string, ConditionValue> {
  const context: Record<string, ConditionValue> = {};
  const keys = Object.keys(pairs);
  for (const key of keys) context[`kms:EncryptionContext:${key}`] = pairs[key];
  if (keys.length > 0) context["kms:EncryptionContextKeys"] = keys;
  return context;
}

/** The condition keys describing a KMS key. */
export function keyContext(key: KmsKeyFacts): Record<string, ConditionValue> {
  const context: Record<string, ConditionValue> = {
    "kms:KeySpec": key.keySpec,
    "kms:CustomerMasterKeySpec": key.keySpec,
    "kms:KeyUsage": key.keyUsage,
    "kms:CustomerMasterKeyUsage": key.keyUsage,
    "kms:KeyOrigin": key.origin,
    "kms:MultiRegion": key.multiRegion,
  };
  if (key.multiRegion && key.multiRegionKeyType !== undefined) context["kms:MultiRegionKeyType"] = key.multiRegionKeyType;
  if (key.aliases !== undefined) context["kms:ResourceAliases"] = key.aliases;
  if (key.tags !== undefined) Object.assign(context, resourceTagContext(key.tags));
  return context;
}

/** `alias/name` for a KeyId that is an alias name or alias ARN; undefined for key ids and key ARNs. */
export function requestAlias(keyId: string | undefined): string | undefined {
  if (keyId === undefined) return undefined;
  if (keyId.startsWith("alias/")) return keyId;
  const at = keyId.startsWith("arn:") ? keyId.indexOf(":alias/") : -1;
  return at < 0 ? undefined : keyId.slice(at + 1);
}

function grantConstraintType(constraints: GrantConstraintsLike | undefined): string | undefined {
  if (constraints?.encryptionContextEquals !== undefined) return "EncryptionContextEquals";
  if (constraints?.encryptionContextSubset !== undefined) return "EncryptionContextSubset";
  return undefined;
}
