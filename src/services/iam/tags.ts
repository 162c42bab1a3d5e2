/**
 * The tags a request gives (CreateUser/CreateRole/CreatePolicy, TagUser/TagRole/TagPolicy,
 * and STS session tags): the model has checked each key's and value's length and
 * characters and the count per request; IAM's own rules are checked here.
 */
import type { Tag } from "@aws-sdk/client-iam";
import type { IamTag, TaggableKind } from "../../identity/records.ts";
import { MAX_TAGS_PER_ENTITY, sameTagKey } from "../../identity/tags.ts";
import { InvalidInput, LimitExceeded } from "./errors.ts";

/** IAM's name of each tag quota, as its LimitExceeded message shows it. */
const TAG_QUOTA_NAMES: Readonly<Record<TaggableKind, string>> = { user: "TagsPerUser", role: "TagsPerRole", policy: "TagsPerPolicy" };

/**
 * The tags to store. Throws InvalidInput on keys repeated without regard to case (AWS's
 * message) and on keys in the `aws:` namespace, which AWS reserves for itself.
 */
export function requestTags(tags: readonly Tag[] | undefined, ErrorType: new (message: string) => Error = InvalidInput): IamTag[] {
  const out: IamTag[] = [];
  for (const tag of tags ?? []) {
    const key = tag.Key ?? "";
    if (out.some((seen) => sameTagKey(seen.Key, key))) throw new ErrorType("Duplicate tag keys found. Please note that Tag keys are case insensitive.");
    if (key.toLowerCase().startsWith("aws:")) throw new ErrorType("User-defined tag keys can't start with \"aws:\".");
    out.push({ Key: key, Value: tag.Value ?? "" });
  }
  return out;
}

/** The LimitExceeded error when tags would take a user, role or policy past its quota. */
export function tagQuotaExceeded(kind: TaggableKind): InstanceType<typeof LimitExceeded> {
  return new LimitExceeded(`Cannot exceed quota for ${TAG_QUOTA_NAMES[kind]}: ${MAX_TAGS_PER_ENTITY}`);
}

/** Tags as a key → value record, as `aws:RequestTag/*` conditions read them. */
export function tagRecord(tags: readonly IamTag[]): Record<string, string> {
  return Object.fromEntries(tags.map((tag) => [tag.Key, tag.Value]));
}
