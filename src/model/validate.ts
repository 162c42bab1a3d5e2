/**
 * Declarative request decoding for AWS JSON services: checks a JSON-parsed request body
 * against an operation's input shape, converts blobs and timestamps, and reports
 * constraint violations in AWS's (Coral's) exact wording.
 *
 * Wire type mismatches stop at the first one with a SerializationException (AWS fails
 * while deserializing, before any validation). Constraint violations are all collected,
 * in shape member order, depth first, into one ValidationException:
 *   `2 validation errors detected: Value '0' at 'numberOfBytes' failed to satisfy constraint: ...; Value ...`
 *
 * Messages are bounded (MAX_QUOTED_VALUE_CHARS, MAX_MESSAGE_CHARS): the message is answered
 * to the caller and recorded as the audit event's errorMessage, so it must not grow with the
 * request (a 500 KB Description used to come back, and be recorded, whole).
 */
import { isDeniedMember } from "../audit/redact.ts";
import { truncated } from "../audit/truncate.ts";
import { SerializationException, UnknownOperationException, ValidationException } from "../errors.ts";
import { compileJavaPattern } from "./pattern.ts";
import type { ServiceModel, ShapeType } from "./types.ts";

/** A constraint of a shape, with its message precomputed. `size` is the length (bytes for blobs). */
interface Rule {
  readonly message: string;
  readonly ok: (value: unknown, size: number) => boolean;
}

/** A shape compiled for decoding; built once per shape and model, then reused. */
interface Node {
  readonly type: ShapeType;
  /**
   * Value never appears in messages: the shape, or something inside it, is sensitive, or is
   * the value of a member the audit trail never records (a grant token, an MFA code: secrets
   * the model does not mark sensitive), since the message is recorded as the errorMessage.
   */
  hidden: boolean;
  rules: Rule[];
  /** `[rule, rule]`: how list items and map keys/values report their rules together. */
  ruleList: string;
  members: { name: string; path: string; node: Node; required: boolean }[];
  item?: Node;
  key?: Node;
  value?: Node;
}

/**
 * The longest value a message quotes whole; a longer one is quoted as its prefix and a
 * marker. AWS's recorded messages quote values of up to 257 characters whole (a tag value
 * one over its 256 limit), so any limit of a member up to 511 still reads exactly as AWS's.
 */
export const MAX_QUOTED_VALUE_CHARS = 512;

/** The longest validation message: past it (hundreds of violations) the list is cut, with a marker. */
export const MAX_MESSAGE_CHARS = 4096;

type Compiled = { shapes: Map<string, Node>; inputs: Map<string, Node | null> };
const compiledModels = new WeakMap<ServiceModel, Compiled>();

/**
 * Decodes one request of `operation`: returns a copy holding only modelled members, with
 * blobs as bytes (Buffer) and timestamps as Date, shaped like the `@aws-sdk/client-*`
 * request types. Throws SerializationException on wire type mismatches and one
 * ValidationException listing every constraint violation.
 */
export function decodeInput(model: ServiceModel, operation: string, input: unknown): Record<string, unknown> {
  const root = inputNode(model, operation);
  if (!isPlainObject(input)) throw mismatch(input, "structure");
  if (root === null) return {};
  const errors: string[] = [];
  const output = decodeStructure(root, input, "", errors);
  if (errors.length > 0) {
    const count = errors.length === 1 ? "1 validation error" : `${errors.length} validation errors`;
    throw new ValidationException(truncated(`${count} detected: ${errors.join("; ")}`, MAX_MESSAGE_CHARS));
  }
  return output;
}

// ---------------------------------------------------------------------------------------
// Compilation (once per operation and model)

function inputNode(model: ServiceModel, operation: string): Node | null {
  let compiled = compiledModels.get(model);
  if (!compiled) compiledModels.set(model, (compiled = { shapes: new Map(), inputs: new Map() }));
  const cached = compiled.inputs.get(operation);
  if (cached !== undefined) return cached;
  // Own properties only: an operation named `toString` must not match Object.prototype.
  if (!Object.hasOwn(model.operations, operation)) throw new UnknownOperationException();
  const shapeName = (model.operations as Record<string, string | null>)[operation] ?? null;
  const node = shapeName === null ? null : compileShape(model, compiled.shapes, shapeName);
  if (node) markHidden(node, new Set());
  compiled.inputs.set(operation, node);
  return node;
}

// `secret`: compile the shape as sensitive, with everything inside it (a second node, cached
// apart: the same shape may also be the target of an ordinary member).
function compileShape(model: ServiceModel, cache: Map<string, Node>, name: string, secret = false): Node {
  const cacheKey = secret ? `${name}\u0000secret` : name;
  const existing = cache.get(cacheKey);
  if (existing) return existing;
  const shape = model.shapes[name];
  if (!shape) throw new Error(`model has no shape ${name}`);
  const node: Node = { type: shape.type, hidden: secret || shape.sensitive === true, rules: [], ruleList: "[]", members: [] };
  cache.set(cacheKey, node); // before recursing, so recursive shapes terminate
  const required = new Set(shape.required);
  for (const [member, target] of Object.entries(shape.members ?? {})) {
    const path = member.charAt(0).toLowerCase() + member.slice(1);
    const memberNode = compileShape(model, cache, target, secret || isSecretMember(model, member, target));
    node.members.push({ name: member, path, node: memberNode, required: required.has(member) });
  }
  if (shape.member) node.item = compileShape(model, cache, shape.member, secret);
  if (shape.key) node.key = compileShape(model, cache, shape.key, secret);
  if (shape.value) node.value = compileShape(model, cache, shape.value, secret);

  // Rule order: the order AWS uses inside `[...]` lists (maximum before minimum).
  const { min, max } = shape;
  const isNumber = shape.type === "integer" || shape.type === "long" || shape.type === "double" || shape.type === "float";
  const bound = (n: number) => (shape.type === "double" || shape.type === "float" ? javaDouble(n) : String(n));
  if (isNumber) {
    if (max !== undefined) node.rules.push({ message: `Member must have value less than or equal to ${bound(max)}`, ok: (v) => (v as number) <= max });
    if (min !== undefined) node.rules.push({ message: `Member must have value greater than or equal to ${bound(min)}`, ok: (v) => (v as number) >= min });
  } else if (shape.type !== "boolean" && shape.type !== "timestamp" && shape.type !== "structure") {
    if (max !== undefined) node.rules.push({ message: `Member must have length less than or equal to ${max}`, ok: (_, size) => size <= max });
    if (min !== undefined) node.rules.push({ message: `Member must have length greater than or equal to ${min}`, ok: (_, size) => size >= min });
  }
  if (shape.pattern !== undefined) {
    // An untranslatable pattern is skipped (the generator warns about it), not fatal.
    const regex = compileJavaPattern(shape.pattern);
    if (regex) node.rules.push({ message: `Member must satisfy regular expression pattern: ${shape.pattern}`, ok: (v) => regex.test(v as string) });
  }
  if (shape.enum) {
    const allowed = new Set(shape.enum);
    node.rules.push({ message: `Member must satisfy enum value set: [${shape.enum.join(", ")}]`, ok: (v) => allowed.has(v as string) });
  }
  node.ruleList = `[${node.rules.map((r) => r.message).join(", ")}]`;
  return node;
}

// A member the audit trail never records (redact.ts) is shown like a sensitive one: "Value
// at 'grantTokens'", never the tokens. Blobs excepted: their message shows only their
// length (Java's ByteBuffer), which AWS prints and which tells nothing of the bytes.
function isSecretMember(model: ServiceModel, member: string, target: string): boolean {
  return isDeniedMember(member) && model.shapes[target]?.type !== "blob";
}

// A container whose contents include a sensitive shape is hidden as a whole.
function markHidden(node: Node, visiting: Set<Node>): boolean {
  if (visiting.has(node)) return node.hidden;
  visiting.add(node);
  for (const child of [...node.members.map((m) => m.node), node.item, node.key, node.value]) {
    if (child && markHidden(child, visiting)) node.hidden = true;
  }
  return node.hidden;
}

// ---------------------------------------------------------------------------------------
// Decoding

function decodeStructure(node: Node, input: Record<string, unknown>, path: string, errors: string[]): Record<string, unknown> {
  const output: Record<string, unknown> = {};
  for (const member of node.members) {
    const memberPath = path === "" ? member.path : `${path}.${member.path}`;
    const raw = Object.hasOwn(input, member.name) ? input[member.name] : undefined;
    if (raw === undefined || raw === null) {
      // JSON null means absent, as in AWS JSON protocols.
      if (member.required) errors.push(violation(member.node.hidden ? "Value" : "Value null", memberPath, "Member must not be null"));
      continue;
    }
    output[member.name] = decodeValue(member.node, raw, memberPath, errors);
  }
  return output;
}

// Converts one present value and checks its own rules; containers report their own
// violations before those of their contents (AWS: list length before item errors).
function decodeValue(node: Node, raw: unknown, path: string, errors: string[]): unknown {
  const mark = errors.length;
  const value = convert(node, raw, path, errors);
  if (node.rules.length > 0) {
    const size = sizeOf(node.type, value);
    let at = mark;
    for (const rule of node.rules) {
      if (!rule.ok(value, size)) errors.splice(at++, 0, violation(shown(node, value), path, rule.message));
    }
  }
  return value;
}

function convert(node: Node, raw: unknown, path: string, errors: string[]): unknown {
  switch (node.type) {
    case "structure":
      if (!isPlainObject(raw)) throw mismatch(raw, "structure");
      return decodeStructure(node, raw, path, errors);
    case "list":
      if (!Array.isArray(raw)) throw mismatch(raw, "list");
      return decodeList(node, node.item!, raw, path, errors);
    case "map":
      if (!isPlainObject(raw)) throw mismatch(raw, "map");
      return decodeMap(node, node.key!, node.value!, raw, path, errors);
    case "string":
      if (typeof raw !== "string") throw mismatch(raw, "a String");
      return raw;
    case "boolean":
      if (typeof raw !== "boolean") throw mismatch(raw, "a Boolean");
      return raw;
    case "integer":
      if (typeof raw !== "number" || !Number.isInteger(raw) || raw < -2147483648 || raw > 2147483647) throw mismatch(raw, "an Integer");
      return raw;
    case "long":
      if (typeof raw !== "number" || !Number.isSafeInteger(raw)) throw mismatch(raw, "a Long");
      return raw;
    case "double":
    case "float":
      if (typeof raw !== "number") throw mismatch(raw, node.type === "double" ? "a Double" : "a Float");
      return raw;
    case "blob":
      if (typeof raw !== "string") throw mismatch(raw, "a Blob");
      return decodeBase64(raw);
    case "timestamp":
      return decodeTimestamp(raw);
  }
}

// Items with their own rules (strings, numbers, ...) are reported once for the whole list,
// as AWS does: `Value '[a, ]' at 'grantTokens' failed to satisfy constraint: Member must
// satisfy constraint: [...]`. Items that are containers are checked at `list.N.member`.
function decodeList(node: Node, item: Node, raw: unknown[], path: string, errors: string[]): unknown[] {
  const output: unknown[] = [];
  let itemFailed = false;
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === undefined || raw[i] === null) continue; // AWS drops null items
    if (isScalar(item)) {
      const value = convert(item, raw[i], path, errors);
      const size = sizeOf(item.type, value);
      if (!itemFailed && item.rules.some((r) => !r.ok(value, size))) itemFailed = true;
      output.push(value);
    } else {
      output.push(decodeValue(item, raw[i], `${path}.${i + 1}.member`, errors));
    }
  }
  if (itemFailed) errors.push(violation(shown(node, output), path, `Member must satisfy constraint: ${item.ruleList}`));
  return output;
}

// Keys, and scalar values, are reported once for the whole map (keys first); container
// values are checked at `map.<key>.member`.
function decodeMap(node: Node, key: Node, valueNode: Node, raw: Record<string, unknown>, path: string, errors: string[]): Record<string, unknown> {
  const output: Record<string, unknown> = {};
  let keyFailed = false;
  let valueFailed = false;
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined || v === null) continue;
    if (!keyFailed && key.rules.some((r) => !r.ok(k, k.length))) keyFailed = true;
    let value: unknown;
    if (isScalar(valueNode)) {
      value = convert(valueNode, v, path, errors);
      const size = sizeOf(valueNode.type, value);
      if (!valueFailed && valueNode.rules.some((r) => !r.ok(value, size))) valueFailed = true;
    } else {
      value = decodeValue(valueNode, v, `${path}.${k}.member`, errors);
    }
    // A `__proto__` key must become an own property, not the prototype.
    if (k === "__proto__") Object.defineProperty(output, k, { value, enumerable: true, writable: true, configurable: true });
    else output[k] = value;
  }
  const own: string[] = [];
  if (keyFailed) own.push(violation(shown(node, output), path, `Map keys must satisfy constraint: ${key.ruleList}`));
  if (valueFailed) own.push(violation(shown(node, output), path, `Map value must satisfy constraint: ${valueNode.ruleList}`));
  errors.push(...own);
  return output;
}

// ---------------------------------------------------------------------------------------
// Wire formats

// Strict base64 with padding (the SDKs always pad): no URL-safe alphabet, no whitespace.
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function decodeBase64(text: string): Buffer {
  const bytes = Buffer.from(text, "base64");
  // Node's decoder is lenient; canonical input is exactly what re-encoding gives back.
  // That is much faster on large blobs than a regular expression over the text.
  if (bytes.toString("base64") === text) return bytes;
  // Never quote the text: blobs are often secrets.
  let reason = "Invalid last non-pad Base64 character";
  if (text.length % 4 !== 0) reason = `Base64 encoded length is expected a multiple of 4 bytes but found: ${text.length}`;
  else if (!BASE64.test(text)) reason = "Invalid Base64 character";
  throw new SerializationException(`STRING_VALUE can not be converted to a Blob: ${reason}`);
}

// ISO 8601 date-time with a zone; `Date.parse` alone also accepts things like "1".
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i;

// AWS JSON sends epoch seconds (possibly fractional); ISO strings are accepted too.
function decodeTimestamp(raw: unknown): Date {
  const ms = typeof raw === "number" ? raw * 1000 : typeof raw === "string" && ISO_TIMESTAMP.test(raw) ? Date.parse(raw) : NaN;
  const date = new Date(ms);
  if (Number.isNaN(date.getTime())) throw mismatch(raw, "a Timestamp"); // also out of Date's range
  return date;
}

// ---------------------------------------------------------------------------------------
// Messages

/** `target` is "structure", "list", "map" or a Java-ish type with its article ("an Integer"). */
function mismatch(raw: unknown, target: string): InstanceType<typeof SerializationException> {
  // Wording of AWS's JSON deserializer; the value itself is never quoted.
  if (raw === null) return new SerializationException("Start of structure expected"); // only a null body gets here
  if (Array.isArray(raw)) return new SerializationException("Start of list found where not expected");
  if (typeof raw === "object") return new SerializationException("Start of structure or map found where not expected.");
  if (target === "list") return new SerializationException("Expected list or null");
  if (target === "map") return new SerializationException("Expected map or null");
  if (target === "structure") return new SerializationException("Expected null");
  const token = typeof raw === "string" ? "STRING_VALUE" : typeof raw === "number" ? "NUMBER_VALUE" : raw ? "TRUE_VALUE" : "FALSE_VALUE";
  return new SerializationException(`${token} can not be converted to ${target}`);
}

function violation(value: string, path: string, message: string): string {
  return `${value} at '${path}' failed to satisfy constraint: ${message}`;
}

// `Value 'x'`, or just `Value` for sensitive data (AWS: `Value at 'plaintext' ...`).
function shown(node: Node, value: unknown): string {
  return node.hidden ? "Value" : `Value '${truncated(display(node, value), MAX_QUOTED_VALUE_CHARS)}'`;
}

// Java's toString of the deserialized value, which is what AWS quotes.
function display(node: Node, value: unknown): string {
  switch (node.type) {
    case "blob": {
      const n = (value as Uint8Array).byteLength;
      return `java.nio.HeapByteBuffer[pos=0 lim=${n} cap=${n}]`;
    }
    case "timestamp":
      return (value as Date).toISOString();
    case "double":
    case "float":
      return javaDouble(value as number);
    case "list":
      return `[${(value as unknown[]).map((v) => display(node.item!, v)).join(", ")}]`;
    case "map":
      return `{${Object.entries(value as object).map(([k, v]) => `${k}=${display(node.value!, v)}`).join(", ")}}`;
    case "structure": {
      const record = value as Record<string, unknown>;
      const parts = node.members.filter((m) => record[m.name] !== undefined).map((m) => `${m.name}=${display(m.node, record[m.name])}`);
      return `{${parts.join(", ")}}`;
    }
    default:
      return String(value);
  }
}

function javaDouble(n: number): string {
  return Number.isInteger(n) && Math.abs(n) < 1e7 ? n.toFixed(1) : String(n);
}

// ---------------------------------------------------------------------------------------
// Helpers

function isScalar(node: Node): boolean {
  return node.type !== "structure" && node.type !== "list" && node.type !== "map";
}

function sizeOf(type: ShapeType, value: unknown): number {
  switch (type) {
    case "string":
    case "list":
      return (value as string | unknown[]).length; // strings: UTF-16 code units, like Java
    case "blob":
      return (value as Uint8Array).byteLength;
    case "map":
      return Object.keys(value as object).length;
    default:
      return 0;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
