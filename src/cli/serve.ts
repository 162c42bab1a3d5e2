/**
 * `kmsd serve`: checks that it can start (preflight.ts), opens the data directory
 * (creating it, the root key, the database and the default account on first start) and
 * the audit trail, then serves the API until SIGINT/SIGTERM.
 */
import cluster from "node:cluster";
import { existsSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { LocalChangeBus, type ChangeBus } from "../cluster/changes.ts";
import { IpcChangeBus } from "../cluster/ipcChangeBus.ts";
import { runPrimary } from "../cluster/primary.ts";
import type { DataDir } from "../dataDir.ts";
import { AdjustableClock } from "../clock.ts";
import type { ServeConfig } from "../config.ts";
import { credentialsPath, openDataDir } from "../dataDir.ts";
import { AccessKeyDirectory } from "../identity/accessKeys.ts";
import { ensureDefaultAccount, writeCredentialsFile, type CreatedAccount } from "../identity/accounts.ts";
import { Scheduler } from "../jobs/scheduler.ts";
import { KeyRepository } from "../keys/keyRepository.ts";
import { Authorizer } from "../authorization/authorizer.ts";
import { auditFaultsFromEnv, DISABLED_AUDIT_TRAIL, openAuditTrail } from "../audit/trail.ts";

import type { Services } from "../server/context.ts";
import { createKmsdServer, type KmsdServer } from "../server/httpServer.ts";
import { httpTimeoutsFromEnv } from "../server/httpConnection.ts";
import { configureLog, log } from "../server/log.ts";
import { DEFAULT_REGION } from "../server/regions.ts";
import { auditDbPath, openSqliteAuditStore } from "../store/sqlite/sqliteAuditStore.ts";
import { announceListening, endpointUrl, printCredentials } from "./announce.ts";
import { checkBeforeStart, tlsFilesOf } from "./preflight.ts";
import { isLoopbackHost } from "../server/tls.ts";
import { shareMetricsWithPrimary } from "../metrics/metrics.ts";
import { startMetricsListener } from "../metrics/metricsServer.ts";

/** Runs the server; resolves when it has shut down (to a non-zero status if it could not start). */
export async function serve(config: ServeConfig): Promise<void | number> {
  configureLog({ format: config.logFormat, level: config.logLevel });
  // Workers run the same command line; the primary has already checked and initialised.
  if (cluster.isWorker) return serveAsWorker(config);
  await checkBeforeStart(config);
  if (!isLoopbackHost(config.host) && config.tlsCert === undefined) {
    log.warn("listening beyond this machine without TLS: requests, including plaintext and data keys, cross the network unencrypted; give --tls-cert and --tls-key", {
      host: config.host,
    });
  }
  const fresh = !existsSync(config.dataDir);
  let listened = false;
  try {
    if (config.workers === 1) {
      await serveOne(config, (port, start) => {
        listened = true;
        announce(config, port, start);
      });
      return 0;
    }
    // First-start initialisation happens once, here, before any worker opens the data directory.
    const dataDir = openDataDir(config.dataDir);
    const start = await initialise(dataDir, config.defaultAccount, Date.now());
    await dataDir.store.close();
    if (config.audit === "on") await openSqliteAuditStore(auditDbPath(dataDir.path)).close();
    const metrics = config.metricsPort === undefined ? undefined : await startMetricsListener(config.metricsHost, config.metricsPort, true);
    try {
      return await runPrimary(config.workers, config.shutdownTimeout * 1000, (port) => {
        listened = true;
        announce(config, port, start);
      });
    } finally {
      await metrics?.close();
    }
  } finally {
    // A start that failed leaves nothing behind: not even the directory it had just created.
    if (fresh && !listened) rmSync(config.dataDir, { recursive: true, force: true });
  }
}

async function serveAsWorker(config: ServeConfig): Promise<void> {
  if (config.metricsPort !== undefined) shareMetricsWithPrimary();
  try {
    await serveOne(config, (port, start) => log.debug("listening", { host: config.host, port, dataDir: config.dataDir, defaultAccount: start.accountId, worker: workerIndex() }));
  } finally {
    // The IPC channel to the primary would keep a stopped (or failed) worker alive. Through
    // the worker's own disconnect, the process then ends with its exit status, not 0.
    if (cluster.worker?.isConnected()) cluster.worker.disconnect();
  }
}

/** The first start's credentials (unless --quiet-credentials), then the one "listening" line. */
function announce(config: ServeConfig, port: number, start: Start): void {
  if (start.created && !config.quietCredentials) {
    printCredentials(start.created, { file: credentialsPath(config.dataDir), endpoint: endpointUrl(config.host, port, config.tlsCert !== undefined) });
  }
  if (start.created && config.quietCredentials) {
    log.info("first start: created the default account; its root credentials are in the credentials file", {
      defaultAccount: start.accountId,
      credentialsFile: credentialsPath(config.dataDir),
    });
  }
  announceListening(config, port, start.accountId);
}

/** This process's worker index (0 when it serves alone). */
function workerIndex(): number {
  return cluster.isWorker ? Number(process.env.KMSD_WORKER_INDEX ?? "0") : 0;
}

/**
 * Serves as the only process, or as one worker of several. Whatever was opened is
 * closed again, also when start-up fails half-way (a taken port, say): an audit
 * writer thread left running would keep the process alive.
 */
async function serveOne(config: ServeConfig, onListening: (port: number, start: Start) => void): Promise<void> {
  /** Closers of what is open so far, the last opened first. */
  const opened: Array<() => Promise<void>> = [];
  try {
    await serveUntilStopped(config, (close) => opened.unshift(close), onListening);
  } finally {
    for (const close of opened) await close();
  }
}

/** Opens everything, listens, and returns on SIGINT/SIGTERM; registers a closer for each thing it opens. */
async function serveUntilStopped(
  config: ServeConfig,
  onClose: (close: () => Promise<void>) => void,
  onListening: (port: number, start: Start) => void,
): Promise<void> {
  const worker = workerIndex();
  const bus: ChangeBus = cluster.isWorker ? new IpcChangeBus() : new LocalChangeBus();
  const clock = new AdjustableClock();
  const dataDir = openDataDir(config.dataDir);
  onClose(() => dataDir.store.close());
  const start = await initialise(dataDir, config.defaultAccount, clock.nowMs());
  const { accountId } = start;
  if (config.dev && worker === 0) {
    log.warn("--dev: unknown access keys act as the default account's root and the clock can be moved; never use this in production", {
      defaultAccount: accountId,
    });
  }
  const keys = new KeyRepository(dataDir.store, dataDir.rootKey, config.keyCacheSize, bus);
  const accessKeys = new AccessKeyDirectory(dataDir.store, dataDir.rootKey, bus);
  const audit =
    config.audit === "on"
      ? await openAuditTrail({
        dataDir: dataDir.path,
        rootKey: dataDir.rootKey,
        accessKeys,
        defaultAccountId: accountId,
        nowMs: clock.nowMs(),
        retentionDays: config.auditRetentionDays,
        faults: auditFaultsFromEnv(process.env),
      })
    : DISABLED_AUDIT_TRAIL;
  onClose(() => audit.close());
  if (config.audit === "off") log.warn("--audit off: requests are not recorded; use it only to measure what the audit trail costs");
  const services: Services = {
    store: dataDir.store,
    keys,
    accessKeys,
    rootKey: dataDir.rootKey,
    clock,
    dev: config.dev,
    defaultAccountId: accountId,
    authorizer: new Authorizer(accessKeys),
    audit,
  };
  // One worker runs the time-driven jobs; the others would only repeat them.
  const scheduler = worker === 0 ? new Scheduler(keys, clock, audit.enabled ? audit : undefined) : undefined;
  if (scheduler) onClose(() => scheduler.stop());
  bus.subscribe(async (change) => {
    if (change.kind !== "clock") return;
    clock.adoptOffset(change.offsetMs);
    await scheduler?.runDue();
  });
  const afterClockAdvance = async () => {
    await scheduler?.runDue();
    await bus.publish({ kind: "clock", offsetMs: clock.offsetMs });
  };
  let stopping = false;
  const tls = tlsFilesOf(config);
  const server = createKmsdServer(services, { worker, afterClockAdvance, timeouts: httpTimeoutsFromEnv(process.env), tls, stopping: () => stopping });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, resolve);
  });
  scheduler?.start();
  const { port } = server.address() as AddressInfo;
  // With workers, the primary serves the metrics of all of them.
  if (config.metricsPort !== undefined && !cluster.isWorker) {
    const metrics = await startMetricsListener(config.metricsHost, config.metricsPort, false);
    onClose(() => metrics.close());
  }
  onListening(port, start);
  const onHangup = () => reloadCertificate(server, config);
  process.on("SIGHUP", onHangup);
  onClose(() => Promise.resolve(void process.off("SIGHUP", onHangup)));
  // A worker whose primary is gone (killed) stops too, rather than serve alone forever.
  if (cluster.isWorker) process.once("disconnect", () => process.kill(process.pid, "SIGTERM"));

  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      if (stopping) return;
      stopping = true;
      // One line per node, like "listening": the primary says it for all its workers.
      (cluster.isWorker ? log.debug : log.info)("shutting down", { signal });
      // No new connections; requests under way finish (their connections close once answered),
      // idle keep-alive connections close now, and whatever is still open at the deadline is cut.
      server.close(() => resolve());
      server.closeIdleConnections();
      setTimeout(() => server.closeAllConnections(), config.shutdownTimeout * 1000).unref();
    };
    process.once("SIGINT", () => shutdown("SIGINT"));
    process.once("SIGTERM", () => shutdown("SIGTERM"));
  });
}

/** SIGHUP: serve the certificate and key files as they are now; on a mistake, keep serving the old ones. */
function reloadCertificate(server: KmsdServer, config: ServeConfig): void {
  if (!("setSecureContext" in server)) return void log.info("SIGHUP: no TLS certificate to reload");
  try {
    const files = tlsFilesOf(config);
    if (files) server.setSecureContext(files);
    log.info("TLS certificate reloaded", { tlsCert: config.tlsCert, worker: workerIndex() });
  } catch (error) {
    log.error("TLS certificate not reloaded; still serving the previous one", { error: error instanceof Error ? error.message : String(error) });
  }
}

/** The default account, and its credentials if this start created it. */
interface Start {
  accountId: string;
  created: CreatedAccount | undefined;
}

/**
 * Creates the default account on the first start and writes its credentials file. The
 * credentials are shown once the server listens; if the file cannot be written they are
 * shown at once instead, as the account is already committed and its secret would
 * otherwise be lost for good.
 */
async function initialise(dataDir: DataDir, requestedAccount: string | undefined, nowMs: number): Promise<Start> {
  const { accountId, created } = await ensureDefaultAccount(dataDir.store, dataDir.rootKey, requestedAccount, nowMs);
  if (created) {
    try {
      writeCredentialsFile(credentialsPath(dataDir.path), created, DEFAULT_REGION);
    } catch (error) {
      printCredentials(created, {});
      throw error;
    }
  }
  return { accountId, created };
}
