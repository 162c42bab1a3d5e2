/**
 * IAM's tag rules, whatever carries the tags (a user, a role, a managed policy, a role
 * session): keys are compared without regard to case, as IAM does, and a tag given
 * again replaces the one of the same key.
 */
import type { IamTag } from "./records.ts";

/** How many tags a user, role or policy may carry (AWS's quota). */
export const MAX_TAGS_PER_ENTITY = 50;

/** Whether two tag keys name the same tag. */
export function sameTagKey(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/**
 * `base` with `overrides` applied: a tag of `overrides` replaces the tag of `base` with
 * the same key (in its place), the others are appended. TagUser/TagRole/TagPolicy merge
 * this way, and a session's tags override its role's tags this way.
 */
export function overrideTags(base: readonly IamTag[], overrides: readonly IamTag[]): IamTag[] {
  const merged = base.map((tag) => ({ ...tag }));
  for (const tag of overrides) {
    const index = merged.findIndex((existing) => sameTagKey(existing.Key, tag.Key));
    if (index === -1) merged.push({ Key: tag.Key, Value: tag.Value });
    else merged[index] = { Key: tag.Key, Value: tag.Value };
  }
  return merged;
}

/** `tags` without the tags whose keys are in `keys` (keys that are not there are ignored, as IAM does). */
export function removeTags(tags: readonly IamTag[], keys: readonly string[]): IamTag[] {
  return tags.filter((tag) => !keys.some((key) => sameTagKey(key, tag.Key)));
}
