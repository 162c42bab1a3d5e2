/**
 * Stored identities as IAM's response shapes. Policy documents go out URL-encoded, as
 * AWS sends them (the AWS CLI decodes them; SDK users call decodeURIComponent).
 */
import type { AccessKeyMetadata, Group, Policy, Role, Tag, User } from "@aws-sdk/client-iam";
import { iamArn } from "../../identity/arns.ts";
import type { GroupRecord, IamTag, IdentityAccessKey, ManagedPolicyRecord, RoleRecord, UserRecord } from "../../identity/records.ts";

/** A policy document as IAM returns it (RFC 3986 percent-encoding). */
export function encodePolicyDocument(document: string): string {
  return encodeURIComponent(document);
}

/** A user; `withTags` for GetUser/CreateUser (ListUsers leaves tags out, as AWS does). */
export function toUser(user: UserRecord, withTags = false): User {
  return {
    Path: user.path,
    UserName: user.userName,
    UserId: user.userId,
    Arn: iamArn(user.accountId, "user", user.path, user.userName),
    CreateDate: new Date(user.createdAtMs),
    ...tagsField(withTags ? user.tags : []),
  };
}

/** A group. */
export function toGroup(group: GroupRecord): Group {
  return {
    Path: group.path,
    GroupName: group.groupName,
    GroupId: group.groupId,
    Arn: iamArn(group.accountId, "group", group.path, group.groupName),
    CreateDate: new Date(group.createdAtMs),
  };
}

/** A role with its (URL-encoded) trust policy; `withTags` for GetRole/CreateRole. */
export function toRole(role: RoleRecord, withTags = false): Role {
  return {
    Path: role.path,
    RoleName: role.roleName,
    RoleId: role.roleId,
    Arn: iamArn(role.accountId, "role", role.path, role.roleName),
    CreateDate: new Date(role.createdAtMs),
    AssumeRolePolicyDocument: encodePolicyDocument(role.assumeRolePolicyDocument),
    ...(role.description === undefined ? {} : { Description: role.description }),
    MaxSessionDuration: role.maxSessionDurationSeconds,
    ...tagsField(withTags ? role.tags : []),
  };
}

/** A customer managed policy. */
export function toPolicy(policy: ManagedPolicyRecord, withTags = false): Policy {
  return {
    PolicyName: policy.policyName,
    PolicyId: policy.policyId,
    Arn: iamArn(policy.accountId, "policy", policy.path, policy.policyName),
    Path: policy.path,
    DefaultVersionId: policy.defaultVersionId,
    AttachmentCount: policy.attachmentCount,
    PermissionsBoundaryUsageCount: 0,
    IsAttachable: true,
    ...(policy.description === undefined ? {} : { Description: policy.description }),
    CreateDate: new Date(policy.createdAtMs),
    UpdateDate: new Date(policy.updatedAtMs),
    ...tagsField(withTags ? policy.tags : []),
  };
}

/** An access key without its secret. */
export function toAccessKeyMetadata(key: IdentityAccessKey, userName: string | undefined): AccessKeyMetadata {
  return {
    ...(userName === undefined ? {} : { UserName: userName }),
    AccessKeyId: key.accessKeyId,
    Status: key.status,
    CreateDate: new Date(key.createdAtMs),
  };
}

function tagsField(tags: readonly IamTag[]): { Tags?: Tag[] } {
  return tags.length === 0 ? {} : { Tags: tags.map((tag) => ({ Key: tag.Key, Value: tag.Value })) };
}
