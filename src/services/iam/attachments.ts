/**
 * Attach/Detach/ListAttached of managed policies, shared by users, groups and roles. AWS
 * authorizes these on the user, group or role (the policy ARN is a condition key).
 */
import type { AttachedPolicy } from "@aws-sdk/client-iam";
import { iamArn } from "../../identity/arns.ts";
import type { PolicyOwnerKind } from "../../identity/records.ts";
import type { RequestContext } from "../../server/context.ts";
import { findManagedPolicy, policyOwnerForCall } from "./entities.ts";
import { NoSuchEntity } from "./errors.ts";
import { listOptions, pageFields } from "./paging.ts";

/** Attaches a customer managed policy (attaching it again changes nothing). */
export async function attachPolicy(ctx: RequestContext, kind: PolicyOwnerKind, action: string, ownerName: string, policyArn: string): Promise<void> {
  const owner = await policyOwnerForCall(ctx, kind, action, ownerName);
  const policy = await findManagedPolicy(ctx, policyArn, `Policy ${policyArn} does not exist or is not attachable.`);
  await ctx.services.store.identities.attachPolicy(kind, owner.id, policy.policyId);
  await ctx.services.accessKeys.identitiesChanged();
}

/** Detaches a managed policy; NoSuchEntity if it is not attached. */
export async function detachPolicy(ctx: RequestContext, kind: PolicyOwnerKind, action: string, ownerName: string, policyArn: string): Promise<void> {
  const owner = await policyOwnerForCall(ctx, kind, action, ownerName);
  const policy = await findManagedPolicy(ctx, policyArn, `Policy ${policyArn} was not found.`);
  if (!(await ctx.services.store.identities.detachPolicy(owner.id, policy.policyId))) {
    throw new NoSuchEntity(`Policy ${policyArn} was not found.`);
  }
  await ctx.services.accessKeys.identitiesChanged();
}

/** A page of the managed policies attached to an owner. */
export async function listAttachedPolicies(
  ctx: RequestContext,
  kind: PolicyOwnerKind,
  action: string,
  ownerName: string,
  input: { PathPrefix?: string | undefined; Marker?: string | undefined; MaxItems?: number | undefined },
): Promise<{ AttachedPolicies: AttachedPolicy[]; IsTruncated: boolean; Marker?: string }> {
  const owner = await policyOwnerForCall(ctx, kind, action, ownerName);
  const page = await ctx.services.store.identities.listAttachedPolicies(owner.id, listOptions(input, input.PathPrefix));
  return {
    AttachedPolicies: page.items.map((p) => ({ PolicyName: p.policyName, PolicyArn: iamArn(p.accountId, "policy", p.path, p.policyName) })),
    ...pageFields(page),
  };
}
