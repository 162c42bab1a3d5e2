/**
 * AuditStore on SQLite: `<data-dir>/audit.db`, a database file of its own (WAL,
 * synchronous=FULL) so that audit commits never wait on key-state writes and the other
 * way round. Statements run synchronously; the promises are already settled when returned.
 *
 * The audit writer thread opens its own store with `pollLocks`: it then waits for another
 * process's write lock by polling every 0.1 ms (retryWhileLocked), blocking its thread,
 * instead of going through SQLite's busy handler, whose millisecond sleeps made two
 * workers serve barely more than one. Other connections (the main thread's reads and
 * delivery bookkeeping, `kmsd audit`) wait through the busy handler.
 *
 * SQLite-specific, for another engine: `?` placeholders, `INSERT ... ON CONFLICT ... DO
 * UPDATE/NOTHING` (PostgreSQL has the same syntax), `lastInsertRowid` (PostgreSQL:
 * `RETURNING id`), BEGIN IMMEDIATE as the chains' write lock (PostgreSQL: `SELECT ... FOR
 * UPDATE` on the chain rows, or an advisory lock, before reading the tails).
 */
import { join } from "node:path";
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import { chainKey, chainsOf, linkEvents, type ChainTail } from "../../audit/chain.ts";
import type {
  AuditBatch,
  AuditStore,
  ChainId,
  ChainRecord,
  ChainState,
  DeliveryRegistration,
  DigestEntry,
  KeyLastUsageRecord,
  LookupPage,
  LookupQuery,
  RegisteredLogFile,
  StoredSigningKey,
} from "../auditStore.ts";
import { lookupEvents } from "./auditLookupSql.ts";
import { migrateAuditDb } from "./auditMigrations.ts";
import { BUSY_TIMEOUT_MS, inTransaction, openSharedDatabase, retryWhileLocked } from "./connection.ts";

/** The file name of the audit database in a data directory. */
export const AUDIT_DB_FILE = "audit.db";

/** Where the audit database of a data directory lives. */
export function auditDbPath(dataDir: string): string {
  return join(dataDir, AUDIT_DB_FILE);
}

/** How the audit database is opened. */
export interface SqliteAuditStoreOptions {
  /** An existing database, for reading only (`kmsd audit verify`, `public-key`): nothing is created or migrated. */
  readOnly?: boolean;
  /** Wait for other processes' write lock by polling (blocks the thread): for the writer thread only. */
  pollLocks?: boolean;
}

const META_TRACKING_START = "tracking_start_ms";
const META_PRIVATE_KEY = "digest_signing_key";
const META_PUBLIC_KEY = "digest_public_key";

const DIGEST_COLUMNS = "id, path, start_time, end_time, sha256, signature, first_seq, last_seq, last_hash, newest_event_time";

type Row = Record<string, SQLInputValue>;

/** Opens (creating and migrating, unless read-only) the audit database at `path`. */
export function openSqliteAuditStore(path: string, options: SqliteAuditStoreOptions = {}): SqliteAuditStore {
  if (options.readOnly) return new SqliteAuditStore(new DatabaseSync(path, { readOnly: true, timeout: BUSY_TIMEOUT_MS }), false);
  const db = openSharedDatabase(path);
  try {
    migrateAuditDb(db);
    // From here on the writer thread's waits for the lock are retryWhileLocked's, not SQLite's busy handler's.
    if (options.pollLocks) db.exec("PRAGMA busy_timeout = 0");
  } catch (error) {
    db.close();
    throw error;
  }
  return new SqliteAuditStore(db, options.pollLocks ?? false);
}

/** AuditStore on one connection to audit.db. */
export class SqliteAuditStore implements AuditStore {
  readonly #db: DatabaseSync;
  readonly #pollLocks: boolean;
  readonly #statements = new Map<string, StatementSync>();

  /** Takes an open connection (openSqliteAuditStore opens and migrates it). */
  constructor(db: DatabaseSync, pollLocks: boolean) {
    this.#db = db;
    this.#pollLocks = pollLocks;
  }

  async append(batches: readonly AuditBatch[]): Promise<void> {
    this.#transaction(() => {
      for (const batch of batches) this.#appendBatch(batch);
    });
  }

  async lookup(query: LookupQuery): Promise<LookupPage> {
    return lookupEvents(this.#db, query);
  }

  async keyLastUsage(keyArn: string): Promise<KeyLastUsageRecord | undefined> {
    const row = this.#get("SELECT operation, time_ms, event_id, request_id FROM key_last_usage WHERE key_arn = ?", keyArn);
    return row && { operation: String(row.operation), timeMs: Number(row.time_ms), eventId: String(row.event_id), requestId: String(row.request_id) };
  }

  async trackingStart(nowMs: number): Promise<number> {
    this.#run("INSERT INTO meta(name, value) VALUES (?, ?) ON CONFLICT(name) DO NOTHING", META_TRACKING_START, String(nowMs));
    return Number(this.#meta(META_TRACKING_START));
  }

  async signingKey(): Promise<StoredSigningKey | undefined> {
    return this.#signingKey();
  }

  async saveSigningKey(key: StoredSigningKey): Promise<StoredSigningKey> {
    // Checked again under the write lock: a creator that got there first keeps its pair (both halves, written together).
    return this.#transaction(() => {
      const stored = this.#signingKey();
      if (stored) return stored;
      const insert = "INSERT INTO meta(name, value) VALUES (?, ?)";
      this.#run(insert, META_PRIVATE_KEY, key.wrappedPrivateKey);
      this.#run(insert, META_PUBLIC_KEY, key.publicKeyPem);
      return key;
    });
  }

  async replaceWrappedSigningKey(expected: string, replacement: string): Promise<boolean> {
    return this.#transaction(() => {
      if (this.#meta(META_PRIVATE_KEY) !== expected) return false;
      this.#run("UPDATE meta SET value = ? WHERE name = ?", replacement, META_PRIVATE_KEY);
      return true;
    });
  }

  async chains(): Promise<ChainId[]> {
    return this.#all("SELECT account_id, region FROM chains ORDER BY account_id, region").map((row) => ({
      accountId: String(row.account_id),
      region: String(row.region),
    }));
  }

  async chain(accountId: string, region: string): Promise<ChainState | undefined> {
    const row = this.#get(
      "SELECT last_seq, last_hash, first_seq, first_prev_hash, pruned_before, delivered_seq FROM chains WHERE account_id = ? AND region = ?",
      accountId,
      region,
    );
    return (
      row && {
        accountId,
        region,
        lastSeq: Number(row.last_seq),
        lastHash: String(row.last_hash),
        firstSeq: Number(row.first_seq),
        firstPrevHash: String(row.first_prev_hash),
        prunedBeforeMs: row.pruned_before === null ? undefined : Number(row.pruned_before),
        deliveredSeq: Number(row.delivered_seq),
      }
    );
  }

  async records(accountId: string, region: string, fromSeq: number, toSeq: number): Promise<ChainRecord[]> {
    const rows = this.#all(
      "SELECT seq, prev_hash, hash, event_time, record FROM events WHERE account_id = ? AND region = ? AND seq BETWEEN ? AND ? ORDER BY seq",
      accountId,
      region,
      fromSeq,
      toSeq,
    );
    return rows.map((row) => ({
      seq: Number(row.seq),
      prevHash: String(row.prev_hash),
      hash: String(row.hash),
      timeMs: Number(row.event_time),
      record: String(row.record),
    }));
  }

  async digests(accountId: string, region: string): Promise<DigestEntry[]> {
    return this.#all(`SELECT ${DIGEST_COLUMNS} FROM digests WHERE account_id = ? AND region = ? ORDER BY end_time`, accountId, region).map(digestFromRow);
  }

  async latestDigest(accountId: string, region: string): Promise<DigestEntry | undefined> {
    return this.#latestDigest(accountId, region);
  }

  async logFiles(accountId: string, region: string): Promise<RegisteredLogFile[]> {
    const rows = this.#all(
      "SELECT l.path, l.sha256, l.first_seq, l.last_seq, l.previous_hash, l.last_hash, d.start_time, d.end_time " +
        "FROM log_files l JOIN digests d ON d.id = l.digest_id WHERE d.account_id = ? AND d.region = ?",
      accountId,
      region,
    );
    return rows.map((row) => ({
      path: String(row.path),
      sha256: String(row.sha256),
      firstSeq: Number(row.first_seq),
      lastSeq: Number(row.last_seq),
      previousHash: String(row.previous_hash),
      lastHash: String(row.last_hash),
      digestStartMs: Number(row.start_time),
      digestEndMs: Number(row.end_time),
    }));
  }

  async registerDelivery(delivery: DeliveryRegistration): Promise<boolean> {
    const { accountId, region, digest } = delivery;
    return this.#transaction(() => {
      const current = this.#get("SELECT delivered_seq FROM chains WHERE account_id = ? AND region = ?", accountId, region);
      if (Number(current?.delivered_seq) !== delivery.expected.deliveredSeq || this.#latestDigest(accountId, region)?.id !== delivery.expected.latestDigestId) {
        return false;
      }
      const inserted = this.#run(
        "INSERT INTO digests(account_id, region, path, start_time, end_time, sha256, signature, first_seq, last_seq, last_hash, newest_event_time) " +
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        accountId,
        region,
        digest.path,
        digest.startMs,
        digest.endMs,
        digest.sha256,
        digest.signature,
        digest.firstSeq,
        digest.lastSeq,
        digest.lastHash,
        digest.newestEventMs ?? null,
      );
      for (const file of delivery.logFiles) {
        this.#run(
          "INSERT INTO log_files(digest_id, path, sha256, first_seq, last_seq, previous_hash, last_hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
          inserted.lastInsertRowid,
          file.path,
          file.sha256,
          file.firstSeq,
          file.lastSeq,
          file.previousHash,
          file.lastHash,
        );
      }
      this.#run("UPDATE chains SET delivered_seq = ? WHERE account_id = ? AND region = ?", delivery.deliveredSeq, accountId, region);
      return true;
    });
  }

  async pruneRecords(accountId: string, region: string, fromSeq: number, toSeq: number): Promise<void> {
    this.#transaction(() => {
      const boundary = this.#get("SELECT hash FROM events WHERE account_id = ? AND region = ? AND seq = ?", accountId, region, toSeq);
      this.#run(
        "DELETE FROM event_resources WHERE event_rowid IN (SELECT id FROM events WHERE account_id = ? AND region = ? AND seq BETWEEN ? AND ?)",
        accountId,
        region,
        fromSeq,
        toSeq,
      );
      this.#run("DELETE FROM events WHERE account_id = ? AND region = ? AND seq BETWEEN ? AND ?", accountId, region, fromSeq, toSeq);
      if (boundary) {
        this.#run("UPDATE chains SET first_seq = ?, first_prev_hash = ? WHERE account_id = ? AND region = ?", toSeq + 1, String(boundary.hash), accountId, region);
      }
    });
  }

  async pruneDigests(
    accountId: string,
    region: string,
    digestIds: readonly number[],
    firstKept: { seq: number; prevHash: string; prunedBeforeMs: number },
  ): Promise<string[]> {
    const marks = digestIds.map(() => "?").join(",");
    return this.#transaction(() => {
      // The statement text varies with the number of ids: prepared here, not cached.
      const logs = this.#db.prepare(`SELECT path FROM log_files WHERE digest_id IN (${marks})`).all(...digestIds) as { path: string }[];
      this.#db.prepare(`DELETE FROM log_files WHERE digest_id IN (${marks})`).run(...digestIds);
      this.#db.prepare(`DELETE FROM digests WHERE id IN (${marks})`).run(...digestIds);
      this.#run(
        "UPDATE chains SET first_seq = ?, first_prev_hash = ?, pruned_before = ? WHERE account_id = ? AND region = ?",
        firstKept.seq,
        firstKept.prevHash,
        firstKept.prunedBeforeMs,
        accountId,
        region,
      );
      return logs.map((log) => log.path);
    });
  }

  async snapshotTo(path: string): Promise<void> {
    // VACUUM INTO reads in one transaction: in WAL mode the writer goes on, and the copy is of one moment.
    this.#db.prepare("VACUUM INTO ?").run(path);
  }

  async close(): Promise<void> {
    this.#db.close();
  }

  /** One batch: its events linked after their chains' tails (read under the write lock), resources, new tails, usages. */
  #appendBatch(batch: AuditBatch): void {
    const stored = new Map<string, ChainTail>();
    for (const { accountId, region } of chainsOf(batch.events)) {
      const row = this.#get("SELECT last_seq, last_hash FROM chains WHERE account_id = ? AND region = ?", accountId, region);
      if (row) stored.set(chainKey(accountId, region), { accountId, region, seq: Number(row.last_seq), hash: String(row.last_hash) });
    }
    const { linked, tails } = linkEvents(batch.events, stored);
    for (const { event, seq, prevHash, hash } of linked) {
      const inserted = this.#run(
        "INSERT INTO events(account_id, region, seq, prev_hash, hash, event_time, event_id, event_name, event_source, read_only, username, access_key_id, request_id, record) " +
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        event.accountId,
        event.region,
        seq,
        prevHash,
        hash,
        event.timeMs,
        event.eventId,
        event.eventName,
        event.eventSource,
        event.readOnly ? "true" : "false",
        event.username,
        event.accessKeyId,
        event.requestId,
        event.record,
      );
      event.resources.forEach((resource, index) => {
        // 1 on the first resource of its type: a ResourceType lookup finds each event once.
        const firstOfType = event.resources.findIndex((other) => other.type === resource.type) === index ? 1 : 0;
        this.#run(
          "INSERT INTO event_resources(event_rowid, account_id, region, resource_type, resource_name, event_time, first_of_type) VALUES (?, ?, ?, ?, ?, ?, ?)",
          inserted.lastInsertRowid,
          event.accountId,
          event.region,
          resource.type,
          resource.name,
          event.timeMs,
          firstOfType,
        );
      });
    }
    for (const tail of tails) {
      this.#run(
        "INSERT INTO chains(account_id, region, last_seq, last_hash) VALUES (?, ?, ?, ?) " +
          "ON CONFLICT(account_id, region) DO UPDATE SET last_seq = excluded.last_seq, last_hash = excluded.last_hash",
        tail.accountId,
        tail.region,
        tail.seq,
        tail.hash,
      );
    }
    for (const usage of batch.usages) {
      this.#run(
        "INSERT INTO key_last_usage(key_arn, operation, time_ms, event_id, request_id) VALUES (?, ?, ?, ?, ?) " +
          "ON CONFLICT(key_arn) DO UPDATE SET operation = excluded.operation, time_ms = excluded.time_ms, event_id = excluded.event_id, request_id = excluded.request_id " +
          "WHERE excluded.time_ms >= key_last_usage.time_ms",
        usage.keyArn,
        usage.operation,
        usage.timeMs,
        usage.eventId,
        usage.requestId,
      );
    }
  }

  #signingKey(): StoredSigningKey | undefined {
    const wrappedPrivateKey = this.#meta(META_PRIVATE_KEY);
    const publicKeyPem = this.#meta(META_PUBLIC_KEY);
    return wrappedPrivateKey === undefined || publicKeyPem === undefined ? undefined : { wrappedPrivateKey, publicKeyPem };
  }

  #latestDigest(accountId: string, region: string): DigestEntry | undefined {
    const row = this.#get(`SELECT ${DIGEST_COLUMNS} FROM digests WHERE account_id = ? AND region = ? ORDER BY end_time DESC LIMIT 1`, accountId, region);
    return row && digestFromRow(row);
  }

  #meta(name: string): string | undefined {
    const row = this.#get("SELECT value FROM meta WHERE name = ?", name);
    return row === undefined ? undefined : String(row.value);
  }

  /** One IMMEDIATE transaction; with pollLocks, another process's lock is waited for by polling. */
  #transaction<T>(body: () => T): T {
    return this.#pollLocks ? retryWhileLocked(() => inTransaction(this.#db, body)) : inTransaction(this.#db, body);
  }

  #statement(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  #run(sql: string, ...params: SQLInputValue[]): { lastInsertRowid: number | bigint } {
    return this.#statement(sql).run(...params);
  }

  #get(sql: string, ...params: SQLInputValue[]): Row | undefined {
    return this.#statement(sql).get(...params) as Row | undefined;
  }

  #all(sql: string, ...params: SQLInputValue[]): Row[] {
    return this.#statement(sql).all(...params) as Row[];
  }
}

function digestFromRow(row: Row): DigestEntry {
  return {
    id: Number(row.id),
    path: String(row.path),
    startMs: Number(row.start_time),
    endMs: Number(row.end_time),
    sha256: String(row.sha256),
    signature: String(row.signature),
    firstSeq: Number(row.first_seq),
    lastSeq: Number(row.last_seq),
    lastHash: String(row.last_hash),
    newestEventMs: row.newest_event_time === null ? undefined : Number(row.newest_event_time),
  };
}
