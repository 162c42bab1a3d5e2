/**
 * Accounts: creating one (with a root access key) and the default account a fresh
 * installation gets on first start.
 */
import { randomInt } from "node:crypto";
import type { RootKey } from "../crypto/rootKey.ts";
import type { Store } from "../store/store.ts";
import { mintRootAccessKey, type ChosenAccessKey } from "./accessKeys.ts";

/** A new account's id and its root credentials (the secret is shown only now). */
export interface CreatedAccount {
  AccountId: string;
  AccessKeyId: string;
  SecretAccessKey: string;
}

const DEFAULT_ACCOUNT_SETTING = "default_account_id";

/**
 * Creates an account (a random id if none is given); throws if the id is taken. With
 * `idSetting`, that setting is set to the new account's id in the same transaction. Its
 * root access key is `rootAccessKey` (a seed file's) or a fresh one.
 */
export async function createAccount(
  store: Store,
  rootKey: RootKey,
  accountId: string | undefined,
  nowMs: number,
  idSetting?: string,
  rootAccessKey?: ChosenAccessKey,
): Promise<CreatedAccount> {
  const id = accountId ?? randomAccountId();
  const key = mintRootAccessKey(rootKey, id, nowMs, rootAccessKey);
  const setting = idSetting === undefined ? undefined : { name: idSetting, value: id };
  if (!(await store.createAccount({ accountId: id, createdAtMs: nowMs }, key.stored, setting))) {
    throw new Error(`account ${id} already exists`);
  }
  return { AccountId: id, AccessKeyId: key.stored.accessKeyId, SecretAccessKey: key.secretAccessKey };
}

/**
 * The installation's default account, created on the first start. Returns the new
 * credentials when it was created just now (so they can be printed once). The account and
 * the setting naming it are one transaction: a crash in between cannot leave an account
 * that no start would ever take as the default.
 */
export async function ensureDefaultAccount(
  store: Store,
  rootKey: RootKey,
  requested: string | undefined,
  nowMs: number,
): Promise<{ accountId: string; created: CreatedAccount | undefined }> {
  const existing = await store.getSetting(DEFAULT_ACCOUNT_SETTING);
  if (existing) return { accountId: existing, created: undefined };
  const created = await createAccount(store, rootKey, requested, nowMs, DEFAULT_ACCOUNT_SETTING);
  return { accountId: created.AccountId, created };
}

/** Writes credentials in the AWS shared-credentials format (profile `default`), mode 0600. */

function randomAccountId(): string {
  let id = String(randomInt(1, 10));
  for (let i = 0; i < 11; i++) id += String(randomInt(10));
  return id;
}
