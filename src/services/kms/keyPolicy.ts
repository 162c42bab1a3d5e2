/**
 * Key policy documents: the default policy AWS creates when CreateKey gets none, and
 * the checks a new policy passes before it is stored (CreateKey, PutKeyPolicy): it
 * parses as a key policy, every principal it names exists, and (unless the caller
 * bypasses it) the lockout safety check — the caller could still change the policy.
 */
import { MalformedPolicyDocumentException } from "../../errors.ts";
import {
  INVALID_PRINCIPALS_MESSAGE,
  PolicyParseError,
  parsePolicy,
  policyPrincipals,
  type CompiledPolicy,
} from "../../authz/index.ts";
import { authzPrincipal } from "../../authorization/authorizer.ts";
import { principalExists } from "../../identity/principalExists.ts";
import { keyArn, type KeyRecord } from "../../keys/records.ts";
import type { RequestContext } from "../../server/context.ts";
import { conditionContext } from "./keyAccess.ts";

/** The only key policy name AWS has. */
export const DEFAULT_POLICY_NAME = "default";

/** AWS's default key policy for an account. */
export function defaultKeyPolicy(accountId: string): string {
  return JSON.stringify(
    {
      Version: "2012-10-17",
      Id: "key-default-1",
      Statement: [
        {
          Sid: "Enable IAM User Permissions",
          Effect: "Allow",
          Principal: { AWS: `arn:aws:iam::${accountId}:root` },
          Action: "kms:*",
          Resource: "*",
        },
      ],
    },
    null,
    2,
  );
}

const LOCKOUT_MESSAGE = "The new key policy will not allow you to update the key policy in the future.";

/**
 * Validates a key policy for `key` (the key PutKeyPolicy changes, or the one CreateKey is
 * about to create); returns it compiled. Throws MalformedPolicyDocumentException as AWS
 * words it. The lockout check evaluates kms:PutKeyPolicy for the caller as this very
 * request makes it (its source address, time, account...), so conditions it meets count.
 */
export async function checkKeyPolicy(ctx: RequestContext, policy: string, key: KeyRecord, bypassLockoutCheck: boolean): Promise<CompiledPolicy> {
  let compiled: CompiledPolicy;
  try {
    compiled = parsePolicy(policy, "resource", { maxBytes: ctx.services.quotas.resources.keyPolicyBytes });
  } catch (error) {
    if (error instanceof PolicyParseError) throw new MalformedPolicyDocumentException(error.message);
    throw error;
  }
  for (const principal of policyPrincipals(compiled)) {
    if (!(await principalExists(ctx.services.store, principal.arn, principal.kind))) throw new MalformedPolicyDocumentException(INVALID_PRINCIPALS_MESSAGE);
  }
  if (!bypassLockoutCheck) {
    const caller = await ctx.services.authorizer.callerPolicies(ctx.principal);
    const decision = ctx.services.authorizer.evaluate(
      {
        principal: authzPrincipal(ctx.principal),
        action: "kms:PutKeyPolicy",
        resource: keyArn(key),
        resourceAccount: key.accountId,
        context: conditionContext(ctx, "PutKeyPolicy", "key", key),
      },
      { resourcePolicy: compiled, identityPolicies: caller.identity, sessionPolicies: caller.session },
    );
    if (!decision.allowed) throw new MalformedPolicyDocumentException(LOCKOUT_MESSAGE);
  }
  return compiled;
}
