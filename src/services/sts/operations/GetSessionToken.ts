/**
 * GetSessionToken: temporary credentials for the calling IAM user (or account root), with
 * the caller's permissions. Needs no permission, as in AWS. Without MFA (kmsd has none)
 * the credentials call neither IAM nor STS other than AssumeRole and GetCallerIdentity.
 */
import { EXPIRED_SESSION_RETENTION_MS, mintTokenSession, stsCredentials } from "../../../identity/sessions.ts";
import { AccessDenied, ValidationError } from "../../iam/errors.ts";
import type { StsHandler } from "../registry.ts";

/** DurationSeconds when the request does not say (AWS: 12 hours). */
const DEFAULT_DURATION_SECONDS = 43_200;
/** An account root's sessions last at most an hour; a longer request gets an hour (AWS's rule). */
const ROOT_MAX_SECONDS = 3600;

export const GetSessionToken: StsHandler<"GetSessionToken"> = async (ctx, input) => {
  const principal = ctx.principal;
  if (input.SerialNumber !== undefined || input.TokenCode !== undefined) {
    throw new ValidationError("kmsd does not support SerialNumber and TokenCode (MFA) in GetSessionToken yet.");
  }
  if (principal.kind === "AssumedRole" || principal.fromSessionToken) throw new AccessDenied("Cannot call GetSessionToken with session credentials");
  const requested = input.DurationSeconds ?? DEFAULT_DURATION_SECONDS;
  const duration = principal.kind === "Root" ? Math.min(requested, ROOT_MAX_SECONDS) : requested;
  const userId = principal.kind === "IAMUser" ? principal.userId : undefined;
  const minted = mintTokenSession(ctx.services.rootKey, principal.accountId, userId, ctx.nowMs, duration);
  const identities = ctx.services.store.identities;
  await identities.insertTokenSession(minted.record);
  await identities.purgeSessions(ctx.nowMs - EXPIRED_SESSION_RETENTION_MS);
  return {
    Credentials: stsCredentials(minted),
  };
};
