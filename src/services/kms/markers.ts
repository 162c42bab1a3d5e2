/**
 * Paging markers: the store's cursor, wrapped so clients see an opaque token and a
 * forged or garbled one is InvalidMarkerException rather than a database error.
 */
import { InvalidMarkerException } from "../../errors.ts";

const PREFIX = "kmsd1:";

/** Wraps a store cursor as a Marker. */
export function encodeMarker(cursor: string | undefined): string | undefined {
  return cursor === undefined ? undefined : Buffer.from(PREFIX + cursor, "utf8").toString("base64url");
}

/** Unwraps a Marker from a request. */
export function decodeMarker(marker: string | undefined): string | undefined {
  if (marker === undefined) return undefined;
  const decoded = Buffer.from(marker, "base64url").toString("utf8");
  if (!decoded.startsWith(PREFIX)) throw new InvalidMarkerException("The marker is not valid.");
  return decoded.slice(PREFIX.length);
}

/** Wraps a numeric offset (into an in-memory list) as a Marker. */
export function decodeOffsetMarker(marker: string | undefined): number {
  const cursor = decodeMarker(marker);
  if (cursor === undefined) return 0;
  if (!/^[0-9]{1,6}$/.test(cursor)) throw new InvalidMarkerException("The marker is not valid.");
  return Number(cursor);
}
