/**
 * Whether an IAM principal that a policy names exists, checked before the policy is
 * stored: key policies (CreateKey, PutKeyPolicy) and role trust policies (CreateRole,
 * UpdateAssumeRolePolicy). AWS refuses a policy naming a user or role it cannot find.
 */
import type { Store } from "../store/store.ts";
import { parseIamArn } from "./arns.ts";

/**
 * Whether the principal `arn` of `kind` (as the policy parser names it) exists. Only
 * users and roles are looked up: account roots, sessions and federated users are taken
 * as they are, and so is any principal of an account kmsd does not serve.
 */
export async function principalExists(store: Store, arn: string, kind: string): Promise<boolean> {
  if (kind !== "user" && kind !== "role") return true;
  const parsed = parseIamArn(arn, kind);
  if (!parsed) return false;
  if (!(await store.getAccount(parsed.accountId))) return true;
  const identities = store.identities;
  const found = kind === "user" ? await identities.getUser(parsed.accountId, parsed.name) : await identities.getRole(parsed.accountId, parsed.name);
  return found !== undefined;
}
