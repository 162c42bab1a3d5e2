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

/** The canonical JSON text of a JSON value (`undefined` members are left out, as JSON.stringify does). */
export function canonicalJson(value: unknown): string {
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
