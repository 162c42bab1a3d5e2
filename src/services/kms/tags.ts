/**
 * Tag rules as AWS applies them: at most 50 tags per key, no duplicate keys in one
 * request, and the `aws:` prefix (any case) reserved. Lengths are checked by the model.
 */
import type { Tag } from "@aws-sdk/client-kms";
import { TagException } from "../../errors.ts";

const MAX_TAGS = 50;

/** Merges `added` into `existing` (an update keeps the tag's place), enforcing AWS's rules. */
export function mergeTags(existing: readonly Tag[], added: readonly Tag[]): Tag[] {
  const seen = new Set<string>();
  for (const tag of added) {
    const tagKey = tag.TagKey ?? "";
    if (seen.has(tagKey)) throw new TagException("Duplicate tag keys");
    seen.add(tagKey);
    if (tagKey.toLowerCase().startsWith("aws:")) throw new TagException("Tags beginning with aws: are reserved");
  }
  const merged = existing.map((tag) => ({ ...tag }));
  for (const tag of added) {
    const current = merged.find((t) => t.TagKey === tag.TagKey);
    if (current) current.TagValue = tag.TagValue ?? "";
    else merged.push({ TagKey: tag.TagKey ?? "", TagValue: tag.TagValue ?? "" });
  }
  if (merged.length > MAX_TAGS) throw new TagException("Too many tags");
  return merged;
}

/** Removes tags by key; the `aws:` prefix cannot be named here either. */
export function removeTags(existing: readonly Tag[], tagKeys: readonly string[]): Tag[] {
  for (const tagKey of tagKeys) {
    if (tagKey.toLowerCase().startsWith("aws:")) throw new TagException("Tags beginning with aws: are reserved");
  }
  const removed = new Set(tagKeys);
  return existing.filter((tag) => !removed.has(tag.TagKey ?? ""));
}
