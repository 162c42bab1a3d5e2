/**
 * Event ids: UUIDs (RFC 9562) of version 7, whose first 48 bits are the event time in
 * milliseconds and the rest random. They look like CloudTrail's eventIDs (a UUID) and, being
 * time-ordered, each new one lands at the end of audit.db's event-id index instead of on a
 * random page of it, which keeps every commit's writes small.
 */
import { randomFillSync } from "node:crypto";

const POOL_IDS = 512;
const pool = Buffer.alloc(POOL_IDS * 10);
let next = POOL_IDS;

/** A fresh version-7 UUID for an event at `timeMs`. */
export function newEventId(timeMs: number): string {
  if (next === POOL_IDS) {
    randomFillSync(pool);
    next = 0;
  }
  const random = pool.subarray(next * 10, next * 10 + 10);
  next++;
  const time = Math.max(0, Math.floor(timeMs)).toString(16).padStart(12, "0").slice(-12);
  const hex = random.toString("hex");
  // Version 7 in the 13th hex digit, variant 10xx in the 17th.
  const variant = ((parseInt(hex.slice(3, 4), 16) & 0x3) | 0x8).toString(16);
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${hex.slice(0, 3)}-${variant}${hex.slice(4, 7)}-${hex.slice(7, 19)}`;
}
