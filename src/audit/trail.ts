/**
 * The audit trail as the server uses it: record a request's events (fail closed), answer
 * LookupEvents and GetKeyLastUsage from audit.db, and deliver log and digest files. With
 * `--audit off` (benchmarks only) a disabled trail records nothing.
 */
import { mkdirSync } from "node:fs";
import type { RootKey } from "../crypto/rootKey.ts";
import { KMSInternalException } from "../errors.ts";
import type { CredentialLookup } from "../identity/accessKeys.ts";
import { log } from "../server/log.ts";
import { AWS_REGIONS, DEFAULT_REGION } from "../server/regions.ts";
import type { AuditStore, DeliveryStatus, KeyLastUsageRecord, LookupPage, LookupQuery } from "../store/auditStore.ts";
import { auditLocation, openAuditStoreAt } from "../store/open.ts";
import { LogDelivery, type DeliveryResult } from "./delivery.ts";
import { buildEvents, claimedCredential, type AuditEvent, type UnauthenticatedCaller } from "./events.ts";
import { auditDir } from "./logPaths.ts";
import type { RequestAudit } from "./requestAudit.ts";
import { loadOrCreateSigner } from "./signingKey.ts";
import { AuditWriter, type WriterFaults } from "./writer.ts";

/** The audit trail of a running server. */
export interface AuditTrail {
  /** False with `--audit off`: nothing is recorded and GetKeyLastUsage cannot answer. */
  readonly enabled: boolean;
  /** When recording began (GetKeyLastUsage's TrackingStartDate for older keys). */
  readonly trackingStartMs: number;
  /** False once events cannot be recorded (every request then fails; GET /health answers 503). */
  readonly healthy: boolean;
  /** Throws KMSInternalException at once if events cannot be recorded (fail closed, before any handler runs). */
  assertAvailable(): void;
  /** Records a request's events; resolves once they are on disk, else throws KMSInternalException. */
  record(audit: RequestAudit): Promise<void>;
  /** Records what KMS did to a key by itself (scheduled deletion, automatic rotation, expiry); resolves once on disk. */
  recordServiceEvent(event: AuditEvent): Promise<void>;
  /** One page of LookupEvents. */
  lookup(query: LookupQuery): Promise<LookupPage>;
  /** A key's last recorded successful cryptographic use. */
  keyLastUsage(keyArn: string): Promise<KeyLastUsageRecord | undefined>;
  /** Writes log and digest files for the events not yet delivered (and prunes, with a retention). */
  deliver(nowMs: number): Promise<DeliveryResult>;
  /** How an (account, region) chain's deliveries stand (GetTrailStatus). */
  deliveryState(accountId: string, region: string): Promise<DeliveryState>;
  close(): Promise<void>;
}

/** When a chain's files were last delivered, and how its latest delivery went. */
export interface DeliveryState {
  /** The newest digest's end (it is written then). */
  latestDigestMs: number | undefined;
  /** The newest digest that listed log files. */
  latestLogFilesMs: number | undefined;
  status: DeliveryStatus | undefined;
}

/** What opening the trail needs. */
export interface AuditTrailOptions {
  /** Where delivered log and digest files go (and audit.db, without a database URL). */
  dataDir: string;
  /** The deployment's PostgreSQL database, which holds the trail when given. */
  databaseUrl?: string | undefined;
  rootKey: RootKey;
  /** Resolves the access key a failed authentication claimed, to file its event in that key's account. */
  accessKeys: { lookup(accessKeyId: string): Promise<CredentialLookup> };
  /** Where events go whose caller is unknown (no access key, or one kmsd does not know). */
  defaultAccountId: string;
  nowMs: number;
  /** Keep events and files this many days (undefined: keep everything). */
  retentionDays: number | undefined;
  faults?: WriterFaults;
}

const MS_PER_DAY = 86_400_000;
const INTERNAL_MESSAGE = "An internal error occurred. Retry the request; the request id identifies it in the server log.";

/** The test hooks of KMSD_TEST_AUDIT_FAIL: `1` (failed from the start) or `after:N` (commits fail after N events). */
export function auditFaultsFromEnv(env: NodeJS.ProcessEnv): WriterFaults {
  const value = env.KMSD_TEST_AUDIT_FAIL;
  if (value === undefined || value === "" || value === "0") return {};
  const after = /^after:(\d+)$/.exec(value);
  return after ? { failAfterEvents: Number(after[1]) } : { failAtStart: true };
}

/**
 * Opens the audit trail of a data directory: its audit store (audit.db), the writer thread
 * (which opens a writing store of its own), the digest signing key.
 */
export async function openAuditTrail(options: AuditTrailOptions): Promise<AuditTrail> {
  const path = auditLocation(options.dataDir, options.databaseUrl);
  const store = await openAuditStoreAt(path);
  try {
    const trackingStartMs = await store.trackingStart(options.nowMs);
    const signer = await loadOrCreateSigner(store, options.rootKey);
    const dir = auditDir(options.dataDir);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // On PostgreSQL a commit fails while the database is unreachable, and succeeds again once it is back.
    const writer = await AuditWriter.start(path, options.faults, options.databaseUrl !== undefined);
    return new StoredAuditTrail(options, store, writer, new LogDelivery(store, dir, signer), trackingStartMs);
  } catch (error) {
    await store.close();
    throw error;
  }
}

class StoredAuditTrail implements AuditTrail {
  readonly enabled = true;
  readonly trackingStartMs: number;
  readonly #options: AuditTrailOptions;
  readonly #store: AuditStore;
  readonly #writer: AuditWriter;
  readonly #delivery: LogDelivery;

  constructor(options: AuditTrailOptions, store: AuditStore, writer: AuditWriter, delivery: LogDelivery, trackingStartMs: number) {
    this.#options = options;
    this.#store = store;
    this.#writer = writer;
    this.#delivery = delivery;
    this.trackingStartMs = trackingStartMs;
  }

  get healthy(): boolean {
    return this.#writer.healthy;
  }

  assertAvailable(): void {
    if (!this.#writer.healthy) throw new KMSInternalException(INTERNAL_MESSAGE);
  }

  async record(audit: RequestAudit): Promise<void> {
    this.assertAvailable();
    const caller = audit.principal ? NO_CALLER : await this.#unauthenticatedCaller(audit);
    const { events, usages } = buildEvents(audit, caller, DEFAULT_REGION);
    try {
      await this.#writer.append(events, usages);
    } catch (error) {
      log.error("audit event not recorded; the request fails", { requestId: audit.requestId, error: String(error) });
      throw new KMSInternalException(INTERNAL_MESSAGE);
    }
  }

  recordServiceEvent(event: AuditEvent): Promise<void> {
    return this.#writer.append([event], []);
  }

  lookup(query: LookupQuery): Promise<LookupPage> {
    return this.#store.lookup(query);
  }

  keyLastUsage(keyArn: string): Promise<KeyLastUsageRecord | undefined> {
    return this.#store.keyLastUsage(keyArn);
  }

  deliver(nowMs: number): Promise<DeliveryResult> {
    const days = this.#options.retentionDays;
    return this.#delivery.deliver(nowMs, days === undefined ? undefined : days * MS_PER_DAY);
  }

  async deliveryState(accountId: string, region: string): Promise<DeliveryState> {
    const latest = await this.#store.latestDigest(accountId, region);
    // Nearly every digest lists log files (one is written only when events came, or after pruning): the search back is short.
    const withLogFiles = latest && latest.lastSeq >= latest.firstSeq ? latest : (await this.#store.digests(accountId, region)).findLast((digest) => digest.lastSeq >= digest.firstSeq);
    return { latestDigestMs: latest?.endMs, latestLogFilesMs: withLogFiles?.endMs, status: await this.#store.deliveryStatus(accountId, region) };
  }

  async close(): Promise<void> {
    await this.#writer.close();
    await this.#store.close();
  }

  /** Who a request that failed authentication claimed to be, and whose trail gets its event. */
  async #unauthenticatedCaller(audit: RequestAudit): Promise<UnauthenticatedCaller> {
    const claimed = claimedCredential(audit.authorization);
    const region = claimed && AWS_REGIONS.has(claimed.region) ? claimed.region : undefined;
    if (!claimed) return { accessKeyId: undefined, accountId: this.#options.defaultAccountId, keyKnown: false, region };
    let found: CredentialLookup = { status: "unknown" };
    try {
      found = await this.#options.accessKeys.lookup(claimed.accessKeyId);
    } catch (error) {
      log.warn("access key lookup for an audit event failed", { requestId: audit.requestId, error: String(error) });
    }
    return found.status === "active"
      ? { accessKeyId: claimed.accessKeyId, accountId: found.key.principal.accountId, keyKnown: true, region }
      : { accessKeyId: claimed.accessKeyId, accountId: this.#options.defaultAccountId, keyKnown: false, region };
  }
}

const NO_CALLER: UnauthenticatedCaller = { accessKeyId: undefined, accountId: "", keyKnown: false, region: undefined };

/** The trail of `--audit off`: records nothing (for measuring what the audit costs). */
export const DISABLED_AUDIT_TRAIL: AuditTrail = {
  enabled: false,
  trackingStartMs: 0,
  healthy: true,
  assertAvailable: () => undefined,
  record: () => Promise.resolve(),
  recordServiceEvent: () => Promise.resolve(),
  lookup: () => Promise.resolve({ events: [], more: false }),
  keyLastUsage: () => Promise.resolve(undefined),
  deliver: () => Promise.resolve({ logFiles: [], digests: [], prunedDigests: 0 }),
  deliveryState: () => Promise.resolve({ latestDigestMs: undefined, latestLogFilesMs: undefined, status: undefined }),
  close: () => Promise.resolve(),
};
