/**
 * Who made a request, as established by SigV4 authentication. The authorization issue
 * adds IAM users, roles and role sessions; the core knows account roots only.
 */

/** An authenticated caller. */
export interface Principal {
  kind: "root";
  accountId: string;
  /** `arn:aws:iam::ACCOUNT:root` */
  arn: string;
  accessKeyId: string;
}

/** The account root principal for an access key. */
export function rootPrincipal(accountId: string, accessKeyId: string): Principal {
  return { kind: "root", accountId, arn: `arn:aws:iam::${accountId}:root`, accessKeyId };
}
