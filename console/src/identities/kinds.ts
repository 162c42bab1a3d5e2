/**
 * The IAM calls for each kind of identity (user, group, role), so one set of panels serves
 * all three: listing and creating, inline policies, attached managed policies, and (users
 * and roles) tags.
 */
import {
  AttachGroupPolicyCommand, AttachRolePolicyCommand, AttachUserPolicyCommand, CreateGroupCommand, CreateRoleCommand, CreateUserCommand,
  DeleteGroupPolicyCommand, DeleteRolePolicyCommand, DeleteUserPolicyCommand, DetachGroupPolicyCommand, DetachRolePolicyCommand,
  DetachUserPolicyCommand, GetGroupPolicyCommand, GetRolePolicyCommand, GetUserPolicyCommand, ListAttachedGroupPoliciesCommand,
  ListAttachedRolePoliciesCommand, ListAttachedUserPoliciesCommand, ListGroupPoliciesCommand, ListGroupsCommand, ListRolePoliciesCommand,
  ListRolesCommand, ListRoleTagsCommand, ListUserPoliciesCommand, ListUsersCommand, ListUserTagsCommand, PutGroupPolicyCommand,
  PutRolePolicyCommand, PutUserPolicyCommand, TagRoleCommand, TagUserCommand, UntagRoleCommand, UntagUserCommand, type IAMClient, type Tag,
} from "@aws-sdk/client-iam";

/** A kind of IAM identity. */
export type Kind = "user" | "group" | "role";

/** Tagging calls (users and roles; IAM groups take no tags). */
export interface TagApi {
  list(iam: IAMClient, name: string): Promise<Tag[]>;
  tag(iam: IAMClient, name: string, tags: Tag[]): Promise<unknown>;
  untag(iam: IAMClient, name: string, keys: string[]): Promise<unknown>;
}

/** The IAM calls for one kind of identity. */
export interface KindApi {
  list(iam: IAMClient): Promise<string[]>;
  create(iam: IAMClient, name: string): Promise<unknown>;
  inlinePolicies(iam: IAMClient, name: string): Promise<string[]>;
  getPolicy(iam: IAMClient, name: string, policy: string): Promise<string>;
  putPolicy(iam: IAMClient, name: string, policy: string, document: string): Promise<unknown>;
  deletePolicy(iam: IAMClient, name: string, policy: string): Promise<unknown>;
  attached(iam: IAMClient, name: string): Promise<{ arn: string; name: string }[]>;
  attach(iam: IAMClient, name: string, policyArn: string): Promise<unknown>;
  detach(iam: IAMClient, name: string, policyArn: string): Promise<unknown>;
  tags?: TagApi;
}

/** IAM returns policy documents URL-encoded. */
export const decoded = (document: string | undefined) => decodeURIComponent(document ?? "");

const TRUST_EVERYONE_IN_ACCOUNT = (account: string) =>
  JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: "sts:AssumeRole" }] });

const attachedList = (policies: { PolicyArn?: string; PolicyName?: string }[] | undefined) => (policies ?? []).map((p) => ({ arn: p.PolicyArn ?? "", name: p.PolicyName ?? "" }));

/** The calls of each kind, for identities of `account`. */
export function kindApis(account: string): Record<Kind, KindApi> {
  return {
    user: {
      list: async (iam) => ((await iam.send(new ListUsersCommand({}))).Users ?? []).map((u) => u.UserName ?? ""),
      create: (iam, name) => iam.send(new CreateUserCommand({ UserName: name })),
      inlinePolicies: async (iam, name) => (await iam.send(new ListUserPoliciesCommand({ UserName: name }))).PolicyNames ?? [],
      getPolicy: async (iam, name, policy) => decoded((await iam.send(new GetUserPolicyCommand({ UserName: name, PolicyName: policy }))).PolicyDocument),
      putPolicy: (iam, name, policy, document) => iam.send(new PutUserPolicyCommand({ UserName: name, PolicyName: policy, PolicyDocument: document })),
      deletePolicy: (iam, name, policy) => iam.send(new DeleteUserPolicyCommand({ UserName: name, PolicyName: policy })),
      attached: async (iam, name) => attachedList((await iam.send(new ListAttachedUserPoliciesCommand({ UserName: name }))).AttachedPolicies),
      attach: (iam, name, arn) => iam.send(new AttachUserPolicyCommand({ UserName: name, PolicyArn: arn })),
      detach: (iam, name, arn) => iam.send(new DetachUserPolicyCommand({ UserName: name, PolicyArn: arn })),
      tags: {
        list: async (iam, name) => (await iam.send(new ListUserTagsCommand({ UserName: name }))).Tags ?? [],
        tag: (iam, name, tags) => iam.send(new TagUserCommand({ UserName: name, Tags: tags })),
        untag: (iam, name, keys) => iam.send(new UntagUserCommand({ UserName: name, TagKeys: keys })),
      },
    },
    group: {
      list: async (iam) => ((await iam.send(new ListGroupsCommand({}))).Groups ?? []).map((g) => g.GroupName ?? ""),
      create: (iam, name) => iam.send(new CreateGroupCommand({ GroupName: name })),
      inlinePolicies: async (iam, name) => (await iam.send(new ListGroupPoliciesCommand({ GroupName: name }))).PolicyNames ?? [],
      getPolicy: async (iam, name, policy) => decoded((await iam.send(new GetGroupPolicyCommand({ GroupName: name, PolicyName: policy }))).PolicyDocument),
      putPolicy: (iam, name, policy, document) => iam.send(new PutGroupPolicyCommand({ GroupName: name, PolicyName: policy, PolicyDocument: document })),
      deletePolicy: (iam, name, policy) => iam.send(new DeleteGroupPolicyCommand({ GroupName: name, PolicyName: policy })),
      attached: async (iam, name) => attachedList((await iam.send(new ListAttachedGroupPoliciesCommand({ GroupName: name }))).AttachedPolicies),
      attach: (iam, name, arn) => iam.send(new AttachGroupPolicyCommand({ GroupName: name, PolicyArn: arn })),
      detach: (iam, name, arn) => iam.send(new DetachGroupPolicyCommand({ GroupName: name, PolicyArn: arn })),
    },
    role: {
      list: async (iam) => ((await iam.send(new ListRolesCommand({}))).Roles ?? []).map((r) => r.RoleName ?? ""),
      create: (iam, name) => iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: TRUST_EVERYONE_IN_ACCOUNT(account) })),
      inlinePolicies: async (iam, name) => (await iam.send(new ListRolePoliciesCommand({ RoleName: name }))).PolicyNames ?? [],
      getPolicy: async (iam, name, policy) => decoded((await iam.send(new GetRolePolicyCommand({ RoleName: name, PolicyName: policy }))).PolicyDocument),
      putPolicy: (iam, name, policy, document) => iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: policy, PolicyDocument: document })),
      deletePolicy: (iam, name, policy) => iam.send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName: policy })),
      attached: async (iam, name) => attachedList((await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: name }))).AttachedPolicies),
      attach: (iam, name, arn) => iam.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: arn })),
      detach: (iam, name, arn) => iam.send(new DetachRolePolicyCommand({ RoleName: name, PolicyArn: arn })),
      tags: {
        list: async (iam, name) => (await iam.send(new ListRoleTagsCommand({ RoleName: name }))).Tags ?? [],
        tag: (iam, name, tags) => iam.send(new TagRoleCommand({ RoleName: name, Tags: tags })),
        untag: (iam, name, keys) => iam.send(new UntagRoleCommand({ RoleName: name, TagKeys: keys })),
      },
    },
  };
}
