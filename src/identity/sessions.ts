/**
 * STS session credentials: an `ASIA…` access key id, a secret (wrapped by the root key
 * at rest, as long-term secrets are) and a session token. Only the token's SHA-256 is
 * stored; a request's `x-amz-security-token` is verified against it in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { RootKey } from "../crypto/rootKey.ts";
import { newAccessKeyId } from "./ids.ts";
import type { RoleRecord, SessionRecord } from "./records.ts";

/** New session credentials: the record to store and the two secrets shown once to the caller. */
export interface MintedSession {
  record: SessionRecord;
  secretAccessKey: string;
  sessionToken: string;
}

/** Mints credentials for a session of `role` lasting `durationSeconds` from `nowMs`. */
export function mintSession(
  rootKey: RootKey,
  role: RoleRecord,
  sessionName: string,
  sessionPolicy: string | undefined,
  nowMs: number,
  durationSeconds: number,
): MintedSession {
  const accessKeyId = newAccessKeyId("sessionKey");
  const secretAccessKey = randomBytes(30).toString("base64");
  const sessionToken = randomBytes(96).toString("base64");
  // Whole seconds, so the Expiration shown (ISO 8601 without fractions) is exactly when it ends.
  const createdAtMs = Math.floor(nowMs / 1000) * 1000;
  return {
    secretAccessKey,
    sessionToken,
    record: {
      accessKeyId,
      accountId: role.accountId,
      tokenHash: tokenHash(sessionToken),
      wrappedSecret: rootKey.wrap(Buffer.from(secretAccessKey, "utf8"), sessionSecretAad(accessKeyId)),
      roleId: role.roleId,
      roleName: role.roleName,
      rolePath: role.path,
      sessionName,
      sessionPolicy,
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
