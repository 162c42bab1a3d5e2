/**
 * Grants: a grant lets its grantee principal use a key for the listed operations, with
 * optional encryption-context constraints, until it is retired or revoked. Stored with
 * the key (deleted with it) and cached with the key for the authorization hot path.
 */
import { createHmac, randomBytes, timingSafeEqual, type KeyObject } from "node:crypto";
import type { GrantConstraints, GrantOperation } from "@aws-sdk/client-kms";
import { InvalidGrantTokenException } from "../errors.ts";
import { preparedKey } from "../crypto/keyObjects.ts";
import type { RootKey } from "../crypto/rootKey.ts";
import { STABLE_DERIVED_PURPOSES } from "../crypto/rootKeyring.ts";

/** A grant as stored. */
export interface GrantRecord {
  /** 64 hex characters. */
  grantId: string;
  keyId: string;
  /** The key's account (where the grant lives). */
  accountId: string;
  region: string;
  name?: string;
  granteePrincipal: string;
  retiringPrincipal?: string;
  operations: GrantOperation[];
  constraints?: GrantConstraints;
  /** `arn:aws:iam::ACCOUNT:root` of the account that created the grant. */
  issuingAccount: string;
  createdAtMs: number;
}

/** A new grant id. */
export function newGrantId(): string {
  return randomBytes(32).toString("hex");
}

/** True for a well-formed grant id. */
export function isGrantId(value: string): boolean {
  return /^[0-9a-f]{64}$/.test(value);
}

const TOKEN_PREFIX = "kmsd1";

/**
 * A grant token: names the grant and is authenticated with a key derived from the root
 * key, so a forged token is refused. Tokens are usable at once (kmsd has no eventual
 * consistency to bridge), and a token of a retired grant no longer grants anything.
 */
export function grantTokenFor(rootKey: RootKey, grantId: string): string {
  const nonce = randomBytes(12).toString("base64url");
  return `${TOKEN_PREFIX}.${grantId}.${nonce}.${tokenMac(rootKey, grantId, nonce).toString("base64url")}`;
}

/** The grant id a token names; InvalidGrantTokenException if it is not a token kmsd issued. */
export function grantIdOfToken(rootKey: RootKey, token: string): string {
  const parts = token.split(".");
  const [prefix, grantId, nonce, mac] = parts;
  if (parts.length !== 4 || prefix !== TOKEN_PREFIX || !grantId || !isGrantId(grantId) || !nonce || !mac || !macMatches(rootKey, grantId, nonce, mac)) {
    throw new InvalidGrantTokenException("The grant token is not valid.");
  }
  return grantId;
}

const macKeys = new WeakMap<RootKey, KeyObject>();

function tokenMac(rootKey: RootKey, grantId: string, nonce: string): Buffer {
  let key = macKeys.get(rootKey);
  if (!key) {
    key = preparedKey(rootKey.deriveKey(STABLE_DERIVED_PURPOSES.grantTokens));
    macKeys.set(rootKey, key);
  }
  return createHmac("sha256", key).update(`${grantId}.${nonce}`).digest();
}

/** Whether `mac` (base64url, as issued) authenticates the grant id and nonce; compared in constant time. */
function macMatches(rootKey: RootKey, grantId: string, nonce: string, mac: string): boolean {
  const given = Buffer.from(mac, "base64url");
  // Only the canonical encoding: Node's decoder skips characters that are not base64url.
  if (given.toString("base64url") !== mac) return false;
  const expected = tokenMac(rootKey, grantId, nonce);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
