/**
 * AssumeRole: temporary credentials for a session of a role whose trust policy lets the
 * caller in. The session lasts DurationSeconds (default one hour, at most the role's
 * MaxSessionDuration, at most one hour when a role session assumes another role); an
 * inline session Policy and managed PolicyArns narrow what the session may do; session
 * Tags (which need sts:TagSession too) override the role's tags as `aws:PrincipalTag/*`.
 */
import { requestTagContext } from "../../../authz/index.ts";
import { assumedRoleArn, parseIamArn } from "../../../identity/arns.ts";
import { EXPIRED_SESSION_RETENTION_MS, mintSession, stsCredentials } from "../../../identity/sessions.ts";
import { requireWellFormed } from "../../iam/documents.ts";
import { AccessDenied, ValidationError } from "../../iam/errors.ts";
import { tagRecord } from "../../iam/tags.ts";
import type { StsHandler } from "../registry.ts";
import { sessionTagsFor } from "../sessionTags.ts";
import { authorizeAssumeRole } from "../trustPolicy.ts";

/** DurationSeconds when the request does not say. */
const DEFAULT_DURATION_SECONDS = 3600;
/** The longest session a role session may get by assuming another role (role chaining). */
const CHAINED_MAX_SECONDS = 3600;
/** How many managed session policies one session may have (AWS's limit). */
const MAX_POLICY_ARNS = 10;

export const AssumeRole: StsHandler<"AssumeRole"> = async (ctx, input) => {
  const principal = ctx.principal;
  for (const [name, value] of [
    ["SerialNumber", input.SerialNumber],
    ["TokenCode", input.TokenCode],
    ["SourceIdentity", input.SourceIdentity],
    ["ProvidedContexts", input.ProvidedContexts],
  ] as const) {
    if (value !== undefined) throw new ValidationError(`kmsd does not support ${name} in AssumeRole yet.`);
  }
  if (principal.kind === "Root") throw new AccessDenied("Roles may not be assumed by root accounts.");
  const roleArn = input.RoleArn ?? "";
  const sessionName = input.RoleSessionName ?? "";
  const denied = () => new AccessDenied(`User: ${principal.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
  const parsed = parseIamArn(roleArn, "role");
  const role = parsed ? await ctx.services.store.identities.getRole(parsed.accountId, parsed.name) : undefined;
  if (!parsed || !role || role.path !== parsed.path) throw denied();
  await authorizeAssumeRole(ctx, "sts:AssumeRole", role.assumeRolePolicyDocument, roleArn, input.ExternalId === undefined ? {} : { "sts:ExternalId": input.ExternalId });
  const sessionTags = sessionTagsFor(principal, input.Tags, input.TransitiveTagKeys);
  if (sessionTags.tags.length > 0) {
    await authorizeAssumeRole(ctx, "sts:TagSession", role.assumeRolePolicyDocument, roleArn, requestTagContext(tagRecord(sessionTags.tags)));
  }

  const duration = input.DurationSeconds ?? DEFAULT_DURATION_SECONDS;
  if (principal.kind === "AssumedRole" && duration > CHAINED_MAX_SECONDS) {
    throw new ValidationError("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.");
  }
  if (duration > role.maxSessionDurationSeconds) {
    throw new ValidationError("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.");
  }
  if (input.Policy !== undefined) requireWellFormed(input.Policy, "session");
  const policyArns = sessionPolicyArns(input.PolicyArns);

  const options = { sessionName, sessionPolicy: input.Policy, policyArns, sessionTags: sessionTags.tags, transitiveTagKeys: sessionTags.transitiveTagKeys };
  const minted = mintSession(ctx.services.rootKey, role, options, ctx.nowMs, duration);
  const identities = ctx.services.store.identities;
  await identities.insertSession(minted.record);
  await identities.purgeSessions(ctx.nowMs - EXPIRED_SESSION_RETENTION_MS);
  return {
    Credentials: stsCredentials(minted),
    AssumedRoleUser: {
      AssumedRoleId: `${role.roleId}:${sessionName}`,
      Arn: assumedRoleArn(role.accountId, role.roleName, sessionName),
    },
  };
};

/** The managed session policies' ARNs: each an IAM policy ARN, at most MAX_POLICY_ARNS. */
function sessionPolicyArns(descriptors: readonly { arn?: string | undefined }[] | undefined): string[] {
  const arns = (descriptors ?? []).map((descriptor) => descriptor.arn ?? "");
  if (arns.length > MAX_POLICY_ARNS) {
    throw new ValidationError(`1 validation error detected: Value at 'policyArns' failed to satisfy constraint: Member must have length less than or equal to ${MAX_POLICY_ARNS}`);
  }
  for (const arn of arns) {
    if (!parseIamArn(arn, "policy")) throw new ValidationError(`Invalid policy ARN: ${arn}`);
  }
  return arns;
}
