/**
 * The canonical JSON of an audit record, and the hash chain built on it. Canonical means
 * keys sorted by UTF-16 code units at every level, no whitespace, strings and numbers as
 * JSON.stringify writes them (RFC 8785 for the values kmsd records: strings, integers,
 * booleans, null). The stored record IS its canonical text, so anyone can re-derive the
 * hash from a log file after parsing it, whatever their JSON library's key order.
 */
import { createHash } from "node:crypto";

/** The previous hash of the first record of a chain. */
export const GENESIS_HASH = "0".repeat(64);

/**
 * The canonical JSON text of a JSON value (`undefined` members are left out, as JSON.stringify does).
 * A value whose objects already list their members in canonical order (as the audit record
 * builders write them) is JSON.stringify's text, which V8 writes far faster than this module
 * could; anything else is sorted here, member by member, so the order in which a builder
 * wrote a record only ever changes the speed, never the text.
 */
export function canonicalJson(value: unknown): string {
  return inCanonicalOrder(value, 0) ? (JSON.stringify(value) ?? "null") : sortedJson(value);
}

/** Past this depth the check gives up (the sorting path has no such limit; records are far shallower). */
const MAX_CHECKED_DEPTH = 64;

/**
 * Whether JSON.stringify writes `value` canonically: plain objects (no toJSON, no class)
 * whose own members are in ascending UTF-16 order, arrays, strings, booleans, null and
 * numbers. Object.keys lists integer-like keys first in numeric order ("2" before "10"),
 * which fails the check, so such objects are sorted by sortedJson.
 */
function inCanonicalOrder(value: unknown, depth: number): boolean {
  if (value === null || value === undefined) return true;
  switch (typeof value) {
    case "string":
    case "boolean":
    case "number":
      return true;
    case "object":
      break;
    default:
      return false;
  }
  if (depth > MAX_CHECKED_DEPTH) return false;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) if (!inCanonicalOrder(value[index], depth + 1)) return false;
    return true;
  }
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== null) return false;
  let previous: string | undefined;
  for (const key of Object.keys(value)) {
    if (previous !== undefined && !(previous < key)) return false;
    previous = key;
    if (!inCanonicalOrder((value as Record<string, unknown>)[key], depth + 1)) return false;
  }
  return true;
}

/** The canonical text built member by member, each member through canonicalJson (so sorted parts take the fast path). */
function sortedJson(value: unknown): string {
  if (value === null || typeof value !== "object") {
    return typeof value === "number" && !Number.isFinite(value) ? "null" : (JSON.stringify(value) ?? "null");
  }
  // Built with += (V8 ropes): this runs for every request, so it avoids intermediate arrays.
  if (Array.isArray(value)) {
    let text = "[";
    for (let index = 0; index < value.length; index++) {
      if (index > 0) text += ",";
      const item: unknown = value[index];
      text += item === undefined ? "null" : canonicalJson(item);
    }
    return text + "]";
  }
  const object = value as Record<string, unknown>;
  const keys = Object.keys(object).sort();
  let text = "{";
  let first = true;
  for (const key of keys) {
    const member = object[key];
    if (member === undefined) continue;
    if (!first) text += ",";
    first = false;
    text += JSON.stringify(key) + ":" + canonicalJson(member);
  }
  return text + "}";
}

/** A record's hash: SHA-256 (hex) over the previous record's hash, a newline, and the record's canonical JSON. */
export function chainHash(previousHash: string, canonicalRecord: string): string {
  return createHash("sha256").update(previousHash).update("\n").update(canonicalRecord).digest("hex");
}

/** SHA-256 of bytes or text, hex. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}
