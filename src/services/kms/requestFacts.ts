/**
 * The facts of a KMS request that condition keys read (kms:EncryptionContext:*,
 * kms:SigningAlgorithm, kms:GrantOperations, aws:RequestTag/*...), taken from the decoded
 * input. One function for every operation: member names are the model's, and ReEncrypt's
 * two checks read the source or destination members.
 */
import type { GrantConstraints, Tag } from "@aws-sdk/client-kms";
import type { KmsRequestFacts, KmsResourceRef } from "../../authz/index.ts";
import type { GrantRecord } from "../../keys/grants.ts";
import { isReplicaKey, type KeyRecord } from "../../keys/records.ts";
import type { RequestContext } from "../../server/context.ts";
import type { KmsOperation } from "./registry.ts";

type Input = Readonly<Record<string, unknown>>;

/**
 * Operations whose requests have kms:EncryptionAlgorithm: with a symmetric key the key is
 * SYMMETRIC_DEFAULT when the request leaves the algorithm to its default (AWS: condition
 * keys for request parameters hold the default value when the parameter is absent).
 */
const ENCRYPTION_ALGORITHM_OPERATIONS: ReadonlySet<KmsOperation> = new Set<KmsOperation>([
  "Encrypt",
  "Decrypt",
  "ReEncrypt",
  "GenerateDataKey",
  "GenerateDataKeyWithoutPlaintext",
  "GenerateDataKeyPair",
  "GenerateDataKeyPairWithoutPlaintext",
]);

/** Operations whose requests have kms:MessageType (RAW unless the request says DIGEST). */
const MESSAGE_TYPE_OPERATIONS: ReadonlySet<KmsOperation> = new Set<KmsOperation>(["Sign", "Verify"]);

/** Operations whose requests have kms:GrantIsForAWSResource. */
const GRANT_FOR_AWS_RESOURCE_OPERATIONS: ReadonlySet<KmsOperation> = new Set<KmsOperation>(["CreateGrant", "ListGrants", "RevokeGrant"]);

/** The facts of this request for a check of `operation` against `ref`, with `key` if the check is about one. */
export function requestFacts(
  ctx: RequestContext,
  operation: KmsOperation,
  ref: KmsResourceRef,
  key: KeyRecord | undefined,
  keyAliases?: readonly string[],
): KmsRequestFacts {
  const input: Input = ctx.input;
  const destination = ref === "destination-key";
  const constraints = input.Constraints as GrantConstraints | undefined;
  const algorithm = text(destination ? input.DestinationEncryptionAlgorithm : (input.EncryptionAlgorithm ?? input.SourceEncryptionAlgorithm));
  const defaultAlgorithm = key?.keySpec === "SYMMETRIC_DEFAULT" && ENCRYPTION_ALGORITHM_OPERATIONS.has(operation) ? "SYMMETRIC_DEFAULT" : undefined;
  return {
    callerAccount: ctx.accountId,
    viaService: ctx.viaService,

    key: key
      ? {
          keySpec: key.keySpec,
          keyUsage: key.keyUsage,
          origin: key.origin,
          multiRegion: key.multiRegion,
          multiRegionKeyType: key.multiRegionConfig ? (isReplicaKey(key) ? "REPLICA" : "PRIMARY") : undefined,
          tags: tagMap(key.tags),
          aliases: keyAliases,
        }
      : keyToCreate(operation, input),
    reEncryptOnSameKey: operation === "ReEncrypt" ? ctx.reEncryptOnSameKey : undefined,
    encryptionContext: record(destination ? input.DestinationEncryptionContext : (input.EncryptionContext ?? input.SourceEncryptionContext)),
    encryptionAlgorithm: algorithm ?? defaultAlgorithm,
    signingAlgorithm: text(input.SigningAlgorithm),
    macAlgorithm: text(input.MacAlgorithm),
    messageType: text(input.MessageType) ?? (MESSAGE_TYPE_OPERATIONS.has(operation) ? "RAW" : undefined),
    keyAgreementAlgorithm: text(input.KeyAgreementAlgorithm),
    dataKeyPairSpec: text(input.KeyPairSpec),
    keyIdParameter: text(destination ? input.DestinationKeyId : ref === "target-key" ? input.TargetKeyId : (input.KeyId ?? input.SourceKeyId)),
    grantOperations: Array.isArray(input.Operations) ? (input.Operations as string[]) : undefined,
    grantConstraints: constraints && {
      encryptionContextEquals: constraints.EncryptionContextEquals,
      encryptionContextSubset: constraints.EncryptionContextSubset,
    },
    granteePrincipal: text(input.GranteePrincipal),
    grantIsForAWSResource: GRANT_FOR_AWS_RESOURCE_OPERATIONS.has(operation) ? ctx.viaService !== undefined : undefined,
    retiringPrincipal: text(input.RetiringPrincipal),
    rotationPeriodInDays: number(input.RotationPeriodInDays),
    pendingWindowInDays: number(input.PendingWindowInDays),
    bypassPolicyLockoutSafetyCheck: typeof input.BypassPolicyLockoutSafetyCheck === "boolean" ? input.BypassPolicyLockoutSafetyCheck : undefined,
    wrappingAlgorithm: text(input.WrappingAlgorithm),
    wrappingKeySpec: text(input.WrappingKeySpec),
    expirationModel: text(input.ExpirationModel),
    validTo: input.ValidTo instanceof Date ? input.ValidTo : undefined,
    replicaRegion: operation === "ReplicateKey" ? text(input.ReplicaRegion) : undefined,
    primaryRegion: operation === "UpdatePrimaryRegion" ? text(input.PrimaryRegion) : undefined,
    requestTags: Array.isArray(input.Tags) ? tagMap(input.Tags as Tag[]) : undefined,
  };
}

/**
 * CreateKey's kms:KeySpec, kms:KeyUsage, kms:KeyOrigin and kms:MultiRegion: the key the
 * request would create, parameters left out taking their defaults.
 */
function keyToCreate(operation: KmsOperation, input: Input): KmsRequestFacts["key"] {
  if (operation !== "CreateKey") return undefined;
  return {
    keySpec: text(input.KeySpec) ?? text(input.CustomerMasterKeySpec) ?? "SYMMETRIC_DEFAULT",
    keyUsage: text(input.KeyUsage) ?? "ENCRYPT_DECRYPT",
    origin: text(input.Origin) ?? "AWS_KMS",
    multiRegion: input.MultiRegion === true,
  };
}

/** A grant as the policy engine sees it. */
export function grantLike(grant: GrantRecord) {
  return {
    granteePrincipal: grant.granteePrincipal,
    operations: grant.operations,
    constraints: grant.constraints && {
      encryptionContextEquals: grant.constraints.EncryptionContextEquals,
      encryptionContextSubset: grant.constraints.EncryptionContextSubset,
    },
  };
}

function tagMap(tags: readonly Tag[]): Record<string, string> {
  return Object.fromEntries(tags.map((tag) => [tag.TagKey ?? "", tag.TagValue ?? ""]));
}

function text(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function number(value: unknown): number | undefined {
  return typeof value === "number" ? value : undefined;
}

function record(value: unknown): Readonly<Record<string, string>> | undefined {
  return typeof value === "object" && value !== null ? (value as Record<string, string>) : undefined;
}
