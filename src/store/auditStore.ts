/**
 * The audit part of the storage contract: the hash-chained CloudTrail events, one chain
 * per account and region, and what the trail keeps around them (chain tails, delivered
 * log and digest files, keys' last usage, the digest signing key). Every method is
 * asynchronous; each write is one transaction, durable when its promise resolves. SQLite
 * implements it on a database of its own (sqlite/sqliteAuditStore.ts), so audit commits
 * never wait on key writes.
 *
 * Several processes append to the same chains at once: an append reads each chain's tail
 * under the write lock, so every chain stays numbered without gaps and hashed in order.
 */
import type { AuditEvent, KeyUsage } from "../audit/events.ts";

/** What a request (or several) hands the writer: its events and its keys' usages. */
export interface AuditBatch {
  events: readonly AuditEvent[];
  usages: readonly KeyUsage[];
}

/** The attributes LookupEvents filters on. */
export type LookupAttributeKey = "EventId" | "EventName" | "ReadOnly" | "Username" | "ResourceType" | "ResourceName" | "EventSource" | "AccessKeyId";

/** One LookupEvents page request. */
export interface LookupQuery {
  accountId: string;
  region: string;
  attribute?: { key: LookupAttributeKey; value: string } | undefined;
  /** Inclusive bounds on the event time, in ms. */
  startMs: number;
  endMs: number;
  limit: number;
  /** Resume after this event (the last one of the previous page). */
  after?: { timeMs: number; rowid: number } | undefined;
}

/** A stored event as LookupEvents returns it; `rowid` orders events of the same millisecond. */
export interface StoredEvent {
  rowid: number;
  timeMs: number;
  eventId: string;
  eventName: string;
  eventSource: string;
  readOnly: string;
  username: string | null;
  accessKeyId: string | null;
  record: string;
}

/** One page of LookupEvents, newest first, and whether more follow. */
export interface LookupPage {
  events: StoredEvent[];
  more: boolean;
}

/** A key's last successful cryptographic use, as recorded. */
export interface KeyLastUsageRecord {
  operation: string;
  timeMs: number;
  eventId: string;
  requestId: string;
}

/** An (account, region) chain. */
export interface ChainId {
  accountId: string;
  region: string;
}

/** A chain's state: its tail, where it starts after pruning, and how far log files cover it. */
export interface ChainState extends ChainId {
  lastSeq: number;
  lastHash: string;
  /** The first record kept (1 until retention pruned some), and the hash it chains to. */
  firstSeq: number;
  firstPrevHash: string;
  /** The end of the newest digest retention pruned, if any was. */
  prunedBeforeMs: number | undefined;
  /** Records up to this seq are in delivered log files. */
  deliveredSeq: number;
}

/** One record of a chain, as hashed. */
export interface ChainRecord {
  seq: number;
  prevHash: string;
  hash: string;
  timeMs: number;
  /** The CloudTrail record, canonical JSON. */
  record: string;
}

/** A delivered digest file, as registered. */
export interface DigestEntry {
  id: number;
  path: string;
  startMs: number;
  endMs: number;
  sha256: string;
  signature: string;
  /** The records its log files hold (lastSeq < firstSeq: none). */
  firstSeq: number;
  lastSeq: number;
  lastHash: string;
  newestEventMs: number | undefined;
}

/** A delivered log file, as its digest lists it. */
export interface LogFileEntry {
  path: string;
  sha256: string;
  firstSeq: number;
  lastSeq: number;
  previousHash: string;
  lastHash: string;
}

/** A registered log file with the time span of the digest that lists it. */
export interface RegisteredLogFile extends LogFileEntry {
  digestStartMs: number;
  digestEndMs: number;
}

/** A delivery to register: the digest and its log files, if the chain is still where the delivery started from. */
export interface DeliveryRegistration extends ChainId {
  /** What the delivery read: the chain's delivered seq and its newest digest's id. */
  expected: { deliveredSeq: number; latestDigestId: number | undefined };
  digest: Omit<DigestEntry, "id">;
  logFiles: readonly LogFileEntry[];
  /** The chain's delivered seq afterwards. */
  deliveredSeq: number;
}

/**
 * How a chain's deliveries went (GetTrailStatus): the latest attempt and its error, and the
 * first record delivery found not chained to the ones before (once found, it stays: the
 * trail's verification fails from then on, as `kmsd audit verify` does).
 */
export interface DeliveryStatus extends ChainId {
  attemptMs: number;
  error: string | undefined;
  brokenAtSeq: number | undefined;
}

/** The digest signing key as stored: the private key wrapped by the root key (base64), the public key in the clear. */
export interface StoredSigningKey {
  wrappedPrivateKey: string;
  publicKeyPem: string;
}

/** The audit trail's storage. */
export interface AuditStore {
  /**
   * Appends the batches' events to their chains and records their key usages, all in one
   * transaction (group commit: one per writer turn, whatever the number of requests).
   */
  append(batches: readonly AuditBatch[]): Promise<void>;

  /** One page of LookupEvents. */
  lookup(query: LookupQuery): Promise<LookupPage>;
  /** A key's last recorded successful cryptographic use. */
  keyLastUsage(keyArn: string): Promise<KeyLastUsageRecord | undefined>;

  /** Records `nowMs` as when tracking began unless a time is recorded already; returns the recorded time. */
  trackingStart(nowMs: number): Promise<number>;
  /** The digest signing key, if one was made. */
  signingKey(): Promise<StoredSigningKey | undefined>;
  /** Stores the signing key unless one is stored already (checked under the write lock); returns the stored one. */
  saveSigningKey(key: StoredSigningKey): Promise<StoredSigningKey>;
  /** Root key rotation: replaces the wrapped private key by its re-wrapped form if it is still `expected` (compare-and-set). */
  replaceWrappedSigningKey(expected: string, replacement: string): Promise<boolean>;

  /** Every chain, by account and region. */
  chains(): Promise<ChainId[]>;
  chain(accountId: string, region: string): Promise<ChainState | undefined>;
  /** The records `fromSeq`..`toSeq` of a chain that exist, in order. */
  records(accountId: string, region: string, fromSeq: number, toSeq: number): Promise<ChainRecord[]>;
  /** A chain's registered digests, oldest first. */
  digests(accountId: string, region: string): Promise<DigestEntry[]>;
  latestDigest(accountId: string, region: string): Promise<DigestEntry | undefined>;
  /** The log files the registered digests of a chain list. */
  logFiles(accountId: string, region: string): Promise<RegisteredLogFile[]>;

  /** A chain's delivery status, if a delivery recorded one. */
  deliveryStatus(accountId: string, region: string): Promise<DeliveryStatus | undefined>;
  /** Records a chain's delivery status (replacing the previous one). */
  saveDeliveryStatus(status: DeliveryStatus): Promise<void>;

  /**
   * Registers a delivery and advances the chain's delivered seq, in one transaction, as a
   * compare-and-set: false (nothing written) if another delivery registered since `expected`.
   */
  registerDelivery(delivery: DeliveryRegistration): Promise<boolean>;
  /** Deletes the records `fromSeq`..`toSeq` of a chain; the chain then starts after `toSeq`. */
  pruneRecords(accountId: string, region: string, fromSeq: number, toSeq: number): Promise<void>;
  /**
   * Forgets digests and their log files; the chain then starts at `firstKept` and says
   * what was pruned. Returns the paths of the log files forgotten.
   */
  pruneDigests(accountId: string, region: string, digestIds: readonly number[], firstKept: { seq: number; prevHash: string; prunedBeforeMs: number }): Promise<string[]>;

  /**
   * Writes a consistent copy of the whole database, as of one moment, to a new file at
   * `path` while other connections go on writing (kmsd backup). The copy holds what the
   * database holds: secrets stay wrapped by the root key.
   */
  snapshotTo(path: string): Promise<void>;
  close(): Promise<void>;
}
