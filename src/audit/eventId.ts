/**
 * Event ids: UUIDs (RFC 9562) of version 7, whose first 48 bits are the event time in
 * milliseconds and the rest random. They look like CloudTrail's eventIDs (a UUID) and, being
 * time-ordered, each new one lands at the end of audit.db's event-id index instead of on a
 * random page of it, which keeps every commit's writes small.
 */
import { publicRandomHex } from "../crypto/randomPool.ts";

/** A fresh version-7 UUID for an event at `timeMs`. */
export function newEventId(timeMs: number): string {
  const time = Math.max(0, Math.floor(timeMs)).toString(16).padStart(12, "0").slice(-12);
  const hex = publicRandomHex(10);
  // Version 7 in the 13th hex digit, variant 10xx in the 17th.
  const variant = ((parseInt(hex.slice(3, 4), 16) & 0x3) | 0x8).toString(16);
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${hex.slice(0, 3)}-${variant}${hex.slice(4, 7)}-${hex.slice(7, 19)}`;
}
