/**
 * The size cap of an audit record, enforced here and nowhere else: every event builder turns
 * its record into text through `cappedRecordJson`, so no request, valid or not, stores a
 * record larger than MAX_RECORD_BYTES.
 *
 * The cap is CloudTrail's own: an event of a trail is at most 256 KB, and CloudTrail cuts a
 * field that would make it larger, marking it `"omitted": true`. A record over the cap gives
 * up what the caller controls, in this order, until it fits: its requestParameters and then
 * its responseElements become `{"omitted": true, "originalSize": <bytes>}`; the userAgent and
 * the errorMessage are cut (with a marker); last, the resources list is omitted. What is left
 * (identity, names, times, ids) is bounded by kmsd itself, so the last step always fits.
 */
import { canonicalJson } from "./canonicalJson.ts";
import { truncated } from "./truncate.ts";

/** The largest record kmsd stores, in bytes of canonical JSON (CloudTrail's maximum event size, 256 KB). */
export const MAX_RECORD_BYTES = 256 * 1024;

/** How much of a cut userAgent or errorMessage is kept, in characters. */
const MAX_CUT_TEXT_CHARS = 1024;

/** One way to make an oversized record smaller, tried in order. */
type Shrink = (record: Record<string, unknown>) => void;

const SHRINKS: readonly Shrink[] = [
  omitted("requestParameters"),
  omitted("responseElements"),
  cut("userAgent"),
  cut("errorMessage"),
  omitted("resources"),
];

/** The record as canonical JSON, made to fit MAX_RECORD_BYTES (see above); `record` itself is not changed. */
export function cappedRecordJson(record: Readonly<Record<string, unknown>>): string {
  let json = canonicalJson(record);
  if (Buffer.byteLength(json) <= MAX_RECORD_BYTES) return json;
  const smaller = { ...record };
  for (const shrink of SHRINKS) {
    shrink(smaller);
    json = canonicalJson(smaller);
    if (Buffer.byteLength(json) <= MAX_RECORD_BYTES) break;
  }
  return json;
}

function omitted(field: string): Shrink {
  return (record) => {
    const value = record[field];
    if (value === null || value === undefined) return;
    record[field] = { omitted: true, originalSize: Buffer.byteLength(canonicalJson(value)) };
  };
}

function cut(field: string): Shrink {
  return (record) => {
    const value = record[field];
    if (typeof value === "string") record[field] = truncated(value, MAX_CUT_TEXT_CHARS);
  };
}
