/**
 * The four ways a request names a key (key id, key ARN, alias name, alias ARN), parsed
 * once into a tagged union. What an operation accepts and how a miss is answered is
 * decided in keys/keyResolver.ts.
 */
import { NotFoundException } from "../errors.ts";

/** A parsed key identifier. */
export type KeyIdentifier =
  | { kind: "keyId"; keyId: string }
  | { kind: "keyArn"; region: string; accountId: string; keyId: string }
  | { kind: "aliasName"; aliasName: string }
  | { kind: "aliasArn"; region: string; accountId: string; aliasName: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MRK_ID = /^mrk-[0-9a-f]{32}$/;
const ARN = /^arn:aws[a-z-]*:kms:([a-z0-9-]+):([0-9]{12}):(key\/.+|alias\/.+)$/;

/** True for a well-formed key id (UUID or multi-Region `mrk-` id). */
export function isKeyId(value: string): boolean {
  return UUID.test(value) || MRK_ID.test(value);
}

/** Parses an identifier; a malformed one is NotFoundException `Invalid keyId '...'`, as AWS answers. */
export function parseKeyIdentifier(value: string): KeyIdentifier {
  if (isKeyId(value)) return { kind: "keyId", keyId: value };
  if (value.startsWith("alias/") && value.length > "alias/".length) return { kind: "aliasName", aliasName: value };
  const arn = ARN.exec(value);
  if (arn) {
    const [, region = "", accountId = "", resource = ""] = arn;
    if (resource.startsWith("alias/")) return { kind: "aliasArn", region, accountId, aliasName: resource };
    const keyId = resource.slice("key/".length);
    if (isKeyId(keyId)) return { kind: "keyArn", region, accountId, keyId };
  }
  throw new NotFoundException(`Invalid keyId '${value}'`);
}
