/**
 * The steps every key-using operation shares, in AWS's order: resolve the identifier,
 * authorize the caller, then check the key's state. One place, so no handler forgets
 * a step or does them in another order.
 */
import {
  AccessDeniedException,
  DryRunOperationException,
  DRY_RUN_MESSAGE,
  InvalidKeyUsageException,
} from "../../errors.ts";
import {
  accessDeniedMessage,
  globalRequestContext,
  kmsPermission,
  kmsRequestContext,
  type AuthzRequest,
  type KmsResourceRef,
} from "../../authz/index.ts";
import { authzPrincipal } from "../../authorization/authorizer.ts";
import { checkGrantTokens } from "./grantRules.ts";
import { grantLike, requestFacts } from "./requestFacts.ts";
import { resolveKey, type AliasPolicy } from "../../keys/keyResolver.ts";
import { assertKeyStateAllows } from "../../keys/keyStates.ts";
import { withStoreAvailability } from "./customKeyStores.ts";
import { keyArn, keyHandle, type KeyRecord } from "../../keys/records.ts";
import type { RequestContext } from "../../server/context.ts";
import type { KmsOperation } from "./registry.ts";

/** Resolves, authorizes and state-checks the key an operation names. */
export async function keyForOperation(
  ctx: RequestContext,
  operation: KmsOperation,
  identifier: string | undefined,
  aliasPolicy: AliasPolicy,
  ref: KmsResourceRef = "key",
): Promise<KeyRecord> {
  const key = await resolveKey(ctx.services.keys, ctx, identifier ?? "", aliasPolicy, ctx.nowMs);
  await authorizeKeyUse(ctx, operation, key, ref);
  await assertKeyStateAsShown(ctx, operation, key);
  return key;
}

/**
 * The key-state rule of `operation`, on the key's state as DescribeKey shows it: a key of a
 * custom key store that is not connected is Unavailable (only such keys cost a store read).
 */
export async function assertKeyStateAsShown(ctx: RequestContext, operation: KmsOperation, key: KeyRecord): Promise<void> {
  assertKeyStateAllows(operation, key.customKeyStoreId === undefined ? key : await withStoreAvailability(ctx, key));
}

/**
 * Changes the key `operation` named, as KeyRepository.update does: the key-state rule of the
 * operation is checked again on the stored record as it is written, so a state another
 * worker committed since keyForOperation looked (ScheduleKeyDeletion, say) is never
 * overwritten by a change AWS would have refused in that state.
 */
export async function changeKey(ctx: RequestContext, operation: KmsOperation, key: KeyRecord, change: (current: KeyRecord) => KeyRecord): Promise<KeyRecord> {
  return ctx.services.keys.update(keyHandle(key), (current) => {
    assertKeyStateAllows(operation, current);
    return change(current);
  });
}

/**
 * Authorizes the checks of `operation` made against `key` in the role `ref` (the key the
 * operation names, ReEncrypt's destination, UpdateAlias's new target), with AWS's logic:
 * the key policy, the caller's identity and session policies, and the key's grants. An
 * operation AWS does not allow across accounts does not find another account's key.
 */
export async function authorizeKeyUse(ctx: RequestContext, operation: KmsOperation, key: KeyRecord, ref: KmsResourceRef = "key"): Promise<void> {
  // The audit event names every key a request reached, allowed or not (and the owner's trail gets a copy).
  ctx.keysUsed?.push(key);
  await checkKeyUse(ctx, operation, key, ref);
}

/**
 * AWS's answer when a ciphertext names a key the caller cannot reach: one that never
 * existed, was deleted, lives in another region, or belongs to another account whose
 * policies do not let the caller use it. One answer for all of them.
 */
export const CIPHERTEXT_KEY_UNREACHABLE =
  "The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access.";

/**
 * The key a ciphertext names (Decrypt and ReEncrypt without a KeyId), found and
 * authorized; its state is left to the caller. The blob's header is attacker-controlled,
 * so another account's key the caller may not use must look exactly like a key that
 * does not exist: the same answer, and no trace of it in the caller's audit trail
 * (LookupEvents would otherwise name the key). A key of the caller's own account is
 * recorded and refused like any other.
 */
export async function keyNamedByCiphertext(ctx: RequestContext, operation: KmsOperation, keyId: string): Promise<KeyRecord> {
  // A multi-Region key's blob opens with the related key of the caller's Region.
  const key = await ctx.services.keys.find(keyHandle({ keyId, region: ctx.region }));
  if (!key || key.region !== ctx.region) throw new AccessDeniedException(CIPHERTEXT_KEY_UNREACHABLE);
  if (key.accountId === ctx.accountId) {
    await authorizeKeyUse(ctx, operation, key);
    return key;
  }
  try {
    await checkKeyUse(ctx, operation, key, "key");
  } catch (error) {
    if (error instanceof AccessDeniedException) throw new AccessDeniedException(CIPHERTEXT_KEY_UNREACHABLE);
    throw error;
  }
  ctx.keysUsed?.push(key);
  return key;
}

/** The checks of authorizeKeyUse, without naming the key in the request's audit event. */
async function checkKeyUse(ctx: RequestContext, operation: KmsOperation, key: KeyRecord, ref: KmsResourceRef): Promise<void> {
  // A cryptographic operation's request quota is its key type's, known only now.
  await ctx.services.quotas.throttle.admitKeyUse(ctx, operation, key.keySpec);
  const permission = kmsPermission(operation);
  if (!permission) throw new AccessDeniedException(`kmsd has no authorization rule for ${operation}`);
  if (key.accountId !== ctx.accountId && !permission.crossAccount) {
    // AWS offers this operation on keys of the caller's own account only: no policy can allow it.
    const action = `kms:${operation}`;
    throw new AccessDeniedException(
      `User: ${ctx.principal.arn} is not authorized to perform: ${action} on resource: ${keyArn(key)} because no resource-based policy allows the ${action} action`,
    );
  }

  const checks = permission.checks.filter((check) => check.resource === ref && applies(ctx, check.when));
  if (checks.length === 0) return;
  const authorizer = ctx.services.authorizer;
  const caller = await authorizer.callerPolicies(ctx.principal);
  const grants = (await ctx.services.keys.grants(key)).map(grantLike);
  const context = conditionContext(ctx, operation, ref, key, await ctx.services.keys.aliasNames(key));
  for (const check of checks) {
    const request: AuthzRequest = { principal: authzPrincipal(ctx.principal), action: check.action, resource: keyArn(key), resourceAccount: key.accountId, context };
    const policies =
      check.policy === "key-policy"
        ? { resourcePolicy: authorizer.keyPolicy(key), identityPolicies: caller.identity, sessionPolicies: caller.session, grants }
        : { identityPolicies: caller.identity, sessionPolicies: caller.session };
    const decision = authorizer.evaluate(request, policies);
    if (!decision.allowed) throw new AccessDeniedException(accessDeniedMessage(request, decision));
  }
}

/**
 * Authorizes the checks of `operation` that involve no key: IAM-only actions (CreateKey,
 * ListKeys...) and alias ARNs. Called for every request, first: it also checks GrantTokens.
 */
export async function authorizeWithoutKey(ctx: RequestContext, operation: KmsOperation): Promise<void> {
  // Every operation that takes GrantTokens refuses one kmsd did not issue, before anything else.
  if (Array.isArray(ctx.input.GrantTokens)) checkGrantTokens(ctx, ctx.input.GrantTokens as string[]);
  const permission = kmsPermission(operation);
  const checks = (permission?.checks ?? []).filter((check) => (check.resource === "none" || check.resource === "alias") && applies(ctx, check.when));
  if (checks.length === 0) return;
  const caller = await ctx.services.authorizer.callerPolicies(ctx.principal);
  const context = conditionContext(ctx, operation, "none", undefined);
  for (const check of checks) {
    const resource = check.resource === "alias" ? `arn:aws:kms:${ctx.region}:${ctx.accountId}:${String(ctx.input.AliasName ?? "")}` : "*";
    const request: AuthzRequest = { principal: authzPrincipal(ctx.principal), action: check.action, resource, resourceAccount: ctx.accountId, context };
    const decision = ctx.services.authorizer.evaluate(request, { identityPolicies: caller.identity, sessionPolicies: caller.session });
    if (!decision.allowed) throw new AccessDeniedException(accessDeniedMessage(request, decision));
  }
}

function applies(ctx: RequestContext, when: "Tags" | undefined): boolean {
  return when === undefined || (Array.isArray(ctx.input[when]) && (ctx.input[when] as unknown[]).length > 0);
}

/** The condition keys of this request for a check of `operation` against `ref` (and `key`, if the check is about one). */
export function conditionContext(
  ctx: RequestContext,
  operation: KmsOperation,
  ref: KmsResourceRef,
  key: KeyRecord | undefined,
  keyAliases?: readonly string[],
) {
  return {
    ...globalRequestContext({
      now: new Date(ctx.nowMs),
      sourceIp: ctx.sourceIp,
      secureTransport: ctx.secureTransport,
      requestedRegion: requestedRegion(ctx, operation, ref),
      userAgent: ctx.userAgent,
    }),
    ...kmsRequestContext(requestFacts(ctx, operation, ref, key, keyAliases)),
  };
}

/**
 * `aws:RequestedRegion` of a check. ReplicateKey's checks that name no key (kms:CreateKey,
 * kms:TagResource) are about the replica, which AWS creates in the replica Region: an IAM
 * policy allows them there, not in the primary's Region the request was sent to.
 */
function requestedRegion(ctx: RequestContext, operation: KmsOperation, ref: KmsResourceRef): string {
  if (operation === "ReplicateKey" && ref === "none" && typeof ctx.input.ReplicaRegion === "string") return ctx.input.ReplicaRegion;
  return ctx.region;
}

/** Throws InvalidKeyUsageException unless the key's usage is `usage`. */
export function requireKeyUsage(key: KeyRecord, usage: string, operation: KmsOperation): void {
  if (key.keyUsage !== usage) {
    throw new InvalidKeyUsageException(`${keyArn(key)} key usage is ${key.keyUsage} which is not valid for ${operation}.`);
  }
}

/**
 * Whether a Decrypt or ReEncrypt dry run asked to skip the ciphertext (DryRunModifiers
 * IGNORE_CIPHERTEXT): only the named keys are authorized and checked, no blob is needed.
 * The modifier means nothing without DryRun.
 */
export function ignoresCiphertext(input: { DryRun?: boolean | undefined; DryRunModifiers?: string[] | undefined }): boolean {
  return input.DryRun === true && (input.DryRunModifiers ?? []).includes("IGNORE_CIPHERTEXT");
}

/** Ends a request that asked for DryRun after every check passed. */
export function endIfDryRun(input: { DryRun?: boolean | undefined }): void {
  if (input.DryRun === true) throw new DryRunOperationException(DRY_RUN_MESSAGE);
}
