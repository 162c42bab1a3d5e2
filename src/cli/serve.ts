/**
/**
 * `kmsd serve`: checks that it can start (preflight.ts), listens, obtains the root key from
 * the node's seal (src/seal/: at once in the `file` mode, from shares or an auto-unseal
 * otherwise), then opens the deployment's state (creating the database and the default
 * account on first start) and the audit trail and serves the API until SIGINT/SIGTERM;
 * while sealed the API is refused. With `--database postgres://...` the state lives in
 * PostgreSQL, shared with the deployment's other nodes: changes travel between nodes by
 * LISTEN/NOTIFY and one node at a time runs the scheduler.
 */
import cluster from "node:cluster";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import type { RequestListener } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { LocalChangeBus, ScopedChangeBus, type ChangeBus } from "../cluster/changes.ts";
import { IpcChangeBus } from "../cluster/ipcChangeBus.ts";
import { AdvisoryLockLeadership, SOLE_LEADER, type Leadership } from "../cluster/leadership.ts";
import { PgChangeBus } from "../cluster/pgChangeBus.ts";
import { runPrimary } from "../cluster/primary.ts";
import { PrimarySealRelay, WorkerSealProxy } from "../cluster/sealRelay.ts";
import type { WrappingKey } from "../crypto/rootKey.ts";
import type { DataDir } from "../dataDir.ts";
import { AdjustableClock } from "../clock.ts";
import type { ServeConfig } from "../config.ts";
import { credentialsPath, ensureDataDirectory, openUnsealedDataDir } from "../dataDir.ts";
import { AccessKeyDirectory } from "../identity/accessKeys.ts";
import { ensureDefaultAccount, type CreatedAccount } from "../identity/accounts.ts";
import { writeCredentialsFile } from "../credentialsFile.ts";
import { Scheduler } from "../jobs/scheduler.ts";
import { XksHealthCheck } from "../jobs/xksHealthCheck.ts";
import { KeyRepository } from "../keys/keyRepository.ts";
import { Authorizer } from "../authorization/authorizer.ts";
import { auditFaultsFromEnv, DISABLED_AUDIT_TRAIL, openAuditTrail } from "../audit/trail.ts";
import { NodeOperations } from "../seal/nodeOperations.ts";
import { NodeSeal, type SealControl, type SealListener, type SealStatus } from "../seal/nodeSeal.ts";
import { RootKeyFollower } from "../seal/rootKeyFollower.ts";
import { rootKeySourceOf, warnIfUnprotected } from "../seal/rootKeySource.ts";
import { SealedFront } from "../seal/sealedFront.ts";

import type { Services } from "../server/context.ts";
import { createHttpServer, kmsdRequestListener, type KmsdServer } from "../server/httpServer.ts";
import { httpTimeoutsFromEnv } from "../server/httpConnection.ts";
import { configureLog, log } from "../server/log.ts";
import { DEFAULT_REGION } from "../server/regions.ts";
import { auditLocation, openAuditStoreAt } from "../store/open.ts";
import { announceListening, endpointUrl, printCredentials } from "./announce.ts";
import { checkBeforeStart, tlsFilesOf } from "./preflight.ts";
import { UsageError } from "./parseOptions.ts";
import { checkQuotaOptions, holdBucketsForWorkers, quotasForServer } from "../quotas/fromConfig.ts";
import { startXksProxyFromConfig, xksClientFromConfig } from "../xks/fromConfig.ts";
import { hsmClustersFromFile } from "../hsm/hsmClusters.ts";
import { VERSION } from "./version.ts";
import { isLoopbackHost } from "../server/tls.ts";
import { reportKeyStates, shareMetricsWithPrimary } from "../metrics/metrics.ts";
import { startMetricsListener } from "../metrics/metricsServer.ts";
import { seedOnStart } from "../seed/seedDeployment.ts";
import { readSeedFile } from "../seed/seedFile.ts";

/** Runs the server; resolves when it has shut down (to a non-zero status if it could not start). */
export async function serve(options: ServeConfig): Promise<void | number> {
  configureLog({ format: options.logFormat, level: options.logLevel });
  const config = options.ephemeral ? { ...options, dataDir: ephemeralDataDir() } : options;
  // Workers run the same command line; the primary has already checked and holds the seal.
  if (cluster.isWorker) return serveAsWorker(config);
  try {
    checkQuotaOptions(config);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  await checkBeforeStart(config);
  // The seed file's mistakes stop the start before it listens; it is applied once the deployment opens.
  if (config.init !== undefined) readSeedFile(config.init);
  if (!isLoopbackHost(config.host) && config.tlsCert === undefined) {
    log.warn("listening beyond this machine without TLS: requests, including plaintext and data keys, cross the network unencrypted; give --tls-cert and --tls-key", {
      host: config.host,
    });
  }
  const fresh = !existsSync(config.dataDir);
  let listened = false;
  const onListening = (port: number, start: Start | undefined, seal: SealStatus) => {
    listened = true;
    announce(config, port, start, seal);
  };
  try {
    if (config.workers === 1) {
      await serveOne(config, onListening);
      return 0;
    }
    return await servePrimary(config, onListening);
  } finally {
    // A start that failed leaves nothing behind: not even the directory it had just created.
    if (fresh && !listened) rmSync(config.dataDir, { recursive: true, force: true });
  }
}

/**
 * The primary of several workers holds the seal: it unseals (at once in the `file` mode)
 * and hands the root key to its workers. First-start initialisation happens here, once,
 * before any worker opens the data directory with the key.
 */
async function servePrimary(config: ServeConfig, onListening: (port: number, start: Start | undefined, seal: SealStatus) => void): Promise<number> {
  ensureDataDirectory(config.dataDir);
  const source = rootKeySourceOf(config.dataDir, config);
  let start: Start | undefined;
  let listeningPort: number | undefined;
  const relay = new PrimarySealRelay(async (rootKey) => {
    const dataDir = await openUnsealedDataDir(config.dataDir, rootKey, config.databaseUrl);
    try {
      start = await initialise(dataDir, config, Date.now());
    } finally {
      await dataDir.store.close();
    }
    if (config.audit === "on") await (await openAuditStoreAt(auditLocation(dataDir.path, config.databaseUrl))).close();
    if (listeningPort !== undefined) showCreated(config, listeningPort, start);
  });
  const seal = new NodeSeal(source, relay, nodeOperations(config));
  relay.attach(seal);
  await seal.start();
  // The primary holds the request quotas' token buckets and lends tokens to its workers.
  holdBucketsForWorkers(config);
  const metrics = config.metricsPort === undefined ? undefined : await startMetricsListener(config.metricsHost, config.metricsPort, true);
  try {
    return await runPrimary(config.workers, config.shutdownTimeout * 1000, (port) => {
      listeningPort = port;
      onListening(port, start, seal.status());
    });
  } finally {
    seal.stop();
    await metrics?.close();
  }
}

async function serveAsWorker(config: ServeConfig): Promise<void> {
  if (config.metricsPort !== undefined) shareMetricsWithPrimary();
  try {
    await serveOne(config, (port, start) => log.debug("listening", { host: config.host, port, dataDir: config.dataDir, defaultAccount: start?.accountId, worker: workerIndex() }));
  } finally {
    // The IPC channel to the primary would keep a stopped (or failed) worker alive. Through
    // the worker's own disconnect, the process then ends with its exit status, not 0.
    if (cluster.worker?.isConnected()) cluster.worker.disconnect();
  }
}

/**
 * The first start's credentials (unless --quiet-credentials), then the one "listening" line,
 * then the warning an unprotected root key owes: where to go comes first.
 */
function announce(config: ServeConfig, port: number, start: Start | undefined, seal: SealStatus): void {
  showCreated(config, port, start);
  announceListening(config, port, start?.accountId, seal);
  warnIfUnprotected(seal.mode, config.dataDir, config.dev);
}

/** A first start's credentials, once: framed on stdout, or (--quiet-credentials) where to find them. */
function showCreated(config: ServeConfig, port: number, start: Start | undefined): void {
  if (!start?.created || start.shown) return;
  start.shown = true;
  if (!config.quietCredentials) {
    printCredentials(start.created, { file: credentialsPath(config.dataDir), endpoint: endpointUrl(config.host, port, config.tlsCert !== undefined) });
  } else {
    log.info("first start: created the default account; its root credentials are in the credentials file", {
      defaultAccount: start.accountId,
      credentialsFile: credentialsPath(config.dataDir),
    });
  }
}

/** Where the primary's --ephemeral directory is named for its workers (they inherit its environment). */
const EPHEMERAL_DIR_VARIABLE = "KMSD_EPHEMERAL_DATA_DIR";

/**
 * The data directory of `--ephemeral`: a new temporary directory, removed when the process
 * that made it exits, however it exits short of SIGKILL. Workers use their primary's.
 */
function ephemeralDataDir(): string {
  const inherited = process.env[EPHEMERAL_DIR_VARIABLE];
  if (cluster.isWorker && inherited) return inherited;
  const dir = mkdtempSync(join(tmpdir(), "kmsd-ephemeral-"));
  process.env[EPHEMERAL_DIR_VARIABLE] = dir;
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  return dir;
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
async function serveOne(config: ServeConfig, onListening: (port: number, start: Start | undefined, seal: SealStatus) => void): Promise<void> {
  /** Closers of what is open so far, the last opened first. */
  const opened: Array<() => Promise<void>> = [];
  try {
    await serveUntilStopped(config, (close) => opened.unshift(close), onListening);
  } finally {
    for (const close of opened) await close();
  }
}

/**
 * Listens at once, sealed or not, and serves the API whenever the node is unsealed (at
 * once in the `file` mode); returns on SIGINT/SIGTERM. Registers a closer for each thing it opens.
 */
async function serveUntilStopped(
  config: ServeConfig,
  onClose: (close: () => Promise<void>) => void,
  onListening: (port: number, start: Start | undefined, seal: SealStatus) => void,
): Promise<void> {
  const worker = workerIndex();
  const bus = new ScopedChangeBus(cluster.isWorker ? new IpcChangeBus() : new LocalChangeBus());
  const clock = new AdjustableClock();
  ensureDataDirectory(config.dataDir);
  let open: OpenServices | undefined;
  /** Set once the server listens: a first start's credentials made by a later unseal are shown then. */
  const listening: { port?: number } = {};
  /** Set once shutdown began: /ready answers 503 from then on. */
  let stopping = false;
  onClose(async () => open?.close());
  const listener: SealListener = {
    unsealed: async (rootKey) => {
      open = await openServices(config, rootKey, { worker, bus, clock, stopping: () => stopping });
      front.serve(open.listener, open.services);
      if (listening.port !== undefined && !cluster.isWorker) showCreated(config, listening.port, open.start);
    },
    sealed: async () => {
      front.seal();
      const closing = open;
      open = undefined;
      await closing?.close();
    },
    rootKeyChanged: async () => open?.followRootKey(),
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
    const nodeSeal = new NodeSeal(source, listener, nodeOperations(config));
    onClose(async () => nodeSeal.stop());
    ready = nodeSeal.start();
    seal = nodeSeal;
  }
  const front = new SealedFront(seal, worker);
  await ready;
  const server = createHttpServer(front.listener, httpTimeoutsFromEnv(process.env), tlsFilesOf(config));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  listening.port = port;
  // With workers, the primary serves the metrics of all of them.
  if (config.metricsPort !== undefined && !cluster.isWorker) {
    const metrics = await startMetricsListener(config.metricsHost, config.metricsPort, false);
    onClose(() => metrics.close());
  }
  onListening(port, open?.start, seal.status());
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

/** What the node's seal may do to its deployment (rotate, rekey, record events), from its options. */
function nodeOperations(config: ServeConfig): NodeOperations {
  return new NodeOperations({ dataDir: config.dataDir, databaseUrl: config.databaseUrl, audited: config.audit === "on", seal: config });
}

/** What an unsealed node serves with, and how to close it again when it seals or stops. */
interface OpenServices {
  services: Services;
  listener: RequestListener;
  start: Start;
  /** Follows the database's root key state now, and tells the other workers and nodes to. */
  followRootKey(): Promise<void>;
  close(): Promise<void>;
}

/** Opens the database, the caches, the audit trail and the scheduler with the unsealed root key; the first start creates the default account. */
async function openServices(config: ServeConfig, sealedRootKey: WrappingKey, node: { worker: number; bus: ScopedChangeBus; clock: AdjustableClock; stopping(): boolean }): Promise<OpenServices> {
  const { worker, clock } = node;
  /** Closers of what is open so far, the last opened first. */
  const opened: Array<() => Promise<void>> = [];
  const close = async () => {
    node.bus.dropSubscriptions();
    for (const closeOne of opened.splice(0)) await closeOne();
  };
  try {
    const dataDir = await openUnsealedDataDir(config.dataDir, sealedRootKey, config.databaseUrl);
    opened.unshift(() => dataDir.store.close());
    // The keyring of the key's generation: what the services wrap and unwrap with (its derived keys are zeroed on close).
    const rootKey = dataDir.rootKey;
    opened.unshift(async () => rootKey.destroy());
    // On PostgreSQL, changes also travel to the other nodes, and one node at a time (worker
    // 0 of the one holding the leadership lock) runs the scheduler. Both end with a seal.
    let bus: ChangeBus = node.bus;
    let leadership: Leadership = SOLE_LEADER;
    if ("databaseUrl" in dataDir) {
      const pgBus = new PgChangeBus(dataDir.databaseUrl, node.bus, dataDir.store.pool);
      opened.unshift(() => pgBus.close());
      await pgBus.ready();
      bus = pgBus;
      if (worker === 0) {
        const advisory = new AdvisoryLockLeadership(dataDir.databaseUrl);
        opened.unshift(() => advisory.close());
        await advisory.start();
        leadership = advisory;
      }
    }
    // The root key generation follows an online rotation, whichever process or node runs it.
    const follower = new RootKeyFollower(dataDir.store, rootKey);
    follower.start();
    opened.unshift(async () => follower.stop());
    bus.subscribe(async (change) => {
      if (change.kind === "rootKey") await follower.follow();
    });
    const followRootKey = async () => {
      await follower.follow();
      await bus.publish({ kind: "rootKey" });
    };
    const start = await initialise(dataDir, config, clock.nowMs());
    const { accountId } = start;
    if (config.dev && worker === 0) {
      log.warn("--dev: unknown access keys act as the default account's root and the clock can be moved; never use this in production", {
        defaultAccount: accountId,
      });
    }
    const keys = new KeyRepository(dataDir.store, rootKey, config.keyCacheSize, bus);
    // One process per node reports keys by state, so the sum over its workers is the count.
    if (worker === 0) {
      reportKeyStates(() => dataDir.store.countKeysByState());
      opened.unshift(async () => reportKeyStates(undefined));
    }
    const accessKeys = new AccessKeyDirectory(dataDir.store, rootKey, bus);
    const audit =
      config.audit === "on"
        ? await openAuditTrail({
            dataDir: dataDir.path,
            databaseUrl: config.databaseUrl,
            rootKey,
            accessKeys,
            defaultAccountId: accountId,
            nowMs: clock.nowMs(),
            retentionDays: config.auditRetentionDays,
            faults: auditFaultsFromEnv(process.env),
          })
        : DISABLED_AUDIT_TRAIL;
    opened.unshift(() => audit.close());
    if (config.audit === "off") log.warn("--audit off: requests are not recorded; use it only to measure what the audit trail costs");
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
      quotas: quotasForServer(config),
      xks: xksClientFromConfig(config),
      hsmClusters: hsmClustersFromFile(config.cloudHsmClusters),
    };
    const xksProxy = await startXksProxyFromConfig(config, services, VERSION);
    if (xksProxy) opened.unshift(() => xksProxy.close());
    // One worker runs the time-driven jobs; the others would only repeat them. On PostgreSQL,
    // worker 0 of the node that holds the leadership lock.
    const scheduler = worker === 0 ? new Scheduler(keys, clock, audit.enabled ? audit : undefined, leadership) : undefined;
    if (scheduler) opened.unshift(() => scheduler.stop());
    // Each node checks its connected external key stores' proxies, as AWS KMS's fleet does.
    const xksHealthCheck = worker === 0 ? new XksHealthCheck(services) : undefined;
    if (xksHealthCheck) opened.unshift(() => xksHealthCheck.stop());
    bus.subscribe(async (change) => {
      if (change.kind !== "clock") return;
      clock.adoptOffset(change.offsetMs);
      await scheduler?.runDue();
      await xksHealthCheck?.runDue();
    });
    const afterClockAdvance = async () => {
      await scheduler?.runDue();
      await xksHealthCheck?.runDue();
      await bus.publish({ kind: "clock", offsetMs: clock.offsetMs });
    };
    scheduler?.start();
    xksHealthCheck?.start();
    const listener = kmsdRequestListener(services, { worker, afterClockAdvance, timeouts: httpTimeoutsFromEnv(process.env), logRequests: config.logRequests, stopping: node.stopping, console: config.console });
    return { services, listener, start, followRootKey, close };
  } catch (error) {
    await close();
    throw error;
  }
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

/** The default account, its credentials if this start created it, and whether they were shown yet. */
interface Start {
  accountId: string;
  created: CreatedAccount | undefined;
  shown?: boolean;
}

/**
 * Creates the default account on the first start and writes its credentials file, then
 * applies the --init seed file (not in a worker). The
 * credentials are shown once the server listens; if the file cannot be written they are
 * shown at once instead, as the account is already committed and its secret would
 * otherwise be lost for good.
 */
async function initialise(dataDir: DataDir, config: ServeConfig, nowMs: number): Promise<Start> {
  const { accountId, created } = await ensureDefaultAccount(dataDir.store, dataDir.rootKey, config.defaultAccount, nowMs);
  if (created) {
    try {
      writeCredentialsFile(credentialsPath(dataDir.path), { accessKeyId: created.AccessKeyId, secretAccessKey: created.SecretAccessKey }, DEFAULT_REGION);
    } catch (error) {
      printCredentials(created, {});
      throw error;
    }
  }
  // Workers find the seed applied: their primary opened the deployment first.
  if (config.init !== undefined && !cluster.isWorker) await seedOnStart(config.init, dataDir, { defaultAccountId: accountId, resourceQuotas: config.resourceQuotas });
  return { accountId, created };
}
