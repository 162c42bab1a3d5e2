/**
 * STS session credentials (AssumeRole's role sessions, GetSessionToken's user and root
 * sessions): an `ASIA…` access key id, a secret (wrapped by the root key at rest, as
 * long-term secrets are) and a session token. Only the token's SHA-256 is
 * stored; a request's `x-amz-security-token` is verified against it in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { RootKey } from "../crypto/rootKey.ts";
import { newAccessKeyId } from "./ids.ts";
import type { IamTag, RoleRecord, SessionRecord, TokenSessionRecord } from "./records.ts";

/** Sessions are forgotten this long after they expired (until then they answer ExpiredToken). */
export const EXPIRED_SESSION_RETENTION_MS = 7 * 86_400_000;

/** New session credentials: the record to store and the two secrets shown once to the caller. */
export interface MintedSession<Record = SessionRecord> {
  record: Record;
  secretAccessKey: string;
  sessionToken: string;
}

/** The Credentials member of an STS answer for a minted session (the secrets are shown this once). */
export function stsCredentials(minted: MintedSession<{ accessKeyId: string; expiresAtMs: number }>) {
  return {
    AccessKeyId: minted.record.accessKeyId,
    SecretAccessKey: minted.secretAccessKey,
    SessionToken: minted.sessionToken,
    Expiration: new Date(minted.record.expiresAtMs),
  };
}

/** What a role session carries besides its role: AssumeRole's session policies and session tags. */
export interface RoleSessionOptions {
  sessionName: string;
  sessionPolicy: string | undefined;
  policyArns: string[];
  sessionTags: IamTag[];
  transitiveTagKeys: string[];
}

/** Mints credentials for a session of `role` lasting `durationSeconds` from `nowMs`. */
export function mintSession(
  rootKey: RootKey,
  role: RoleRecord,
  options: RoleSessionOptions,
  nowMs: number,
  durationSeconds: number,
): MintedSession {
  const { fields, secretAccessKey, sessionToken } = mintCredentials(rootKey, nowMs, durationSeconds);
  return {
    secretAccessKey,
    sessionToken,
    record: { ...fields, accountId: role.accountId, roleId: role.roleId, roleName: role.roleName, rolePath: role.path, ...options },
  };
}

/** Mints GetSessionToken's credentials for an IAM user (by unique id) or, with no user, the account root. */
export function mintTokenSession(
  rootKey: RootKey,
  accountId: string,
  userId: string | undefined,
  nowMs: number,
  durationSeconds: number,
): MintedSession<TokenSessionRecord> {
  const { fields, secretAccessKey, sessionToken } = mintCredentials(rootKey, nowMs, durationSeconds);
  return { secretAccessKey, sessionToken, record: { ...fields, accountId, userId } };
}

/** The parts every kind of session credentials shares: ids, secrets (wrapped, hashed) and lifetime. */
function mintCredentials(rootKey: RootKey, nowMs: number, durationSeconds: number) {
  const accessKeyId = newAccessKeyId("sessionKey");
  const secretAccessKey = randomBytes(30).toString("base64");
  const sessionToken = randomBytes(96).toString("base64");
  // Whole seconds, so the Expiration shown (ISO 8601 without fractions) is exactly when it ends.
  const createdAtMs = Math.floor(nowMs / 1000) * 1000;
  return {
    secretAccessKey,
    sessionToken,
    fields: {
      accessKeyId,
      tokenHash: tokenHash(sessionToken),
      wrappedSecret: rootKey.wrap(Buffer.from(secretAccessKey, "utf8"), sessionSecretAad(accessKeyId)),
      createdAtMs,
      expiresAtMs: createdAtMs + durationSeconds * 1000,
    },
  };
}

/** The additional data binding a session's wrapped secret to its access key id. */
export function sessionSecretAad(accessKeyId: string): Buffer {
  return Buffer.from(`session-key\n${accessKeyId}`, "utf8");
}

/** Whether `token` is the one whose hash is `expectedHash` (constant time). */
export function sessionTokenMatches(token: string, expectedHash: Buffer): boolean {
  const actual = tokenHash(token);
  return actual.length === expectedHash.length && timingSafeEqual(actual, expectedHash);
}

function tokenHash(token: string): Buffer {
  return createHash("sha256").update(token, "utf8").digest();
}
