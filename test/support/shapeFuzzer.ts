/**
 * Generates adversarial request inputs from the generated service models
 * (src/model/*.generated.ts): mostly values that respect the shape (so requests get past
 * validation into the handlers), mixed with boundary lengths and values, wrong JSON types,
 * nulls, odd numbers, unicode edge cases, unknown members, missing required members and
 * deep nesting. Realistic values (real key ids, ciphertexts, user names) come from a
 * dictionary keyed by shape name. Every choice is drawn from a seeded Random, so a run
 * replays from its seed.
 *
 * A generated input is a JSON value that may hold RawJson leaves (text spliced into the
 * body verbatim: `1e400`, lone-surrogate escapes...), so it is serialized with toJsonText.
 * Query services (IAM, STS) take the same input flattened into a form by toQueryForm.
 */
import { compileJavaPattern } from "../../src/model/pattern.ts";
import type { ServiceModel, Shape } from "../../src/model/types.ts";
import type { Random } from "./seededRandom.ts";

/** JSON text to splice into a body as is (what JSON.stringify cannot produce). */
export class RawJson {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

/** Realistic values by shape name (`KeyIdType`: real key ids, ARNs, aliases...). */
export type FuzzDictionary = Readonly<Record<string, readonly unknown[]>>;

/** One generated input and the kinds of mutation it carries (for the counts). */
export interface FuzzInput {
  value: unknown;
  mutations: Set<string>;
}

// Lengths beyond these are cut: a 131,072-character policy or 10,000 list items are not
// more adversarial than a few, and would make every request slow. Bodies over the server's
// 512 KiB bound come from the "huge string" mutation instead.
const MAX_STRING = 300;
const MAX_ITEMS = 4;
const MAX_DEPTH = 6;

/** Strings that have broken parsers, loggers and XML writers elsewhere. */
const NASTY_STRINGS: readonly unknown[] = [
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\r\n\t",
  "\u202e\u0041\u0042", // right-to-left override
  "\ufeffBOM",
  "\uffff\ufffe",
  "e\u0301\u0301\u0301", // stacked combining marks
  "😀👩‍👩‍👧‍👦",
  "\u{10ffff}",
  "ＫＥＹ", // full-width
  "<x>&amp;]]></x>",
  "${jndi:ldap://x}",
  "%s%n%x",
  "'; DROP TABLE keys; --",
  "../../../../etc/passwd",
  "alias/aws/",
  "alias/",
  "arn:aws:kms:us-east-1:000000000000:key/",
  "arn:aws:kms:::",
  "__proto__",
  "constructor",
  "toString",
  "hasOwnProperty",
  new RawJson('"\\ud800"'), // lone high surrogate
  new RawJson('"\\udfff x"'), // lone low surrogate
  new RawJson('"\\u0000"'),
];

/** Numbers at the edges of what JSON, JavaScript and SQLite represent. */
const ODD_NUMBERS: readonly unknown[] = [
  0,
  -0,
  -1,
  1.5,
  2 ** 31,
  2 ** 31 - 1,
  -(2 ** 31) - 1,
  2 ** 53 + 2,
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  new RawJson("1e400"), // Infinity once parsed
  new RawJson("-1e400"),
  new RawJson("1E2"),
  new RawJson("123456789012345678901234567890"),
  new RawJson("-0.0"),
];

const WRONG_TYPES: readonly unknown[] = [true, false, 0, 7, "x", "true", [], [null], {}, { a: 1 }];

const ASCII = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const PRINTABLE = `${ASCII} -_./:=+,@!#$%^&*()[]{}|;'"<>?~\`\\`;

/** Makes the inputs of one model, with `dictionary` supplying realistic values. */
export function shapeFuzzer(model: ServiceModel, random: Random, dictionary: FuzzDictionary) {
  const patterns = new Map<string, RegExp | undefined>();
  const patternOf = (shape: Shape): RegExp | undefined => {
    if (shape.pattern === undefined) return undefined;
    if (!patterns.has(shape.pattern)) patterns.set(shape.pattern, compileJavaPattern(shape.pattern));
    return patterns.get(shape.pattern);
  };
  const shapeOf = (name: string): Shape => {
    const shape = model.shapes[name];
    if (!shape) throw new Error(`model has no shape ${name}`);
    return shape;
  };

  /** A string of length `n` that matches the shape's pattern if a few tries find one. */
  const stringOfLength = (shape: Shape, n: number): string => {
    const pattern = patternOf(shape);
    for (const alphabet of [PRINTABLE, ASCII, "abcdef0123456789", "a"]) {
      const text = Array.from({ length: n }, () => alphabet.charAt(random.int(alphabet.length))).join("");
      if (!pattern || pattern.test(text)) return text;
    }
    return Array.from({ length: n }, () => ASCII.charAt(random.int(ASCII.length))).join("");
  };

  const lengthWithin = (shape: Shape, cap: number): number => {
    const min = shape.min ?? 0;
    const max = Math.min(shape.max ?? cap, Math.max(min, cap));
    return random.between(min, Math.max(min, max));
  };

  /** Lengths at and around the shape's bounds (only those small enough to send). */
  const boundaryLength = (shape: Shape, cap: number): number => {
    const candidates = [0, 1];
    if (shape.min !== undefined) candidates.push(shape.min - 1, shape.min, shape.min + 1);
    if (shape.max !== undefined && shape.max + 1 <= cap) candidates.push(shape.max - 1, shape.max, shape.max + 1);
    return Math.max(0, random.pick(candidates));
  };

  const validScalar = (shapeName: string, shape: Shape): unknown => {
    const known = dictionary[shapeName];
    if (known && known.length > 0 && random.chance(0.6)) return random.pick(known);
    switch (shape.type) {
      case "string":
        if (shape.enum) return random.pick(shape.enum);
        return stringOfLength(shape, lengthWithin(shape, Math.min(MAX_STRING, random.chance(0.8) ? 24 : MAX_STRING)));
      case "blob":
        return random.bytes(lengthWithin(shape, random.chance(0.8) ? 64 : 4096)).toString("base64");
      case "integer":
      case "long":
        return random.between(shape.min ?? 0, Math.min(shape.max ?? 1000, (shape.min ?? 0) + 1000));
      case "double":
      case "float":
        return random.next() * (shape.max ?? 1000);
      case "boolean":
        return random.chance(0.5);
      case "timestamp":
        return random.pick([Math.floor(Date.now() / 1000) - random.int(86_400 * 400), Math.floor(Date.now() / 1000) + random.int(86_400)]);
      default:
        throw new Error(`not a scalar shape: ${shapeName}`);
    }
  };

  const boundaryScalar = (shape: Shape): unknown => {
    switch (shape.type) {
      case "string":
        return stringOfLength(shape, boundaryLength(shape, 70_000));
      case "blob":
        return random.bytes(boundaryLength(shape, 70_000)).toString("base64");
      case "integer":
      case "long":
      case "double":
      case "float": {
        const edges = [shape.min ?? 0, shape.max ?? 2 ** 31].flatMap((edge) => [edge - 1, edge, edge + 1]);
        return random.pick(edges);
      }
      default:
        return random.pick(WRONG_TYPES);
    }
  };

  /** A value that is wrong for the shape in some way AWS has to refuse or tolerate. */
  const oddScalar = (shape: Shape, mutations: Set<string>): unknown => {
    const kind = random.pick(["wrong-type", "null", "unicode", "odd-number", "huge-string", "bad-base64", "bad-timestamp"] as const);
    mutations.add(kind);
    switch (kind) {
      case "wrong-type":
        return random.pick(WRONG_TYPES);
      case "null":
        return null;
      case "unicode":
        return random.pick(NASTY_STRINGS);
      case "odd-number":
        return random.pick(ODD_NUMBERS);
      case "huge-string":
        // Some just under the body bound, some over it (413).
        return "A".repeat(random.pick([9000, 140_000, 600_000]));
      case "bad-base64":
        return shape.type === "blob" ? random.pick(["!!!!", "abc", "a===", "====", "YQ", "Y Q==", "\u00e9\u00e9", "-_-_"]) : random.pick(NASTY_STRINGS);
      case "bad-timestamp":
        return random.pick(["2024-01-01", "yesterday", -1, 1e20, new RawJson("1e400"), "1700000000"]);
    }
  };

  const value = (shapeName: string, depth: number, mutations: Set<string>): unknown => {
    const shape = shapeOf(shapeName);
    const roll = random.next();
    if (roll < 0.06) return oddScalar(shape, mutations);
    if (roll < 0.1) {
      mutations.add("boundary");
      if (shape.type === "list" || shape.type === "map") return collection(shapeName, shape, depth, mutations, true);
      if (shape.type !== "structure") return boundaryScalar(shape);
    }
    if (shape.type === "structure") return structure(shape, depth, mutations);
    if (shape.type === "list" || shape.type === "map") return collection(shapeName, shape, depth, mutations, false);
    return validScalar(shapeName, shape);
  };

  const collection = (shapeName: string, shape: Shape, depth: number, mutations: Set<string>, boundary: boolean): unknown => {
    const known = dictionary[shapeName];
    if (!boundary && known && known.length > 0 && random.chance(0.5)) return random.pick(known);
    const count = boundary ? boundaryLength(shape, 60) : lengthWithin(shape, MAX_ITEMS);
    if (depth >= MAX_DEPTH) return shape.type === "list" ? [] : {};
    if (shape.type === "list") return Array.from({ length: count }, () => value(shape.member ?? "", depth + 1, mutations));
    const out: Record<string, unknown> = {};
    const keyShape = shapeOf(shape.key ?? "");
    for (let i = 0; i < count; i++) {
      const key = random.chance(0.1) ? String(random.pick(NASTY_STRINGS.filter((s) => typeof s === "string"))) : validScalar(shape.key ?? "", keyShape);
      // defineProperty: a `__proto__` key must become an own member, as JSON.parse makes it.
      Object.defineProperty(out, String(key), { value: value(shape.value ?? "", depth + 1, mutations), enumerable: true, writable: true, configurable: true });
    }
    return out;
  };

  const structure = (shape: Shape, depth: number, mutations: Set<string>): unknown => {
    if (depth >= MAX_DEPTH) return {};
    const required = new Set(shape.required);
    const out: Record<string, unknown> = {};
    for (const [member, target] of Object.entries(shape.members ?? {})) {
      const include = required.has(member) ? random.chance(0.95) : random.chance(0.45);
      if (!include) {
        if (required.has(member)) mutations.add("missing-required");
        continue;
      }
      out[member] = value(target, depth + 1, mutations);
    }
    if (random.chance(0.05)) {
      mutations.add("unknown-member");
      const name = random.pick(["Unknown", "keyId", "KEYID", "__proto__", "constructor", "", "\u0000"]);
      Object.defineProperty(out, name, { value: random.pick(WRONG_TYPES), enumerable: true, writable: true, configurable: true });
    }
    return out;
  };

  return {
    /** A generated input of `operation` (an empty object for an operation without input). */
    input(operation: string): FuzzInput {
      const mutations = new Set<string>();
      const shapeName = (model.operations as Record<string, string | null>)[operation] ?? null;
      let root: unknown = shapeName === null ? {} : value(shapeName, 0, mutations);
      if (random.chance(0.02)) {
        mutations.add("deep-nesting");
        root = { ...(root as object), Nested: deeplyNested(random.pick([64, 1000, 20_000])) };
      }
      if (random.chance(0.02)) {
        mutations.add("not-an-object");
        root = random.pick([[], "text", 42, null, true]);
      }
      if (random.chance(0.01)) {
        mutations.add("truncated-json");
        const text = toJsonText(root);
        root = new RawJson(text.slice(0, random.int(text.length)));
      }
      return { value: root, mutations };
    },
  };
}

/** `depth` nested arrays and objects: `[{"a":[{"a":...}]}]`. */
export function deeplyNested(depth: number): RawJson {
  return new RawJson(`${'[{"a":'.repeat(depth)}1${"}]".repeat(depth)}`);
}

/** JSON text of a value that may hold RawJson leaves; Buffers become base64. */
export function toJsonText(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (Buffer.isBuffer(value)) return JSON.stringify(value.toString("base64"));
  if (Array.isArray(value)) return `[${value.map(toJsonText).join(",")}]`;
  if (value !== null && typeof value === "object") {
    return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${toJsonText(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * Flattens an input into a Query form (`Tags.member.1.Key=...`, `Map.entry.1.key=...`)
 * following the operation's shape; values of the wrong kind are written as their JSON text,
 * as a confused client might.
 */
export function toQueryForm(model: ServiceModel, operation: string, input: unknown): [string, string][] {
  const out: [string, string][] = [];
  const walk = (shapeName: string, prefix: string, value: unknown) => {
    const shape = model.shapes[shapeName];
    if (value === undefined || !shape) return;
    if (shape.type === "structure" && isObject(value)) {
      for (const [member, child] of Object.entries(value)) {
        const target = shape.members?.[member];
        const name = prefix === "" ? member : `${prefix}.${member}`;
        if (target) walk(target, name, child);
        else out.push([name, scalarText(child)]);
      }
    } else if (shape.type === "list" && Array.isArray(value)) {
      if (value.length === 0) out.push([prefix, ""]);
      value.forEach((item, i) => walk(shape.member ?? "", `${prefix}.member.${i + 1}`, item));
    } else if (shape.type === "map" && isObject(value)) {
      Object.entries(value).forEach(([key, child], i) => {
        out.push([`${prefix}.entry.${i + 1}.key`, key]);
        walk(shape.value ?? "", `${prefix}.entry.${i + 1}.value`, child);
      });
    } else {
      out.push([prefix, scalarText(value)]);
    }
  };
  const shapeName = (model.operations as Record<string, string | null>)[operation] ?? null;
  if (shapeName !== null) walk(shapeName, "", input);
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) && !(value instanceof RawJson);
}

function scalarText(value: unknown): string {
  if (typeof value === "string") return value;
  if (value instanceof RawJson) return value.text;
  return JSON.stringify(value) ?? "";
}
