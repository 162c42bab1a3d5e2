/**
 * The step every IAM operation on a named entity shares, in AWS's order: find it, authorize
 * the call on its ARN (the ARN it would have if it does not exist, so a caller without
 * permission learns nothing of existence), then NoSuchEntity if it is missing.
 */
import { iamArn, parseIamArn } from "../../identity/arns.ts";
import type { GroupRecord, ManagedPolicyRecord, PolicyOwnerKind, RoleRecord, UserRecord } from "../../identity/records.ts";
import type { RequestContext } from "../../server/context.ts";
import { authorizeIdentityCall, type OperationContext } from "./authorize.ts";
import { InvalidInput, NoSuchEntity } from "./errors.ts";

/** The user named `userName` in the caller's account, after authorizing `action` on it. */
export async function userForCall(ctx: RequestContext, action: string, userName: string, operationContext?: OperationContext): Promise<UserRecord> {
  const user = await ctx.services.store.identities.getUser(ctx.accountId, userName);
  await authorizeIdentityCall(
    ctx,
    action,
    user ? iamArn(user.accountId, "user", user.path, user.userName) : iamArn(ctx.accountId, "user", "/", userName),
    operationContext,
  );
  if (!user) throw new NoSuchEntity(`The user with name ${userName} cannot be found.`);
  return user;
}

/** The group named `groupName`, after authorizing `action` on it. */
export async function groupForCall(ctx: RequestContext, action: string, groupName: string): Promise<GroupRecord> {
  const group = await ctx.services.store.identities.getGroup(ctx.accountId, groupName);
  await authorizeIdentityCall(
    ctx,
    action,
    group ? iamArn(group.accountId, "group", group.path, group.groupName) : iamArn(ctx.accountId, "group", "/", groupName),
  );
  if (!group) throw new NoSuchEntity(`The group with name ${groupName} cannot be found.`);
  return group;
}

/** The role named `roleName`, after authorizing `action` on it. */
export async function roleForCall(ctx: RequestContext, action: string, roleName: string, operationContext?: OperationContext): Promise<RoleRecord> {
  const role = await ctx.services.store.identities.getRole(ctx.accountId, roleName);
  await authorizeIdentityCall(
    ctx,
    action,
    role ? iamArn(role.accountId, "role", role.path, role.roleName) : iamArn(ctx.accountId, "role", "/", roleName),
    operationContext,
  );
  if (!role) throw new NoSuchEntity(`The role with name ${roleName} cannot be found.`);
  return role;
}

/** The customer managed policy `policyArn` names, after authorizing `action` on it. */
export async function managedPolicyForCall(
  ctx: RequestContext,
  action: string,
  policyArn: string,
  operationContext?: OperationContext,
): Promise<ManagedPolicyRecord> {
  const parsed = parseIamArn(policyArn, "policy");
  if (!parsed) throw new InvalidInput(`ARN ${policyArn} is not valid.`);
  await authorizeIdentityCall(ctx, action, policyArn, operationContext);
  return findManagedPolicy(ctx, policyArn, `Policy ${policyArn} was not found.`);
}

/** AWS's NoSuchEntity for a version a managed policy does not have. */
export function missingPolicyVersion(policyArn: string, versionId: string): InstanceType<typeof NoSuchEntity> {
  return new NoSuchEntity(`Policy ${policyArn} version ${versionId} does not exist or is not attachable.`);
}

/**
 * The customer managed policy `policyArn` names, in the caller's account, without an
 * authorization step (attach operations authorize on the user, group or role); `missing`
 * is the NoSuchEntity message.
 */
export async function findManagedPolicy(ctx: RequestContext, policyArn: string, missing: string): Promise<ManagedPolicyRecord> {
  const parsed = parseIamArn(policyArn, "policy");
  if (!parsed) throw new InvalidInput(`ARN ${policyArn} is not valid.`);
  const policy =
    parsed.accountId === ctx.accountId ? await ctx.services.store.identities.getManagedPolicy(parsed.accountId, parsed.name) : undefined;
  if (!policy || policy.path !== parsed.path) throw new NoSuchEntity(missing);
  return policy;
}

/** A user, group or role that carries inline and attached policies. */
export interface PolicyOwner {
  kind: PolicyOwnerKind;
  /** Its unique id (`AIDA…`, `AGPA…`, `AROA…`). */
  id: string;
  name: string;
  arn: string;
}

/** The user, group or role named `name`, after authorizing `action` on it. */
export async function policyOwnerForCall(ctx: RequestContext, kind: PolicyOwnerKind, action: string, name: string): Promise<PolicyOwner> {
  switch (kind) {
    case "user": {
      const user = await userForCall(ctx, action, name);
      return { kind, id: user.userId, name: user.userName, arn: iamArn(user.accountId, "user", user.path, user.userName) };
    }
    case "group": {
      const group = await groupForCall(ctx, action, name);
      return { kind, id: group.groupId, name: group.groupName, arn: iamArn(group.accountId, "group", group.path, group.groupName) };
    }
    case "role": {
      const role = await roleForCall(ctx, action, name);
      return { kind, id: role.roleId, name: role.roleName, arn: iamArn(role.accountId, "role", role.path, role.roleName) };
    }
  }
}
