/**
 * IAM's Marker/MaxItems/IsTruncated pagination over the store's cursors. A Marker is
 * the store cursor in base64url, so clients treat it as opaque (as AWS's are).
 */
import type { ListOptions } from "../../store/identityStore.ts";
import type { Page } from "../../store/store.ts";
import { ValidationError } from "./errors.ts";

/** MaxItems when the request does not say (AWS: 100). */
export const DEFAULT_MAX_ITEMS = 100;

/** The store listing options of a request. */
export function listOptions(input: { Marker?: string | undefined; MaxItems?: number | undefined }, pathPrefix?: string): ListOptions {
  return {
    limit: input.MaxItems ?? DEFAULT_MAX_ITEMS,
    ...(input.Marker === undefined ? {} : { cursor: Buffer.from(input.Marker, "base64url").toString("utf8") }),
    ...(pathPrefix === undefined ? {} : { pathPrefix }),
  };
}

/** IsTruncated and, when more follow, the Marker of the next page. */
export function pageFields(page: Page<unknown>): { IsTruncated: boolean; Marker?: string } {
  return page.next === undefined ? { IsTruncated: false } : { IsTruncated: true, Marker: Buffer.from(page.next, "utf8").toString("base64url") };
}

/**
 * A page of a short list held whole in memory (an entity's tags, a policy's versions): the
 * Marker is the position of the page's first item.
 */
export function pageOfList<T>(items: readonly T[], input: { Marker?: string | undefined; MaxItems?: number | undefined }): Page<T> {
  const start = input.Marker === undefined ? 0 : Number(Buffer.from(input.Marker, "base64url").toString("utf8"));
  if (!Number.isSafeInteger(start) || start < 0) throw new ValidationError("Invalid Marker.");
  const end = start + (input.MaxItems ?? DEFAULT_MAX_ITEMS);
  return end < items.length ? { items: items.slice(start, end), next: String(end) } : { items: items.slice(start) };
}
