/**
 * ARNs of IAM and STS identities, built and parsed in one place. IAM ARNs carry the
 * entity's path (`arn:aws:iam::ACCOUNT:user/division/alice`); an assumed-role ARN
 * carries the role name only (`arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`).
 */

/** The kinds of IAM resources named by `arn:aws:iam::ACCOUNT:KIND/PATH/NAME`. */
export type IamResourceKind = "user" | "group" | "role" | "policy";

/** `arn:aws:iam::ACCOUNT:root` */
export function rootArn(accountId: string): string {
  return `arn:aws:iam::${accountId}:root`;
}

/** The ARN of a user, group, role or managed policy. */
export function iamArn(accountId: string, kind: IamResourceKind, path: string, name: string): string {
  return `arn:aws:iam::${accountId}:${kind}${path}${name}`;
}

/** The resource an IAM list operation is authorized on (AWS: `arn:aws:iam::ACCOUNT:user/`). */
export function iamCollectionArn(accountId: string, kind: IamResourceKind): string {
  return `arn:aws:iam::${accountId}:${kind}/`;
}

/** `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION` */
export function assumedRoleArn(accountId: string, roleName: string, sessionName: string): string {
  return `arn:aws:sts::${accountId}:assumed-role/${roleName}/${sessionName}`;
}

/** An IAM ARN taken apart. */
export interface ParsedIamArn {
  accountId: string;
  kind: IamResourceKind;
  path: string;
  name: string;
}

const IAM_ARN = /^arn:aws:iam::([0-9]{12}|aws):(user|group|role|policy)(\/(?:[\u0021-\u007E]*\/)?)([\w+=,.@-]+)$/;

/** Parses `arn:aws:iam::ACCOUNT:KIND/PATH/NAME`; undefined if it is not one (or names another kind). */
export function parseIamArn(arn: string, kind: IamResourceKind): ParsedIamArn | undefined {
  const match = IAM_ARN.exec(arn);
  if (!match || match[2] !== kind) return undefined;
  const [, accountId = "", , path = "/", name = ""] = match;
  return { accountId, kind, path, name };
}
