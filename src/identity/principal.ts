/**
 * Who made a request, as established by SigV4 authentication: an account's root, an
 * IAM user (long-term access key) or an assumed-role session (temporary credentials).
 * Each carries the ARN and user id AWS would show for it (GetCallerIdentity,
 * `aws:PrincipalArn`, `aws:userid`) and the access key it signed with.
 */
import { assumedRoleArn, iamArn, rootArn } from "./arns.ts";
import type { IdentityPolicy } from "./identityPolicies.ts";
import type { IamTag, SessionRecord } from "./records.ts";
import { overrideTags, sameTagKey } from "./tags.ts";

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
  /** `aws:PrincipalTag/*`: the user's tags, or a role session's role tags overridden by its session tags. */
  tags: Readonly<Record<string, string>>;
}

/** What credentials from GetSessionToken add to the root or user who asked for them. */
interface TokenSessionMark {
  /**
   * Signed with GetSessionToken's credentials (without MFA): AWS lets them call neither IAM
   * nor STS other than AssumeRole and GetCallerIdentity.
   */
  fromSessionToken?: true;
}

/** An account's root (can do everything in its own account). */
export interface RootPrincipal extends PrincipalBase, TokenSessionMark {
  kind: "Root";
}

/** An IAM user. */
export interface UserPrincipal extends PrincipalBase, TokenSessionMark {
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
  /** The inline session policy passed to AssumeRole; with the managed ones it narrows the role's permissions. */
  sessionPolicy: IdentityPolicy | undefined;
  /** ARNs of the managed session policies passed to AssumeRole (read when authorizing). */
  sessionPolicyArns: readonly string[];
  /** The session tags that pass on to a role this session assumes (role chaining). */
  transitiveTags: readonly IamTag[];
}

/** An authenticated caller. */
export type Principal = RootPrincipal | UserPrincipal | AssumedRolePrincipal;

/** The account root principal for an access key (`fromSessionToken` for GetSessionToken's credentials). */
export function rootPrincipal(accountId: string, accessKeyId: string, fromSessionToken = false): RootPrincipal {
  return { kind: "Root", accountId, arn: rootArn(accountId), userId: accountId, accessKeyId, tags: {}, ...tokenSessionMark(fromSessionToken) };
}

/** An IAM user principal. */
export function userPrincipal(
  user: { accountId: string; userId: string; userName: string; path: string; tags: readonly IamTag[] },
  accessKeyId: string,
  fromSessionToken = false,
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
    ...tokenSessionMark(fromSessionToken),
  };
}

/** A role session principal: its tags are the role's, overridden by the session's of the same key. */
export function assumedRolePrincipal(
  session: Pick<SessionRecord, "accountId" | "roleId" | "roleName" | "rolePath" | "sessionName" | "expiresAtMs"> &
    Partial<Pick<SessionRecord, "policyArns" | "sessionTags" | "transitiveTagKeys">>,
  accessKeyId: string,
  sessionPolicy: IdentityPolicy | undefined,
  roleTags: readonly IamTag[],
): AssumedRolePrincipal {
  const sessionTags = session.sessionTags ?? [];
  const transitiveKeys = session.transitiveTagKeys ?? [];
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
    sessionPolicyArns: session.policyArns ?? [],
    transitiveTags: sessionTags.filter((tag) => transitiveKeys.some((key) => sameTagKey(key, tag.Key))),
    accessKeyId,
    tags: tagMap(overrideTags(roleTags, sessionTags)),
  };
}

function tokenSessionMark(fromSessionToken: boolean): TokenSessionMark {
  return fromSessionToken ? { fromSessionToken: true } : {};
}

function tagMap(tags: readonly IamTag[]): Record<string, string> {
  return Object.fromEntries(tags.map((tag) => [tag.Key, tag.Value]));
}
