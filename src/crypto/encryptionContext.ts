/**
 * Canonical, unambiguous encoding of an encryption context, authenticated as AES-GCM
 * additional data. Pairs are sorted by key (UTF-8 byte order) and every string is
 * length-prefixed, so {"ab":"c"} and {"a":"bc"} can never encode the same.
 *
 *   u16 pair count, then per pair: u16 key length, key bytes, u16 value length, value bytes
 */
import { ValidationException } from "../errors.ts";

/** The most pairs, and the longest key or value in UTF-8 bytes, the u16 length prefixes can say. */
const MAX_ENCODABLE = 0xffff;

/**
 * Encodes an encryption context (absent or empty both encode as zero pairs). A context the
 * format cannot hold (a key or value over 65,535 UTF-8 bytes, or more pairs) is the
 * caller's ValidationException, never an internal error; so is a key or value that is not
 * valid Unicode, which UTF-8 could only encode as U+FFFD, binding "\ud800" and "\ufffd" alike.
 * (Request bodies refuse such strings already; this keeps the binding exact whatever the caller.)
 */
export function encodeEncryptionContext(context: Record<string, string> | undefined): Buffer {
  if (!context) return EMPTY_CONTEXT;
  const pairs = Object.entries(context).map(([k, v]) => [utf8(k), utf8(v)] as const);
  if (pairs.length === 0) return EMPTY_CONTEXT;
  if (pairs.length > MAX_ENCODABLE || pairs.some(([k, v]) => k.length > MAX_ENCODABLE || v.length > MAX_ENCODABLE)) {
    throw new ValidationException(
      `The encryption context is too large: at most ${MAX_ENCODABLE} pairs, each key and value at most ${MAX_ENCODABLE} bytes in UTF-8.`,
    );
  }
  pairs.sort((a, b) => Buffer.compare(a[0], b[0]));
  let size = 2;
  for (const [k, v] of pairs) size += 4 + k.length + v.length;
  const out = Buffer.alloc(size);
  let offset = out.writeUInt16BE(pairs.length, 0);
  for (const [k, v] of pairs) {
    offset = out.writeUInt16BE(k.length, offset);
    offset += k.copy(out, offset);
    offset = out.writeUInt16BE(v.length, offset);
    offset += v.copy(out, offset);
  }
  return out;
}

const EMPTY_CONTEXT = Buffer.from([0, 0]);

function utf8(text: string): Buffer {
  if (!text.isWellFormed()) throw new ValidationException("The encryption context holds a key or value that is not valid Unicode.");
  return Buffer.from(text, "utf8");
}
