/**
 * AssumeRole's session tags: the tags the request passes, plus the transitive tags the
 * calling role session inherited (role chaining), which the request may not override.
 * Which keys pass on again: those the caller inherited as transitive and those the
 * request names in TransitiveTagKeys (each must be one of its tags).
 */
import type { Tag } from "@aws-sdk/client-sts";
import type { Principal } from "../../identity/principal.ts";
import type { IamTag } from "../../identity/records.ts";
import { sameTagKey } from "../../identity/tags.ts";
import { ValidationError } from "../iam/errors.ts";
import { requestTags } from "../iam/tags.ts";

/** The tags of a new role session and the keys of those that are transitive. */
export interface SessionTags {
  tags: IamTag[];
  transitiveTagKeys: string[];
}

/** The session tags of an AssumeRole call by `caller`. */
export function sessionTagsFor(caller: Principal, tags: readonly Tag[] | undefined, transitiveTagKeys: readonly string[] | undefined): SessionTags {
  const requested = requestTags(tags, ValidationError);
  const inherited = caller.kind === "AssumedRole" ? caller.transitiveTags : [];
  for (const tag of requested) {
    if (inherited.some((existing) => sameTagKey(existing.Key, tag.Key))) {
      throw new ValidationError(`The session tag ${tag.Key} conflicts with a transitive tag the calling session inherited.`);
    }
  }
  for (const key of transitiveTagKeys ?? []) {
    if (!requested.some((tag) => sameTagKey(tag.Key, key))) {
      throw new ValidationError(`The transitive tag key ${key} is not one of the session tags of the request.`);
    }
  }
  return {
    tags: [...inherited.map((tag) => ({ Key: tag.Key, Value: tag.Value })), ...requested],
    transitiveTagKeys: [...inherited.map((tag) => tag.Key), ...(transitiveTagKeys ?? [])],
  };
}
