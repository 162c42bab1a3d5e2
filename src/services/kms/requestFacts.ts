/**
 * The facts of a KMS request that condition keys read (kms:EncryptionContext:*,
 * kms:SigningAlgorithm, kms:GrantOperations, aws:RequestTag/*...), taken from the decoded
 * input. One function for every operation: member names are the model's, and ReEncrypt's
 * two checks read the source or destination members.
 */
import type { GrantConstraints, Tag } from "@aws-sdk/client-kms";
import type { KmsRequestFacts, KmsResourceRef } from "../../authz/index.ts";
import type { GrantRecord } from "../../keys/grants.ts";
import type { KeyRecord } from "../../keys/records.ts";
import type { RequestContext } from "../../server/context.ts";

type Input = Readonly<Record<string, unknown>>;

/** The facts of this request for a check against `ref`, with `key` if the check is about one. */
export function requestFacts(ctx: RequestContext, ref: KmsResourceRef, key: KeyRecord | undefined): KmsRequestFacts {
  const input: Input = ctx.input;
  const destination = ref === "destination-key";
  const constraints = input.Constraints as GrantConstraints | undefined;
  return {
    callerAccount: ctx.accountId,
    viaService: ctx.viaService,

    key: key && { keySpec: key.keySpec, keyUsage: key.keyUsage, origin: key.origin, multiRegion: key.multiRegion, tags: tagMap(key.tags) },
    encryptionContext: record(destination ? input.DestinationEncryptionContext : (input.EncryptionContext ?? input.SourceEncryptionContext)),
    encryptionAlgorithm: text(destination ? input.DestinationEncryptionAlgorithm : (input.EncryptionAlgorithm ?? input.SourceEncryptionAlgorithm)),
    signingAlgorithm: text(input.SigningAlgorithm),
    macAlgorithm: text(input.MacAlgorithm),
    messageType: text(input.MessageType),
    keyAgreementAlgorithm: text(input.KeyAgreementAlgorithm),
    dataKeyPairSpec: text(input.KeyPairSpec),
    keyIdParameter: text(destination ? input.DestinationKeyId : ref === "target-key" ? input.TargetKeyId : (input.KeyId ?? input.SourceKeyId)),
    grantOperations: Array.isArray(input.Operations) ? (input.Operations as string[]) : undefined,
    grantConstraints: constraints && {
      encryptionContextEquals: constraints.EncryptionContextEquals,
      encryptionContextSubset: constraints.EncryptionContextSubset,
    },
    granteePrincipal: text(input.GranteePrincipal),
    retiringPrincipal: text(input.RetiringPrincipal),
    rotationPeriodInDays: number(input.RotationPeriodInDays),
    pendingWindowInDays: number(input.PendingWindowInDays),
    bypassPolicyLockoutSafetyCheck: typeof input.BypassPolicyLockoutSafetyCheck === "boolean" ? input.BypassPolicyLockoutSafetyCheck : undefined,
    wrappingAlgorithm: text(input.WrappingAlgorithm),
    wrappingKeySpec: text(input.WrappingKeySpec),
    expirationModel: text(input.ExpirationModel),
    validTo: input.ValidTo instanceof Date ? input.ValidTo : undefined,
    requestTags: Array.isArray(input.Tags) ? tagMap(input.Tags as Tag[]) : undefined,
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
