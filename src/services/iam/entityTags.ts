/**
 * Tag/Untag/List tags of users, roles and customer managed policies (each operation file
 * names its kind and IAM action). A tag operation is authorized with `aws:RequestTag/*`
 * and `aws:TagKeys`, and changes the stored tags in one transaction, so concurrent tag
 * changes from any worker all count. User and role tags are `aws:PrincipalTag/*` of
 * their callers, so a change reaches every worker's cached principals before it is
 * acknowledged.
 */
import type { Tag } from "@aws-sdk/client-iam";
import { requestTagContext } from "../../authz/index.ts";
import type { IamTag, TaggableKind } from "../../identity/records.ts";
import { MAX_TAGS_PER_ENTITY } from "../../identity/tags.ts";
import type { RequestContext } from "../../server/context.ts";
import type { OperationContext } from "./authorize.ts";
import { managedPolicyForCall, roleForCall, userForCall } from "./entities.ts";
import { NoSuchEntity } from "./errors.ts";
import { pageFields, pageOfList } from "./paging.ts";
import { requestTags, tagQuotaExceeded, tagRecord } from "./tags.ts";

/** A user's or role's name, or a policy's ARN. */
type EntityName = string;

/** Adds or replaces tags of a user, role or policy. */
export async function tagEntity(ctx: RequestContext, kind: TaggableKind, action: string, name: EntityName, tags: readonly Tag[] | undefined): Promise<void> {
  const requested = requestTags(tags);
  const entity = await taggedEntityForCall(ctx, kind, action, name, requestTagContext(tagRecord(requested)));
  const outcome = await ctx.services.store.identities.tagEntity(kind, entity.id, requested, MAX_TAGS_PER_ENTITY);
  if (outcome === "missing") throw missingEntity(kind, name);
  if (outcome === "limit") throw tagQuotaExceeded(kind);
  if (kind !== "policy") await ctx.services.accessKeys.identitiesChanged();
}

/** Removes tags of a user, role or policy by key (keys it does not have are ignored). */
export async function untagEntity(ctx: RequestContext, kind: TaggableKind, action: string, name: EntityName, keys: readonly string[] | undefined): Promise<void> {
  const tagKeys = keys ?? [];
  const entity = await taggedEntityForCall(ctx, kind, action, name, tagKeys.length === 0 ? {} : { "aws:TagKeys": [...tagKeys] });
  if (!(await ctx.services.store.identities.untagEntity(kind, entity.id, tagKeys))) throw missingEntity(kind, name);
  if (kind !== "policy") await ctx.services.accessKeys.identitiesChanged();
}

/** A page of the tags of a user, role or policy. */
export async function listEntityTags(
  ctx: RequestContext,
  kind: TaggableKind,
  action: string,
  name: EntityName,
  input: { Marker?: string | undefined; MaxItems?: number | undefined },
): Promise<{ Tags: Tag[]; IsTruncated: boolean; Marker?: string }> {
  const entity = await taggedEntityForCall(ctx, kind, action, name, {});
  const page = pageOfList(entity.tags, input);
  return { Tags: page.items.map((tag) => ({ Key: tag.Key, Value: tag.Value })), ...pageFields(page) };
}

/** The entity's unique id and its tags as stored, after authorizing `action` on it. */
async function taggedEntityForCall(
  ctx: RequestContext,
  kind: TaggableKind,
  action: string,
  name: EntityName,
  operationContext: OperationContext,
): Promise<{ id: string; tags: readonly IamTag[] }> {
  switch (kind) {
    case "user": {
      const user = await userForCall(ctx, action, name, operationContext);
      return { id: user.userId, tags: user.tags };
    }
    case "role": {
      const role = await roleForCall(ctx, action, name, operationContext);
      return { id: role.roleId, tags: role.tags };
    }
    case "policy": {
      const policy = await managedPolicyForCall(ctx, action, name, operationContext);
      return { id: policy.policyId, tags: policy.tags };
    }
  }
}

/** NoSuchEntity for an entity deleted between its read and the tag change. */
function missingEntity(kind: TaggableKind, name: EntityName): InstanceType<typeof NoSuchEntity> {
  return new NoSuchEntity(kind === "policy" ? `Policy ${name} was not found.` : `The ${kind} with name ${name} cannot be found.`);
}
