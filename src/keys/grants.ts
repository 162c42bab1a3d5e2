/**
 * Grants: a grant lets its grantee principal use a key for the listed operations, with
 * optional encryption-context constraints, until it is retired or revoked. Stored with
 * the key (deleted with it) and cached with the key for the authorization hot path.
 */
import { createHmac, randomBytes } from "node:crypto";
import type { GrantConstraints, GrantOperation } from "@aws-sdk/client-kms";
import { InvalidGrantTokenException } from "../errors.ts";
import type { RootKey } from "../crypto/rootKey.ts";

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
  return `${TOKEN_PREFIX}.${grantId}.${nonce}.${tokenMac(rootKey, grantId, nonce)}`;
}

/** The grant id a token names; InvalidGrantTokenException if it is not a token kmsd issued. */
export function grantIdOfToken(rootKey: RootKey, token: string): string {
  const [prefix, grantId, nonce, mac] = token.split(".");
  if (prefix !== TOKEN_PREFIX || !grantId || !isGrantId(grantId) || !nonce || mac !== tokenMac(rootKey, grantId, nonce)) {
    throw new InvalidGrantTokenException("The grant token is not valid.");
  }
  return grantId;
}

const macKeys = new WeakMap<RootKey, Buffer>();

function tokenMac(rootKey: RootKey, grantId: string, nonce: string): string {
  let key = macKeys.get(rootKey);
  if (!key) {
    key = rootKey.deriveKey("grant tokens");
    macKeys.set(rootKey, key);
  }
  return createHmac("sha256", key).update(`${grantId}.${nonce}`).digest("base64url");
}

