/**
 * `kmsd account create --data-dir DIR [--id ACCOUNT] [--json]`: adds an account with a
 * root access key. Safe while a server runs on the same data directory (SQLite locks),
 * and that server accepts the new key on its next request.
 */
import { parseArgs } from "node:util";
import { checkAccountId, dataDirOf } from "../config.ts";
import { openDataDir } from "../dataDir.ts";
import { createAccount } from "../identity/accounts.ts";

/** Runs an `account` subcommand. */
export async function account(args: string[]): Promise<void> {
  const [subcommand, ...rest] = args;
  if (subcommand !== "create") throw new Error("usage: kmsd account create --data-dir DIR [--id ACCOUNT] [--json]");
  const { values } = parseArgs({
    args: rest,
    options: { "data-dir": { type: "string" }, id: { type: "string" }, json: { type: "boolean" } },
    strict: true,
  });
  if (values.id !== undefined) checkAccountId(values.id);
  const dataDir = await openDataDir(dataDirOf(values["data-dir"]));
  try {
    const created = await createAccount(dataDir.store, dataDir.rootKey, values.id, Date.now());
    if (values.json) process.stdout.write(`${JSON.stringify(created)}\n`);
    else {
      process.stdout.write(
        `account ${created.AccountId}\n  aws_access_key_id     = ${created.AccessKeyId}\n  aws_secret_access_key = ${created.SecretAccessKey}\n`,
      );
    }
  } finally {
    await dataDir.store.close();
  }
}
