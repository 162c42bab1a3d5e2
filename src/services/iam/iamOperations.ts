/**
 * The IAM service: every operation kmsd implements mapped to its handler. The
 * IamRegistry type makes a missing handler a compile error.
 */
import { AddUserToGroup } from "./operations/AddUserToGroup.ts";
import { AttachGroupPolicy } from "./operations/AttachGroupPolicy.ts";
import { AttachRolePolicy } from "./operations/AttachRolePolicy.ts";
import { AttachUserPolicy } from "./operations/AttachUserPolicy.ts";
import { CreateAccessKey } from "./operations/CreateAccessKey.ts";
import { CreateGroup } from "./operations/CreateGroup.ts";
import { CreatePolicy } from "./operations/CreatePolicy.ts";
import { CreateRole } from "./operations/CreateRole.ts";
import { CreateUser } from "./operations/CreateUser.ts";
import { DeleteAccessKey } from "./operations/DeleteAccessKey.ts";
import { DeleteGroup } from "./operations/DeleteGroup.ts";
import { DeleteGroupPolicy } from "./operations/DeleteGroupPolicy.ts";
import { DeletePolicy } from "./operations/DeletePolicy.ts";
import { DeleteRole } from "./operations/DeleteRole.ts";
import { DeleteRolePolicy } from "./operations/DeleteRolePolicy.ts";
import { DeleteUser } from "./operations/DeleteUser.ts";
import { DeleteUserPolicy } from "./operations/DeleteUserPolicy.ts";
import { DetachGroupPolicy } from "./operations/DetachGroupPolicy.ts";
import { DetachRolePolicy } from "./operations/DetachRolePolicy.ts";
import { DetachUserPolicy } from "./operations/DetachUserPolicy.ts";
import { GetGroup } from "./operations/GetGroup.ts";
import { GetGroupPolicy } from "./operations/GetGroupPolicy.ts";
import { GetPolicy } from "./operations/GetPolicy.ts";
import { GetPolicyVersion } from "./operations/GetPolicyVersion.ts";
import { GetRole } from "./operations/GetRole.ts";
import { GetRolePolicy } from "./operations/GetRolePolicy.ts";
import { GetUser } from "./operations/GetUser.ts";
import { GetUserPolicy } from "./operations/GetUserPolicy.ts";
import { ListAccessKeys } from "./operations/ListAccessKeys.ts";
import { ListAttachedGroupPolicies } from "./operations/ListAttachedGroupPolicies.ts";
import { ListAttachedRolePolicies } from "./operations/ListAttachedRolePolicies.ts";
import { ListAttachedUserPolicies } from "./operations/ListAttachedUserPolicies.ts";
import { ListGroupPolicies } from "./operations/ListGroupPolicies.ts";
import { ListGroups } from "./operations/ListGroups.ts";
import { ListGroupsForUser } from "./operations/ListGroupsForUser.ts";
import { ListPolicies } from "./operations/ListPolicies.ts";
import { ListRolePolicies } from "./operations/ListRolePolicies.ts";
import { ListRoles } from "./operations/ListRoles.ts";
import { ListUserPolicies } from "./operations/ListUserPolicies.ts";
import { ListUsers } from "./operations/ListUsers.ts";
import { PutGroupPolicy } from "./operations/PutGroupPolicy.ts";
import { PutRolePolicy } from "./operations/PutRolePolicy.ts";
import { PutUserPolicy } from "./operations/PutUserPolicy.ts";
import { RemoveUserFromGroup } from "./operations/RemoveUserFromGroup.ts";
import { UpdateAccessKey } from "./operations/UpdateAccessKey.ts";
import { UpdateAssumeRolePolicy } from "./operations/UpdateAssumeRolePolicy.ts";
import { CreatePolicyVersion } from "./operations/CreatePolicyVersion.ts";
import { ListPolicyVersions } from "./operations/ListPolicyVersions.ts";
import { DeletePolicyVersion } from "./operations/DeletePolicyVersion.ts";
import { SetDefaultPolicyVersion } from "./operations/SetDefaultPolicyVersion.ts";
import { TagUser } from "./operations/TagUser.ts";
import { UntagUser } from "./operations/UntagUser.ts";
import { ListUserTags } from "./operations/ListUserTags.ts";
import { TagRole } from "./operations/TagRole.ts";
import { UntagRole } from "./operations/UntagRole.ts";
import { ListRoleTags } from "./operations/ListRoleTags.ts";
import { TagPolicy } from "./operations/TagPolicy.ts";
import { UntagPolicy } from "./operations/UntagPolicy.ts";
import { ListPolicyTags } from "./operations/ListPolicyTags.ts";
import { UpdateRole } from "./operations/UpdateRole.ts";
import { UpdateRoleDescription } from "./operations/UpdateRoleDescription.ts";
import type { IamRegistry } from "./registry.ts";

/** Handlers of the IAM API, by operation name. */
export const iamOperations: IamRegistry = {
  CreateUser,
  GetUser,
  ListUsers,
  DeleteUser,
  CreateAccessKey,
  ListAccessKeys,
  UpdateAccessKey,
  DeleteAccessKey,
  CreateRole,
  GetRole,
  ListRoles,
  DeleteRole,
  UpdateAssumeRolePolicy,
  CreateGroup,
  GetGroup,
  ListGroups,
  ListGroupsForUser,
  DeleteGroup,
  AddUserToGroup,
  RemoveUserFromGroup,
  PutUserPolicy,
  GetUserPolicy,
  ListUserPolicies,
  DeleteUserPolicy,
  PutGroupPolicy,
  GetGroupPolicy,
  ListGroupPolicies,
  DeleteGroupPolicy,
  PutRolePolicy,
  GetRolePolicy,
  ListRolePolicies,
  DeleteRolePolicy,
  CreatePolicy,
  GetPolicy,
  GetPolicyVersion,
  ListPolicies,
  DeletePolicy,
  AttachUserPolicy,
  DetachUserPolicy,
  ListAttachedUserPolicies,
  AttachGroupPolicy,
  DetachGroupPolicy,
  ListAttachedGroupPolicies,
  AttachRolePolicy,
  DetachRolePolicy,
  ListAttachedRolePolicies,
  CreatePolicyVersion,
  ListPolicyVersions,
  DeletePolicyVersion,
  SetDefaultPolicyVersion,
  TagUser,
  UntagUser,
  ListUserTags,
  TagRole,
  UntagRole,
  ListRoleTags,
  TagPolicy,
  UntagPolicy,
  ListPolicyTags,
  UpdateRole,
  UpdateRoleDescription,
};
