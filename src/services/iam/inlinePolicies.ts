/**
 * Put/Get/List/Delete of inline policies, shared by users, groups and roles (each
 * operation file names its owner kind and IAM action).
 */
import type { PolicyOwnerKind } from "../../identity/records.ts";
import type { RequestContext } from "../../server/context.ts";
import { checkInlinePolicy } from "./documents.ts";
import { policyOwnerForCall } from "./entities.ts";
import { NoSuchEntity } from "./errors.ts";
import { listOptions, pageFields } from "./paging.ts";
import { encodePolicyDocument } from "./shapes.ts";

/** Creates or replaces an inline policy. */
export async function putInlinePolicy(
  ctx: RequestContext,
  kind: PolicyOwnerKind,
  action: string,
  ownerName: string,
  policyName: string,
  document: string,
): Promise<void> {
  const owner = await policyOwnerForCall(ctx, kind, action, ownerName);
  checkInlinePolicy(document, kind, owner.name, await otherInlinePolicies(ctx, owner.id, policyName));
  await ctx.services.store.identities.putInlinePolicy(kind, owner.id, policyName, document, ctx.nowMs);
  await ctx.services.accessKeys.identitiesChanged();
}

/** The documents of an owner's inline policies other than `policyName` (which a put replaces), for the owner's size quota. */
async function otherInlinePolicies(ctx: RequestContext, ownerId: string, policyName: string): Promise<string[]> {
  const identities = ctx.services.store.identities;
  // The name as stored (names are case-insensitive), so the policy being replaced is recognized.
  const replaced = (await identities.getInlinePolicy(ownerId, policyName))?.policyName;
  const documents: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await identities.listInlinePolicies(ownerId, { limit: 1000, ...(cursor === undefined ? {} : { cursor }) });
    for (const name of page.items) {
      if (name === replaced) continue;
      const policy = await identities.getInlinePolicy(ownerId, name);
      if (policy) documents.push(policy.document);
    }
    cursor = page.next;
  } while (cursor !== undefined);
  return documents;
}

/** An inline policy: owner name, policy name and URL-encoded document. */
export async function getInlinePolicy(
  ctx: RequestContext,
  kind: PolicyOwnerKind,
  action: string,
  ownerName: string,
  policyName: string,
): Promise<{ ownerName: string; PolicyName: string; PolicyDocument: string }> {
  const owner = await policyOwnerForCall(ctx, kind, action, ownerName);
  const policy = await ctx.services.store.identities.getInlinePolicy(owner.id, policyName);
  if (!policy) throw new NoSuchEntity(`The ${kind} policy with name ${policyName} cannot be found.`);
  return { ownerName: owner.name, PolicyName: policy.policyName, PolicyDocument: encodePolicyDocument(policy.document) };
}

/** A page of an owner's inline policy names. */
export async function listInlinePolicies(
  ctx: RequestContext,
  kind: PolicyOwnerKind,
  action: string,
  ownerName: string,
  input: { Marker?: string | undefined; MaxItems?: number | undefined },
): Promise<{ PolicyNames: string[]; IsTruncated: boolean; Marker?: string }> {
  const owner = await policyOwnerForCall(ctx, kind, action, ownerName);
  const page = await ctx.services.store.identities.listInlinePolicies(owner.id, listOptions(input));
  return { PolicyNames: page.items, ...pageFields(page) };
}

/** Deletes an inline policy. */
export async function deleteInlinePolicy(
  ctx: RequestContext,
  kind: PolicyOwnerKind,
  action: string,
  ownerName: string,
  policyName: string,
): Promise<void> {
  const owner = await policyOwnerForCall(ctx, kind, action, ownerName);
  if (!(await ctx.services.store.identities.deleteInlinePolicy(owner.id, policyName))) {
    throw new NoSuchEntity(`The ${kind} policy with name ${policyName} cannot be found.`);
  }
  await ctx.services.accessKeys.identitiesChanged();
}
