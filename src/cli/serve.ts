/**
 * `kmsd serve`: listens, obtains the root key from the node's seal (src/seal/: at once in
 * the `file` mode, from shares or an auto-unseal otherwise), then opens the data directory
 * (creating the database and the default account on first start) and the audit trail and
 * serves the API until SIGINT/SIGTERM; while sealed the API is refused.
 */
import cluster from "node:cluster";
import type { AddressInfo } from "node:net";
import type { RequestListener } from "node:http";
import { LocalChangeBus, ScopedChangeBus } from "../cluster/changes.ts";
import { IpcChangeBus } from "../cluster/ipcChangeBus.ts";
import { runPrimary } from "../cluster/primary.ts";
import { PrimarySealRelay, WorkerSealProxy } from "../cluster/sealRelay.ts";
import type { RootKey } from "../crypto/rootKey.ts";
import type { DataDir } from "../dataDir.ts";
import { AdjustableClock } from "../clock.ts";
import { parseServeConfig, type ServeConfig } from "../config.ts";
import { credentialsPath, ensureDataDirectory, openUnsealedDataDir } from "../dataDir.ts";
import { NodeSeal, type SealControl, type SealListener } from "../seal/nodeSeal.ts";
import { rootKeySourceOf, warnIfUnprotected } from "../seal/rootKeySource.ts";
import { SealedFront } from "../seal/sealedFront.ts";
import { AccessKeyDirectory } from "../identity/accessKeys.ts";
import { ensureDefaultAccount, writeCredentialsFile } from "../identity/accounts.ts";
import { Scheduler } from "../jobs/scheduler.ts";
import { KeyRepository } from "../keys/keyRepository.ts";
import { Authorizer } from "../authorization/authorizer.ts";
import { auditFaultsFromEnv, DISABLED_AUDIT_TRAIL, openAuditTrail } from "../audit/trail.ts";

import type { Services } from "../server/context.ts";
import { createHttpServer, kmsdRequestListener } from "../server/httpServer.ts";
import { httpTimeoutsFromEnv } from "../server/httpConnection.ts";
import { log } from "../server/log.ts";
import { DEFAULT_REGION } from "../server/regions.ts";
import { auditDbPath, openSqliteAuditStore } from "../store/sqlite/sqliteAuditStore.ts";

/** Runs the server; resolves when it has shut down (to a non-zero status if it could not start). */
export async function serve(args: string[]): Promise<void | number> {
  const config = parseServeConfig(args, process.env);
  if (config.workers > 1 && cluster.isPrimary) return servePrimary(config);
  try {
    await serveOne(config);
  } finally {
    // The IPC channel to the primary would keep a stopped (or failed) worker alive. Through
    // the worker's own disconnect, the process then ends with its exit status, not 0.
    if (cluster.worker?.isConnected()) cluster.worker.disconnect();
  }
}

/**
 * The primary of several workers holds the seal: it unseals (at once in the `file` mode)
 * and hands the root key to its workers. First-start initialisation happens here, once,
 * before any worker opens the data directory with the key.
 */
async function servePrimary(config: ServeConfig): Promise<number> {
  ensureDataDirectory(config.dataDir);
  const source = rootKeySourceOf(config.dataDir, config);
  warnIfUnprotected(source, config.dataDir, config.dev);
  const relay = new PrimarySealRelay(async (rootKey) => {
    const dataDir = await openUnsealedDataDir(config.dataDir, rootKey);
    try {
      await initialise(dataDir, config.defaultAccount, Date.now());
    } finally {
      await dataDir.store.close();
    }
    if (config.audit) await openSqliteAuditStore(auditDbPath(dataDir.path)).close();
  });
  const seal = new NodeSeal(source, relay);
  relay.attach(seal);
  await seal.start();
  try {
    return await runPrimary(config.workers);
  } finally {
    seal.stop();
  }
}

/**
 * Serves as the only process, or as one worker of several. Whatever was opened is
 * closed again, also when start-up fails half-way (a taken port, say): an audit
 * writer thread left running would keep the process alive.
 */
async function serveOne(config: ServeConfig): Promise<void> {
  /** Closers of what is open so far, the last opened first. */
  const opened: Array<() => Promise<void>> = [];
  try {
    await serveUntilStopped(config, (close) => opened.unshift(close));
  } finally {
    for (const close of opened) await close();
  }
}

/**
 * Listens at once, sealed or not, and serves the API whenever the node is unsealed (at
 * once in the `file` mode); returns on SIGINT/SIGTERM. Registers a closer for each thing it opens.
 */
async function serveUntilStopped(config: ServeConfig, onClose: (close: () => Promise<void>) => void): Promise<void> {
  const worker = cluster.isWorker ? Number(process.env.KMSD_WORKER_INDEX ?? "0") : 0;
  const bus = new ScopedChangeBus(cluster.isWorker ? new IpcChangeBus() : new LocalChangeBus());
  const clock = new AdjustableClock();
  ensureDataDirectory(config.dataDir);
  let open: OpenServices | undefined;
  onClose(async () => open?.close());
  const listener: SealListener = {
    unsealed: async (rootKey) => {
      open = await openServices(config, rootKey, { worker, bus, clock });
      front.serve(open.listener, open.services);
    },
    sealed: async () => {
      front.seal();
      const closing = open;
      open = undefined;
      await closing?.close();
    },
  };
  let seal: SealControl;
  let ready: Promise<void>;
  if (cluster.isWorker) {
    const proxy = new WorkerSealProxy(listener);
    // Serving from the first request when the primary is already unsealed (always, in the `file` mode).
    ready = proxy.ready;
    seal = proxy;
  } else {
    const source = rootKeySourceOf(config.dataDir, config);
    warnIfUnprotected(source, config.dataDir, config.dev);
    const nodeSeal = new NodeSeal(source, listener);
    onClose(async () => nodeSeal.stop());
    ready = nodeSeal.start();
    seal = nodeSeal;
  }
  const front = new SealedFront(seal, worker);
  await ready;
  const server = createHttpServer(front.listener, httpTimeoutsFromEnv(process.env));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  const status = seal.status();
  log.info("listening", { host: config.host, port, dataDir: config.dataDir, defaultAccount: open?.services.defaultAccountId, worker, sealed: status.sealed, seal: status.mode });
  // A worker whose primary is gone (killed) stops too, rather than serve alone forever.
  if (cluster.isWorker) process.once("disconnect", () => process.kill(process.pid, "SIGTERM"));

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
}

/** What an unsealed node serves with, and how to close it again when it seals or stops. */
interface OpenServices {
  services: Services;
  listener: RequestListener;
  close(): Promise<void>;
}

/** Opens the database, the caches, the audit trail and the scheduler with `rootKey`; the first start creates the default account. */
async function openServices(config: ServeConfig, rootKey: RootKey, node: { worker: number; bus: ScopedChangeBus; clock: AdjustableClock }): Promise<OpenServices> {
  const { worker, bus, clock } = node;
  /** Closers of what is open so far, the last opened first. */
  const opened: Array<() => Promise<void>> = [];
  const close = async () => {
    bus.dropSubscriptions();
    for (const closeOne of opened.splice(0)) await closeOne();
  };
  try {
    const dataDir = await openUnsealedDataDir(config.dataDir, rootKey);
    opened.unshift(() => dataDir.store.close());
    const accountId = await initialise(dataDir, config.defaultAccount, clock.nowMs());
    if (config.dev && worker === 0) {
      log.warn("--dev: unknown access keys act as the default account's root and the clock can be moved; never use this in production", {
        defaultAccount: accountId,
      });
    }
    const keys = new KeyRepository(dataDir.store, rootKey, config.keyCacheSize, bus);
    const accessKeys = new AccessKeyDirectory(dataDir.store, rootKey, bus);
    const audit = config.audit
      ? await openAuditTrail({
          dataDir: dataDir.path,
          rootKey,
          accessKeys,
          defaultAccountId: accountId,
          nowMs: clock.nowMs(),
          retentionDays: config.auditRetentionDays,
          faults: auditFaultsFromEnv(process.env),
        })
      : DISABLED_AUDIT_TRAIL;
    opened.unshift(() => audit.close());
    if (!config.audit) log.warn("--audit off: requests are not recorded; use it only to measure what the audit trail costs");
    const services: Services = {
      store: dataDir.store,
      keys,
      accessKeys,
      rootKey,
      clock,
      dev: config.dev,
      defaultAccountId: accountId,
      authorizer: new Authorizer(accessKeys),
      audit,
    };
    // One worker runs the time-driven jobs; the others would only repeat them.
    const scheduler = worker === 0 ? new Scheduler(keys, clock, audit.enabled ? audit : undefined) : undefined;
    if (scheduler) opened.unshift(() => scheduler.stop());
    bus.subscribe(async (change) => {
      if (change.kind !== "clock") return;
      clock.adoptOffset(change.offsetMs);
      await scheduler?.runDue();
    });
    const afterClockAdvance = async () => {
      await scheduler?.runDue();
      await bus.publish({ kind: "clock", offsetMs: clock.offsetMs });
    };
    scheduler?.start();
    return { services, listener: kmsdRequestListener(services, { worker, afterClockAdvance }), close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Creates the default account on the first start (printing its credentials once, then
 * writing the credentials file); returns the default account's id. The secret is printed
 * first: the account is already committed, so if writing the file failed, a secret not yet
 * shown would be lost for good.
 */
async function initialise(dataDir: DataDir, requestedAccount: string | undefined, nowMs: number): Promise<string> {
  const { accountId, created } = await ensureDefaultAccount(dataDir.store, dataDir.rootKey, requestedAccount, nowMs);
  if (created) {
    process.stdout.write(
      [
        `kmsd: created account ${created.AccountId} with a root access key (shown once; also written to ${credentialsPath(dataDir.path)}):`,
        `  aws_access_key_id     = ${created.AccessKeyId}`,
        `  aws_secret_access_key = ${created.SecretAccessKey}`,
        "",
      ].join("\n"),
    );
    writeCredentialsFile(credentialsPath(dataDir.path), created, DEFAULT_REGION);
  }
  return accountId;
}
