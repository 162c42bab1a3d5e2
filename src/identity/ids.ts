/**
 * Identifiers IAM and STS mint: unique ids (`AIDA…` users, `AGPA…` groups, `AROA…`
 * roles, `ANPA…` policies; 21 characters) and access key ids (`AKIA…` long-term,
 * `ASIA…` temporary; 20 characters), all in AWS's base-32 alphabet.
 */
import { randomInt } from "node:crypto";

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** The four-letter prefix of each kind of id. */
export const ID_PREFIX = {
  user: "AIDA",
  group: "AGPA",
  role: "AROA",
  policy: "ANPA",
  accessKey: "AKIA",
  sessionKey: "ASIA",
} as const;

function randomBase32(length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += BASE32[randomInt(32)];
  return out;
}

/** A new unique id of a user, group, role or policy. */
export function newUniqueId(kind: "user" | "group" | "role" | "policy"): string {
  return ID_PREFIX[kind] + randomBase32(17);
}

/** A new access key id: `AKIA…` for long-term keys, `ASIA…` for session credentials. */
export function newAccessKeyId(kind: "accessKey" | "sessionKey"): string {
  return ID_PREFIX[kind] + randomBase32(16);
}
