/**
 * AssumeRole: temporary credentials for a session of a role whose trust policy lets the
 * caller in. The session lasts DurationSeconds (default one hour, at most the role's
 * MaxSessionDuration, at most one hour when a role session assumes another role), and
 * an inline session Policy narrows what the session may do.
 */
import { assumedRoleArn, parseIamArn } from "../../../identity/arns.ts";
import { mintSession } from "../../../identity/sessions.ts";
import { requireWellFormed } from "../../iam/documents.ts";
import { AccessDenied, ValidationError } from "../../iam/errors.ts";
import type { StsHandler } from "../registry.ts";
import { authorizeAssumeRole } from "../trustPolicy.ts";


/** DurationSeconds when the request does not say. */
const DEFAULT_DURATION_SECONDS = 3600;
/** The longest session a role session may get by assuming another role (role chaining). */
const CHAINED_MAX_SECONDS = 3600;
/** Sessions are forgotten this long after they expired (until then they answer ExpiredToken). */
const EXPIRED_SESSION_RETENTION_MS = 7 * 86_400_000;

export const AssumeRole: StsHandler<"AssumeRole"> = async (ctx, input) => {
  const principal = ctx.principal;
  for (const [name, value] of [
    ["PolicyArns", input.PolicyArns],
    ["Tags", input.Tags],
    ["TransitiveTagKeys", input.TransitiveTagKeys],
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
  await authorizeAssumeRole(ctx, role.assumeRolePolicyDocument, roleArn, input.ExternalId);

  const duration = input.DurationSeconds ?? DEFAULT_DURATION_SECONDS;
  if (principal.kind === "AssumedRole" && duration > CHAINED_MAX_SECONDS) {
    throw new ValidationError("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.");
  }
  if (duration > role.maxSessionDurationSeconds) {
    throw new ValidationError("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.");
  }
  if (input.Policy !== undefined) requireWellFormed(input.Policy, "session");

  const minted = mintSession(ctx.services.rootKey, role, sessionName, input.Policy, ctx.nowMs, duration);
  const identities = ctx.services.store.identities;
  await identities.insertSession(minted.record);
  await identities.purgeSessions(ctx.nowMs - EXPIRED_SESSION_RETENTION_MS);
  return {
    Credentials: {
      AccessKeyId: minted.record.accessKeyId,
      SecretAccessKey: minted.secretAccessKey,
      SessionToken: minted.sessionToken,
      Expiration: new Date(minted.record.expiresAtMs),
    },
    AssumedRoleUser: {
      AssumedRoleId: `${role.roleId}:${sessionName}`,
      Arn: assumedRoleArn(role.accountId, role.roleName, sessionName),
    },
  };
};
