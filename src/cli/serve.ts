/**
 * `kmsd serve`: opens the data directory (creating it, the root key, the database and
 * the default account on first start), then serves the API until SIGINT/SIGTERM.
 */
import type { AddressInfo } from "node:net";
import { AdjustableClock } from "../clock.ts";
import { parseServeConfig } from "../config.ts";
import { credentialsPath, openDataDir } from "../dataDir.ts";
import { AccessKeyDirectory } from "../identity/accessKeys.ts";
import { ensureDefaultAccount, writeCredentialsFile } from "../identity/accounts.ts";
import { Scheduler } from "../jobs/scheduler.ts";
import { KeyRepository } from "../keys/keyRepository.ts";
import { Authorizer } from "../authorization/authorizer.ts";

import type { Services } from "../server/context.ts";
import { createKmsdServer } from "../server/httpServer.ts";
import { log } from "../server/log.ts";
import { DEFAULT_REGION } from "../server/regions.ts";

/** Runs the server; resolves when it has shut down. */
export async function serve(args: string[]): Promise<void> {
  const config = parseServeConfig(args, process.env);
  const clock = new AdjustableClock();
  const dataDir = openDataDir(config.dataDir);
  const { accountId, created } = await ensureDefaultAccount(dataDir.store, dataDir.rootKey, config.defaultAccount, clock.nowMs());
  if (created) {
    writeCredentialsFile(credentialsPath(dataDir.path), created, DEFAULT_REGION);
    process.stdout.write(
      [
        `kmsd: created account ${created.AccountId} with a root access key (shown once; also in ${credentialsPath(dataDir.path)}):`,
        `  aws_access_key_id     = ${created.AccessKeyId}`,
        `  aws_secret_access_key = ${created.SecretAccessKey}`,
        "",
      ].join("\n"),
    );
  }
  if (config.dev) {
    log.warn("--dev: unknown access keys act as the default account's root and the clock can be moved; never use this in production", {
      defaultAccount: accountId,
    });
  }
  const keys = new KeyRepository(dataDir.store, dataDir.rootKey, config.keyCacheSize);
  const accessKeys = new AccessKeyDirectory(dataDir.store, dataDir.rootKey);
  const services: Services = {
    store: dataDir.store,
    keys,
    accessKeys,
    rootKey: dataDir.rootKey,
    clock,
    dev: config.dev,
    defaultAccountId: accountId,
    authorizer: new Authorizer(accessKeys),
  };
  const scheduler = new Scheduler(keys, clock);
  const server = createKmsdServer(services, { afterClockAdvance: () => scheduler.runDue() });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, resolve);
  });
  scheduler.start();
  const { port } = server.address() as AddressInfo;
  log.info("listening", { host: config.host, port, dataDir: dataDir.path, defaultAccount: accountId });

  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      log.info("shutting down", { signal });
      server.close(() => resolve());
      server.closeIdleConnections();
      setTimeout(() => server.closeAllConnections(), 5000).unref();
    };
    process.once("SIGINT", () => shutdown("SIGINT"));
    process.once("SIGTERM", () => shutdown("SIGTERM"));
  });
  await scheduler.stop();
  await dataDir.store.close();
}
