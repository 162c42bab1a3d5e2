/**
 * IAM's Marker/MaxItems/IsTruncated pagination over the store's cursors. A Marker is
 * the store cursor in base64url, so clients treat it as opaque (as AWS's are).
 */
import type { ListOptions } from "../../store/identityStore.ts";
import type { Page } from "../../store/store.ts";

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
