/**
 * The request and response type of every IAM operation kmsd implements, from
 * @aws-sdk/client-iam. Operations without a result have `void` output.
 */
import type * as IAM from "@aws-sdk/client-iam";

/** Implemented operation → its SDK request and response types. */
export interface IamOperationTypes {
  CreateUser: { input: IAM.CreateUserRequest; output: IAM.CreateUserResponse };
  GetUser: { input: IAM.GetUserRequest; output: IAM.GetUserResponse };
  ListUsers: { input: IAM.ListUsersRequest; output: IAM.ListUsersResponse };
  DeleteUser: { input: IAM.DeleteUserRequest; output: void };
  CreateAccessKey: { input: IAM.CreateAccessKeyRequest; output: IAM.CreateAccessKeyResponse };
  ListAccessKeys: { input: IAM.ListAccessKeysRequest; output: IAM.ListAccessKeysResponse };
  UpdateAccessKey: { input: IAM.UpdateAccessKeyRequest; output: void };
  DeleteAccessKey: { input: IAM.DeleteAccessKeyRequest; output: void };
  CreateRole: { input: IAM.CreateRoleRequest; output: IAM.CreateRoleResponse };
  GetRole: { input: IAM.GetRoleRequest; output: IAM.GetRoleResponse };
  ListRoles: { input: IAM.ListRolesRequest; output: IAM.ListRolesResponse };
  DeleteRole: { input: IAM.DeleteRoleRequest; output: void };
  UpdateAssumeRolePolicy: { input: IAM.UpdateAssumeRolePolicyRequest; output: void };
  CreateGroup: { input: IAM.CreateGroupRequest; output: IAM.CreateGroupResponse };
  GetGroup: { input: IAM.GetGroupRequest; output: IAM.GetGroupResponse };
  ListGroups: { input: IAM.ListGroupsRequest; output: IAM.ListGroupsResponse };
  ListGroupsForUser: { input: IAM.ListGroupsForUserRequest; output: IAM.ListGroupsForUserResponse };
  DeleteGroup: { input: IAM.DeleteGroupRequest; output: void };
  AddUserToGroup: { input: IAM.AddUserToGroupRequest; output: void };
  RemoveUserFromGroup: { input: IAM.RemoveUserFromGroupRequest; output: void };
  PutUserPolicy: { input: IAM.PutUserPolicyRequest; output: void };
  GetUserPolicy: { input: IAM.GetUserPolicyRequest; output: IAM.GetUserPolicyResponse };
  ListUserPolicies: { input: IAM.ListUserPoliciesRequest; output: IAM.ListUserPoliciesResponse };
  DeleteUserPolicy: { input: IAM.DeleteUserPolicyRequest; output: void };
  PutGroupPolicy: { input: IAM.PutGroupPolicyRequest; output: void };
  GetGroupPolicy: { input: IAM.GetGroupPolicyRequest; output: IAM.GetGroupPolicyResponse };
  ListGroupPolicies: { input: IAM.ListGroupPoliciesRequest; output: IAM.ListGroupPoliciesResponse };
  DeleteGroupPolicy: { input: IAM.DeleteGroupPolicyRequest; output: void };
  PutRolePolicy: { input: IAM.PutRolePolicyRequest; output: void };
  GetRolePolicy: { input: IAM.GetRolePolicyRequest; output: IAM.GetRolePolicyResponse };
  ListRolePolicies: { input: IAM.ListRolePoliciesRequest; output: IAM.ListRolePoliciesResponse };
  DeleteRolePolicy: { input: IAM.DeleteRolePolicyRequest; output: void };
  CreatePolicy: { input: IAM.CreatePolicyRequest; output: IAM.CreatePolicyResponse };
  GetPolicy: { input: IAM.GetPolicyRequest; output: IAM.GetPolicyResponse };
  GetPolicyVersion: { input: IAM.GetPolicyVersionRequest; output: IAM.GetPolicyVersionResponse };
  ListPolicies: { input: IAM.ListPoliciesRequest; output: IAM.ListPoliciesResponse };
  DeletePolicy: { input: IAM.DeletePolicyRequest; output: void };
  AttachUserPolicy: { input: IAM.AttachUserPolicyRequest; output: void };
  DetachUserPolicy: { input: IAM.DetachUserPolicyRequest; output: void };
  ListAttachedUserPolicies: { input: IAM.ListAttachedUserPoliciesRequest; output: IAM.ListAttachedUserPoliciesResponse };
  AttachGroupPolicy: { input: IAM.AttachGroupPolicyRequest; output: void };
  DetachGroupPolicy: { input: IAM.DetachGroupPolicyRequest; output: void };
  ListAttachedGroupPolicies: { input: IAM.ListAttachedGroupPoliciesRequest; output: IAM.ListAttachedGroupPoliciesResponse };
  AttachRolePolicy: { input: IAM.AttachRolePolicyRequest; output: void };
  DetachRolePolicy: { input: IAM.DetachRolePolicyRequest; output: void };
  ListAttachedRolePolicies: { input: IAM.ListAttachedRolePoliciesRequest; output: IAM.ListAttachedRolePoliciesResponse };
  CreatePolicyVersion: { input: IAM.CreatePolicyVersionRequest; output: IAM.CreatePolicyVersionResponse };
  ListPolicyVersions: { input: IAM.ListPolicyVersionsRequest; output: IAM.ListPolicyVersionsResponse };
  DeletePolicyVersion: { input: IAM.DeletePolicyVersionRequest; output: void };
  SetDefaultPolicyVersion: { input: IAM.SetDefaultPolicyVersionRequest; output: void };
  TagUser: { input: IAM.TagUserRequest; output: void };
  UntagUser: { input: IAM.UntagUserRequest; output: void };
  ListUserTags: { input: IAM.ListUserTagsRequest; output: IAM.ListUserTagsResponse };
  TagRole: { input: IAM.TagRoleRequest; output: void };
  UntagRole: { input: IAM.UntagRoleRequest; output: void };
  ListRoleTags: { input: IAM.ListRoleTagsRequest; output: IAM.ListRoleTagsResponse };
  TagPolicy: { input: IAM.TagPolicyRequest; output: void };
  UntagPolicy: { input: IAM.UntagPolicyRequest; output: void };
  ListPolicyTags: { input: IAM.ListPolicyTagsRequest; output: IAM.ListPolicyTagsResponse };
  UpdateRole: { input: IAM.UpdateRoleRequest; output: IAM.UpdateRoleResponse };
  UpdateRoleDescription: { input: IAM.UpdateRoleDescriptionRequest; output: IAM.UpdateRoleDescriptionResponse };
}

/** An IAM operation kmsd implements. */
export type IamOperation = keyof IamOperationTypes;
