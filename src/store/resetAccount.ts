/**
 * `--dev` reset: an account back to its first-start state. It keeps the account and its
 * root's access keys and drops everything made since: KMS keys with their material,
 * aliases and grants; IAM users, groups, roles, policies and their attachments; users'
 * access keys and the record of deleted ones; STS sessions. Settings and the audit trail
 * stay (the trail is history, not state). Written once for every engine, in one
 * transaction of the engine's SqlRunner.
 */
import type { SqlRunner } from "./sqlRunner.ts";

/** The IAM entities of an account that own inline policies and attachments. */
const OWNERS =
  "SELECT user_id FROM iam_users WHERE account_id = ? UNION SELECT group_id FROM iam_groups WHERE account_id = ? UNION SELECT role_id FROM iam_roles WHERE account_id = ?";

/** Each statement and how many times it takes the account id. Children before parents (foreign keys). */
const STATEMENTS: ReadonlyArray<readonly [sql: string, accountIdParameters: number]> = [
  ["DELETE FROM key_materials WHERE key_id IN (SELECT key_id FROM keys WHERE account_id = ?)", 1],
  ["DELETE FROM grants WHERE account_id = ?", 1],
  ["DELETE FROM aliases WHERE account_id = ?", 1],
  ["DELETE FROM keys WHERE account_id = ?", 1],
  ["DELETE FROM custom_key_stores WHERE account_id = ?", 1],
  [`DELETE FROM iam_inline_policies WHERE owner_id IN (${OWNERS})`, 3],
  [`DELETE FROM iam_policy_attachments WHERE owner_id IN (${OWNERS}) OR policy_id IN (SELECT policy_id FROM iam_managed_policies WHERE account_id = ?)`, 4],
  ["DELETE FROM iam_policy_versions WHERE policy_id IN (SELECT policy_id FROM iam_managed_policies WHERE account_id = ?)", 1],
  ["DELETE FROM iam_managed_policies WHERE account_id = ?", 1],
  ["DELETE FROM iam_group_members WHERE group_id IN (SELECT group_id FROM iam_groups WHERE account_id = ?)", 1],
  ["DELETE FROM access_keys WHERE account_id = ? AND user_id IS NOT NULL", 1],
  ["DELETE FROM deleted_access_keys WHERE account_id = ?", 1],
  ["DELETE FROM sts_sessions WHERE account_id = ?", 1],
  ["DELETE FROM sts_token_sessions WHERE account_id = ?", 1],
  ["DELETE FROM iam_users WHERE account_id = ?", 1],
  ["DELETE FROM iam_groups WHERE account_id = ?", 1],
  ["DELETE FROM iam_roles WHERE account_id = ?", 1],
];

/** Resets one account; false if there is no such account. */
export function resetAccount(sql: SqlRunner, accountId: string): Promise<boolean> {
  return sql.transaction(async (tx) => {
    if (!(await tx.get("SELECT account_id FROM accounts WHERE account_id = ?", accountId))) return false;
    for (const [statement, times] of STATEMENTS) await tx.run(statement, ...Array<string>(times).fill(accountId));
    return true;
  });
}

/** Every account's id, in order. */
export async function accountIds(sql: SqlRunner): Promise<string[]> {
  return (await sql.all("SELECT account_id FROM accounts ORDER BY account_id")).map((row) => String(row.account_id));
}
