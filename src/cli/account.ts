/**
 * `kmsd account create`: adds an account with a root access key. Safe while a server runs
 * on the same data directory (SQLite locks), and that server accepts the new key on its
 * next request.
 */
import { openDataDir } from "../dataDir.ts";
import { createAccount } from "../identity/accounts.ts";

/** Runs `kmsd account create`. */
export async function createAccountCommand(options: { dataDir: string; id: string | undefined; json: boolean }): Promise<void> {
  const dataDir = await openDataDir(options.dataDir);
  try {
    const created = await createAccount(dataDir.store, dataDir.rootKey, options.id, Date.now());
    if (options.json) process.stdout.write(`${JSON.stringify(created)}\n`);
    else {
      process.stdout.write(
        `account ${created.AccountId}\n  aws_access_key_id     = ${created.AccessKeyId}\n  aws_secret_access_key = ${created.SecretAccessKey}\n`,
      );
    }
  } finally {
    await dataDir.store.close();
  }
}
