/**
 * The steps every key-using operation shares, in AWS's order: resolve the identifier,
 * authorize the caller, then check the key's state. One place, so no handler forgets
 * a step or does them in another order.
 */
import { AccessDeniedException, DryRunOperationException, DRY_RUN_MESSAGE, InvalidKeyUsageException } from "../../errors.ts";
import { resolveKey, type AliasPolicy } from "../../keys/keyResolver.ts";
import { assertKeyStateAllows } from "../../keys/keyStates.ts";
import { keyArn, type KeyRecord } from "../../keys/records.ts";
import type { RequestContext } from "../../server/context.ts";
import type { KmsOperation } from "./registry.ts";

/** Resolves, authorizes and state-checks the key an operation names. */
export async function keyForOperation(
  ctx: RequestContext,
  operation: KmsOperation,
  identifier: string | undefined,
  aliasPolicy: AliasPolicy,
): Promise<KeyRecord> {
  const key = await resolveKey(ctx.services.keys, ctx, identifier ?? "", aliasPolicy, ctx.nowMs);
  authorizeKeyUse(ctx, operation, key);
  assertKeyStateAllows(operation, key);
  return key;
}

/**
 * Operations the policy of an AWS managed key never allows a customer: it cannot be
 * changed, deleted, disabled, tagged or rotated by hand.
 */
const FORBIDDEN_ON_AWS_MANAGED_KEYS = new Set<KmsOperation>([
  "PutKeyPolicy",
  "ScheduleKeyDeletion",
  "CancelKeyDeletion",
  "EnableKey",
  "DisableKey",
  "EnableKeyRotation",
  "DisableKeyRotation",
  "RotateKeyOnDemand",
  "TagResource",
  "UntagResource",
  "UpdateKeyDescription",
  "CreateAlias",
  "UpdateAlias",
]);

/**
 * Authorization of a key use. Until key policies and IAM are enforced, a caller may use
 * the keys of its own account only (as the default key policy allows), and nothing else;
 * an AWS managed key refuses the management operations its fixed policy does not allow.
 */
export function authorizeKeyUse(ctx: RequestContext, operation: KmsOperation, key: KeyRecord): void {
  const forbidden = key.accountId !== ctx.accountId || (key.keyManager === "AWS" && FORBIDDEN_ON_AWS_MANAGED_KEYS.has(operation));
  if (!forbidden) return;
  throw new AccessDeniedException(

    `User: ${ctx.principal.arn} is not authorized to perform: kms:${operation} on resource: ${keyArn(key)} because no resource-based policy allows the kms:${operation} action`,
  );
}

/** Throws InvalidKeyUsageException unless the key's usage is `usage`. */
export function requireKeyUsage(key: KeyRecord, usage: string, operation: KmsOperation): void {
  if (key.keyUsage !== usage) {
    throw new InvalidKeyUsageException(`${keyArn(key)} key usage is ${key.keyUsage} which is not valid for ${operation}.`);
  }
}

/** Ends a request that asked for DryRun after every check passed. */
export function endIfDryRun(input: { DryRun?: boolean | undefined }): void {
  if (input.DryRun === true) throw new DryRunOperationException(DRY_RUN_MESSAGE);
}
