/** CreateRole: a new role with its trust policy (who may assume it). */
import { requestTagContext } from "../../../authz/index.ts";
import { iamArn } from "../../../identity/arns.ts";
import { newUniqueId } from "../../../identity/ids.ts";
import type { RoleRecord } from "../../../identity/records.ts";
import { authorizeIdentityCall } from "../authorize.ts";
import { checkTrustPolicy } from "../documents.ts";
import { EntityAlreadyExists, ValidationError } from "../errors.ts";
import type { IamHandler } from "../registry.ts";
import { toRole } from "../shapes.ts";
import { requestTags, tagRecord } from "../tags.ts";

/** A role's MaxSessionDuration when CreateRole does not set it (AWS: one hour). */
export const DEFAULT_MAX_SESSION_DURATION = 3600;

export const CreateRole: IamHandler<"CreateRole"> = async (ctx, input) => {
  const roleName = input.RoleName ?? "";
  const path = input.Path ?? "/";
  const tags = requestTags(input.Tags);
  await authorizeIdentityCall(ctx, "iam:CreateRole", iamArn(ctx.accountId, "role", path, roleName), requestTagContext(tagRecord(tags)));
  if (input.PermissionsBoundary !== undefined) throw new ValidationError("kmsd does not support permissions boundaries yet.");
  const trustPolicy = input.AssumeRolePolicyDocument ?? "";
  await checkTrustPolicy(ctx.services.store, trustPolicy);
  const role: RoleRecord = {
    accountId: ctx.accountId,
    roleId: newUniqueId("role"),
    roleName,
    path,
    assumeRolePolicyDocument: trustPolicy,
    description: input.Description,
    maxSessionDurationSeconds: input.MaxSessionDuration ?? DEFAULT_MAX_SESSION_DURATION,
    createdAtMs: ctx.nowMs,
    tags,
  };
  if (!(await ctx.services.store.identities.insertRole(role))) throw new EntityAlreadyExists(`Role with name ${roleName} already exists.`);
  return { Role: toRole(role, true) };
};
