/**
 * Who made a request, as established by SigV4 authentication: an account's root, an
 * IAM user (long-term access key) or an assumed-role session (temporary credentials).
 * Each carries the ARN and user id AWS would show for it (GetCallerIdentity,
 * `aws:PrincipalArn`, `aws:userid`) and the access key it signed with.
 */
import { assumedRoleArn, iamArn, rootArn } from "./arns.ts";
import type { IdentityPolicy } from "./identityPolicies.ts";
import type { IamTag } from "./records.ts";

/** What every caller has. */
interface PrincipalBase {
  /** The caller's account. */
  accountId: string;
  /** `arn:aws:iam::ACCOUNT:root`, `arn:aws:iam::ACCOUNT:user/PATH/NAME` or `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`. */
  arn: string;
  /** `aws:userid` as AWS forms it: the account id (root), `AIDA…` (user), `AROA…:SESSION` (role session). */
  userId: string;
  /** The access key id the request was signed with. */
  accessKeyId: string;
  /** `aws:PrincipalTag/*`: the user's or the session's role's tags. */
  tags: Readonly<Record<string, string>>;
}

/** An account's root (can do everything in its own account). */
export interface RootPrincipal extends PrincipalBase {
  kind: "Root";
}

/** An IAM user. */
export interface UserPrincipal extends PrincipalBase {
  kind: "IAMUser";
  userName: string;
  path: string;
}

/** A session of an assumed role. */
export interface AssumedRolePrincipal extends PrincipalBase {
  kind: "AssumedRole";
  /** `arn:aws:iam::ACCOUNT:role/PATH/NAME` (`aws:PrincipalArn` of a session is its role's ARN). */
  roleArn: string;
  /** `AROA…` */
  roleId: string;
  roleName: string;
  sessionName: string;
  expiresAtMs: number;
  /** The inline session policy passed to AssumeRole; it narrows the role's permissions. */
  sessionPolicy: IdentityPolicy | undefined;
}

/** An authenticated caller. */
export type Principal = RootPrincipal | UserPrincipal | AssumedRolePrincipal;

/** The account root principal for an access key. */
export function rootPrincipal(accountId: string, accessKeyId: string): RootPrincipal {
  return { kind: "Root", accountId, arn: rootArn(accountId), userId: accountId, accessKeyId, tags: {} };
}

/** An IAM user principal. */
export function userPrincipal(
  user: { accountId: string; userId: string; userName: string; path: string; tags: readonly IamTag[] },
  accessKeyId: string,
): UserPrincipal {
  return {
    kind: "IAMUser",
    accountId: user.accountId,
    arn: iamArn(user.accountId, "user", user.path, user.userName),
    userId: user.userId,
    userName: user.userName,
    path: user.path,
    accessKeyId,
    tags: tagMap(user.tags),
  };
}

/** A role session principal. */
export function assumedRolePrincipal(
  session: { accountId: string; roleId: string; roleName: string; rolePath: string; sessionName: string; expiresAtMs: number },
  accessKeyId: string,
  sessionPolicy: IdentityPolicy | undefined,
  roleTags: readonly IamTag[],
): AssumedRolePrincipal {
  return {
    kind: "AssumedRole",
    accountId: session.accountId,
    arn: assumedRoleArn(session.accountId, session.roleName, session.sessionName),
    userId: `${session.roleId}:${session.sessionName}`,
    roleArn: iamArn(session.accountId, "role", session.rolePath, session.roleName),
    roleId: session.roleId,
    roleName: session.roleName,
    sessionName: session.sessionName,
    expiresAtMs: session.expiresAtMs,
    sessionPolicy,
    accessKeyId,
    tags: tagMap(roleTags),
  };
}

function tagMap(tags: readonly IamTag[]): Record<string, string> {
  return Object.fromEntries(tags.map((tag) => [tag.Key, tag.Value]));
}
