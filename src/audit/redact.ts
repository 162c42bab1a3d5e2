/**
 * What an audit record may show of a request and a response: CloudTrail's camelCase form
 * with every blob removed (plaintexts, ciphertexts, messages, signatures, MACs, public and
 * private keys, import tokens, key material: all sensitive or bulky) and every secret
 * removed by name (secret access keys, session tokens, passwords...). What remains is what
 * CloudTrail shows: key ids, encryption contexts, algorithms, key specs, byte counts,
 * grant fields, policies.
 *
 * Requests are walked by their model shapes, so a blob or a `sensitive` member is removed
 * whatever its name, map keys (encryption context keys) stay as the caller wrote them, and
 * members the model does not know are dropped. Responses have no model shapes here; they
 * are walked by value: bytes of any kind are removed, as are the denied names. Both walks
 * also drop any value that is bytes, so nothing binary reaches a record by accident.
 *
 * A request that failed validation is recorded as sent, so a string (or map key) longer
 * than its model limit is recorded cut to that limit, with a marker (truncate.ts): a
 * caller cannot make a record as large as its request body.
 */
import type { ServiceModel } from "../model/types.ts";
import { parameterDate } from "./times.ts";
import { truncated } from "./truncate.ts";

/** Member names never recorded, whatever their type (compared without regard to case). */
export const DENIED_MEMBERS: ReadonlySet<string> = new Set(
  [
    // KMS: secrets and bulky bytes (most are blobs, removed by type as well).
    "Plaintext",
    "PrivateKeyPlaintext",
    "CiphertextBlob",
    "PrivateKeyCiphertextBlob",
    "CiphertextForRecipient",
    "SharedSecret",
    "PublicKey",
    "Message",
    "Signature",
    "Mac",
    "ImportToken",
    "EncryptedKeyMaterial",
    "KeyMaterial",
    "WrappingKey",
    "GrantToken",
    "GrantTokens",
    "KeyStorePassword",
    "XksProxyAuthenticationCredential",
    "RawSecretAccessKey",
    // IAM and STS credentials.
    "SecretAccessKey",
    "SessionToken",
    "Password",
    "OldPassword",
    "NewPassword",
    "ServicePassword",
    "PrivateKey",
    "TokenCode",
    "AuthenticationCode1",
    "AuthenticationCode2",
    "WebIdentityToken",
    "SAMLAssertion",
    "Base32StringSeed",
    "QRCodePNG",
  ].map((name) => name.toLowerCase()),
);

/** Response members whose keys are the caller's data (an encryption context), not member names. */
const MAP_MEMBERS: ReadonlySet<string> = new Set(["EncryptionContext", "EncryptionContextSubset", "EncryptionContextEquals"]);

/** A record's limit on nesting, far beyond any modelled request (a guard against hostile input). */
const MAX_DEPTH = 32;

/** Whether a member of this name is never recorded. */
export function isDeniedMember(name: string): boolean {
  return DENIED_MEMBERS.has(name.toLowerCase());
}

/** CloudTrail's name for a member: its first letter in lower case (`KeyId` → `keyId`). */
export function cloudTrailName(member: string): string {
  return member.length === 0 ? member : member[0]!.toLowerCase() + member.slice(1);
}

/**
 * The requestParameters of an operation's request: `input` (the decoded input, or the raw
 * body when validation failed) walked by the operation's input shape. Null when nothing is
 * left (CloudTrail writes `"requestParameters": null`).
 */
export function requestParameters(model: ServiceModel, operation: string, input: unknown): Record<string, unknown> | null {
  const shapeName = Object.hasOwn(model.operations, operation) ? model.operations[operation as keyof typeof model.operations] : null;
  if (!shapeName) return null;
  const walked = byShape(model, shapeName, input, 0);
  return isRecord(walked) && Object.keys(walked).length > 0 ? walked : null;
}

/** The responseElements of an operation's output, walked by value. Null when nothing is left. */
export function responseElements(output: unknown): Record<string, unknown> | null {
  const walked = byValue(output, false, 0);
  return isRecord(walked) && Object.keys(walked).length > 0 ? walked : null;
}

function byShape(model: ServiceModel, shapeName: string, value: unknown, depth: number): unknown {
  const shape = model.shapes[shapeName];
  if (!shape || shape.sensitive || value === null || value === undefined || isBytes(value) || depth > MAX_DEPTH) return undefined;
  switch (shape.type) {
    case "blob":
      return undefined;
    case "structure": {
      if (!isRecord(value)) return undefined;
      const out: Record<string, unknown> = {};
      for (const { member, shape: memberShape, recordName } of recordedMembers(shape.members ?? {})) {
        if (!Object.hasOwn(value, member)) continue;
        const walked = byShape(model, memberShape, value[member], depth + 1);
        if (walked !== undefined) out[recordName] = walked;
      }
      return out;
    }
    case "list":
      if (!Array.isArray(value) || shape.member === undefined) return undefined;
      return value.map((item) => byShape(model, shape.member as string, item, depth + 1)).filter((item) => item !== undefined);
    case "map": {
      if (!isRecord(value) || shape.value === undefined) return undefined;
      const keyLimit = shape.key === undefined ? undefined : model.shapes[shape.key]?.max;
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value)) {
        const walked = byShape(model, shape.value, item, depth + 1);
        if (walked !== undefined) setMember(out, withinLimit(key, keyLimit), walked);
      }
      return out;
    }
    case "string":
      return typeof value === "string" ? withinLimit(value, shape.max) : undefined;
    case "boolean":
      return typeof value === "boolean" ? value : undefined;
    case "timestamp":
      if (value instanceof Date) return parameterDate(value);
      return typeof value === "number" && Number.isFinite(value) ? parameterDate(new Date(value * 1000)) : undefined;
    default: // integer, long, double, float
      return typeof value === "number" && Number.isFinite(value) ? value : undefined;
  }
}

function byValue(value: unknown, keepKeys: boolean, depth: number): unknown {
  if (value === null || value === undefined || isBytes(value) || depth > MAX_DEPTH) return undefined;
  if (value instanceof Date) return parameterDate(value);
  if (Array.isArray(value)) return value.map((item) => byValue(item, false, depth + 1)).filter((item) => item !== undefined);
  if (typeof value === "object") {
    // Anything that is not plain data (a SecretBytes, a key object) is never recorded.
    if (!isRecord(value)) return undefined;
    const out: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(value)) {
      if (!keepKeys && isDeniedMember(key)) continue;
      const walked = byValue(member, !keepKeys && MAP_MEMBERS.has(key), depth + 1);
      if (walked !== undefined) setMember(out, keepKeys ? key : cloudTrailName(key), walked);
    }
    return out;
  }
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  return typeof value === "string" || typeof value === "boolean" ? value : undefined;
}

/** A member of a structure that may be recorded: its name in the model and in the record, and its shape. */
interface RecordedMember {
  member: string;
  shape: string;
  recordName: string;
}

/**
 * A structure's members that may be recorded (denied ones left out), sorted by their CloudTrail
 * names so requestParameters come out in canonical order (cheap to write); worked out once per
 * structure of the model, not on every request.
 */
const recordOrder = new WeakMap<object, RecordedMember[]>();
function recordedMembers(members: Readonly<Record<string, string>>): RecordedMember[] {
  let recorded = recordOrder.get(members);
  if (!recorded) {
    recorded = Object.entries(members)
      .filter(([member]) => !isDeniedMember(member))
      .map(([member, shape]) => ({ member, shape, recordName: cloudTrailName(member) }))
      .sort((a, b) => (a.recordName < b.recordName ? -1 : 1));
    recordOrder.set(members, recorded);
  }
  return recorded;
}

/** A string cut to its model limit, with a marker (only a request that failed validation has a longer one). */
function withinLimit(text: string, max: number | undefined): string {
  return max === undefined ? text : truncated(text, max);
}

/** Sets a member by definition, so that a caller's key such as `__proto__` (an encryption context's) stays data. */
function setMember(out: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
}

function isBytes(value: unknown): boolean {
  return value instanceof Uint8Array || value instanceof ArrayBuffer || ArrayBuffer.isView(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}
