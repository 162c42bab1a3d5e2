/**
 * The AuditStore in portable SQL, written once for every engine on its SqlEngine
 * (sqlEngine.ts): SQLite on audit.db, PostgreSQL in the deployment's database.
 *
 * Chains stay whole under concurrent appenders (workers, nodes): an append makes sure each
 * chain it extends has its tail row (seq 0 for a new chain), reads the tails with the
 * engine's `forUpdate` in one order (account, region), so two appends cannot deadlock, and
 * holds them to commit: under SQLite's IMMEDIATE transaction the whole file is locked
 * already, under PostgreSQL's READ COMMITTED the tail rows are. Group commit is the writer
 * thread's: one append (one transaction, one flush) per writer turn, whatever the number
 * of requests. Within it the statements do not grow with the events either (each one is a
 * round trip on PostgreSQL): one multi-row INSERT for the events, one for their resources,
 * one UPDATE per chain, one upsert for the keys' last usage.
 */
import { GENESIS_HASH } from "../audit/canonicalJson.ts";
import { chainKey, chainsOf, linkEvents, type ChainTail, type LinkedEvent } from "../audit/chain.ts";
import type { KeyUsage } from "../audit/events.ts";
import { lookupPage, lookupSql } from "./auditLookupSql.ts";
import { optionalNumber } from "./rows.ts";
import type {
  AuditBatch,
  AuditStore,
  ChainId,
  ChainRecord,
  ChainState,
  DeliveryRegistration,
  DeliveryStatus,
  DigestEntry,
  KeyLastUsageRecord,
  LookupPage,
  LookupQuery,
  RegisteredLogFile,
  StoredSigningKey,
} from "./auditStore.ts";
import { valuesChunks } from "./multiRowInsert.ts";
import type { SqlEngine } from "./sqlEngine.ts";
import type { SqlExecutor, SqlRow, SqlValue } from "./sqlRunner.ts";

const META_TRACKING_START = "tracking_start_ms";
const META_PRIVATE_KEY = "digest_signing_key";
const META_PUBLIC_KEY = "digest_public_key";
/** Each chain's delivery status is a meta row (JSON), so it needs no table of its own. */
const metaDeliveryStatus = (accountId: string, region: string) => `delivery_status/${accountId}/${region}`;

const DIGEST_COLUMNS = "id, path, start_time, end_time, sha256, signature, first_seq, last_seq, last_hash, newest_event_time";

/** AuditStore on an engine's SQL. */
export class SqlAuditStore implements AuditStore {
  readonly #engine: SqlEngine;
  readonly #sql: SqlEngine["sql"];

  constructor(engine: SqlEngine) {
    this.#engine = engine;
    this.#sql = engine.sql;
  }

  async append(batches: readonly AuditBatch[]): Promise<void> {
    const events = batches.flatMap((batch) => batch.events);
    const usages = latestUsages(batches.flatMap((batch) => batch.usages));
    await this.#engine.writeTransaction(async (tx) => {
      // The batches' events in order, after the tails read under the lock: as if appended one batch after another.
      const { linked, tails } = linkEvents(events, await this.#lockTails(tx, chainsOf(events)));
      await insertEvents(tx, linked);
      for (const tail of tails) {
        await tx.run("UPDATE chains SET last_seq = ?, last_hash = ? WHERE account_id = ? AND region = ?", tail.seq, tail.hash, tail.accountId, tail.region);
      }
      await upsertLastUsages(tx, usages);
    });
  }

  async lookup(query: LookupQuery): Promise<LookupPage> {
    const { sql, params } = lookupSql(query, this.#engine.indexHints);
    return lookupPage(await this.#sql.all(sql, ...params), query.limit);
  }

  async keyLastUsage(keyArn: string): Promise<KeyLastUsageRecord | undefined> {
    const row = await this.#sql.get("SELECT operation, time_ms, event_id, request_id FROM key_last_usage WHERE key_arn = ?", keyArn);
    return row && { operation: String(row.operation), timeMs: Number(row.time_ms), eventId: String(row.event_id), requestId: String(row.request_id) };
  }

  async trackingStart(nowMs: number): Promise<number> {
    await this.#sql.run("INSERT INTO meta(name, value) VALUES (?, ?) ON CONFLICT(name) DO NOTHING", META_TRACKING_START, String(nowMs));
    return Number(await meta(this.#sql, META_TRACKING_START));
  }

  async signingKey(): Promise<StoredSigningKey | undefined> {
    return signingKey(this.#sql);
  }

  async saveSigningKey(key: StoredSigningKey): Promise<StoredSigningKey> {
    // Both halves in one transaction; a creator that got there first keeps its pair (the
    // private key's insert waits for its commit, then finds the row and changes nothing).
    return this.#engine.writeTransaction(async (tx) => {
      const inserted = await tx.run("INSERT INTO meta(name, value) VALUES (?, ?) ON CONFLICT(name) DO NOTHING", META_PRIVATE_KEY, key.wrappedPrivateKey);
      if (inserted.changes === 0) return (await signingKey(tx)) ?? key;
      await tx.run("INSERT INTO meta(name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value", META_PUBLIC_KEY, key.publicKeyPem);
      return key;
    });
  }

  async replaceWrappedSigningKey(expected: string, replacement: string): Promise<boolean> {
    const result = await this.#sql.run("UPDATE meta SET value = ? WHERE name = ? AND value = ?", replacement, META_PRIVATE_KEY, expected);
    return result.changes === 1;
  }

  async deliveryStatus(accountId: string, region: string): Promise<DeliveryStatus | undefined> {
    const value = await meta(this.#sql, metaDeliveryStatus(accountId, region));
    if (value === undefined) return undefined;
    const stored = JSON.parse(value) as { attemptMs: number; error: string | null; brokenAtSeq: number | null };
    return { accountId, region, attemptMs: stored.attemptMs, error: stored.error ?? undefined, brokenAtSeq: stored.brokenAtSeq ?? undefined };
  }

  async saveDeliveryStatus(status: DeliveryStatus): Promise<void> {
    const value = JSON.stringify({ attemptMs: status.attemptMs, error: status.error ?? null, brokenAtSeq: status.brokenAtSeq ?? null });
    await this.#sql.run(
      "INSERT INTO meta(name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value",
      metaDeliveryStatus(status.accountId, status.region),
      value,
    );
  }

  async chains(): Promise<ChainId[]> {
    const rows = await this.#sql.all("SELECT account_id, region FROM chains ORDER BY account_id, region");
    return rows.map((row) => ({ accountId: String(row.account_id), region: String(row.region) }));
  }

  async chain(accountId: string, region: string): Promise<ChainState | undefined> {
    const row = await this.#sql.get(
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
        prunedBeforeMs: optionalNumber(row.pruned_before),
        deliveredSeq: Number(row.delivered_seq),
      }
    );
  }

  async records(accountId: string, region: string, fromSeq: number, toSeq: number): Promise<ChainRecord[]> {
    const rows = await this.#sql.all(
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
    const rows = await this.#sql.all(`SELECT ${DIGEST_COLUMNS} FROM digests WHERE account_id = ? AND region = ? ORDER BY end_time`, accountId, region);
    return rows.map(digestFromRow);
  }

  async latestDigest(accountId: string, region: string): Promise<DigestEntry | undefined> {
    return latestDigest(this.#sql, accountId, region);
  }

  async logFiles(accountId: string, region: string): Promise<RegisteredLogFile[]> {
    const rows = await this.#sql.all(
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
    return this.#engine.writeTransaction(async (tx) => {
      // The chain's row, held to commit, orders this against other deliveries (and appends) of the chain.
      const current = await tx.get(`SELECT delivered_seq FROM chains WHERE account_id = ? AND region = ?${this.#engine.forUpdate}`, accountId, region);
      if (Number(current?.delivered_seq) !== delivery.expected.deliveredSeq || (await latestDigest(tx, accountId, region))?.id !== delivery.expected.latestDigestId) {
        return false;
      }
      const inserted = await tx.get(
        "INSERT INTO digests(account_id, region, path, start_time, end_time, sha256, signature, first_seq, last_seq, last_hash, newest_event_time) " +
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
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
        await tx.run(
          "INSERT INTO log_files(digest_id, path, sha256, first_seq, last_seq, previous_hash, last_hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
          Number(inserted?.id),
          file.path,
          file.sha256,
          file.firstSeq,
          file.lastSeq,
          file.previousHash,
          file.lastHash,
        );
      }
      await tx.run("UPDATE chains SET delivered_seq = ? WHERE account_id = ? AND region = ?", delivery.deliveredSeq, accountId, region);
      return true;
    });
  }

  async pruneRecords(accountId: string, region: string, fromSeq: number, toSeq: number): Promise<void> {
    await this.#engine.writeTransaction(async (tx) => {
      const boundary = await tx.get("SELECT hash FROM events WHERE account_id = ? AND region = ? AND seq = ?", accountId, region, toSeq);
      await tx.run(
        "DELETE FROM event_resources WHERE event_rowid IN (SELECT id FROM events WHERE account_id = ? AND region = ? AND seq BETWEEN ? AND ?)",
        accountId,
        region,
        fromSeq,
        toSeq,
      );
      await tx.run("DELETE FROM events WHERE account_id = ? AND region = ? AND seq BETWEEN ? AND ?", accountId, region, fromSeq, toSeq);
      if (boundary) {
        await tx.run("UPDATE chains SET first_seq = ?, first_prev_hash = ? WHERE account_id = ? AND region = ?", toSeq + 1, String(boundary.hash), accountId, region);
      }
    });
  }

  async pruneDigests(
    accountId: string,
    region: string,
    digestIds: readonly number[],
    firstKept: { seq: number; prevHash: string; prunedBeforeMs: number },
  ): Promise<string[]> {
    // One placeholder per id (the statement's text varies with their number).
    const ids = `(${digestIds.map(() => "?").join(", ")})`;
    return this.#engine.writeTransaction(async (tx) => {
      const logs = digestIds.length === 0 ? [] : await tx.all(`SELECT path FROM log_files WHERE digest_id IN ${ids}`, ...digestIds);
      if (digestIds.length > 0) {
        await tx.run(`DELETE FROM log_files WHERE digest_id IN ${ids}`, ...digestIds);
        await tx.run(`DELETE FROM digests WHERE id IN ${ids}`, ...digestIds);
      }
      await tx.run(
        "UPDATE chains SET first_seq = ?, first_prev_hash = ?, pruned_before = ? WHERE account_id = ? AND region = ?",
        firstKept.seq,
        firstKept.prevHash,
        firstKept.prunedBeforeMs,
        accountId,
        region,
      );
      return logs.map((log) => String(log.path));
    });
  }

  async snapshotTo(path: string): Promise<void> {
    await this.#engine.snapshotTo(path);
  }

  async close(): Promise<void> {
    await this.#engine.close();
  }

  /**
   * The tails of `chains`, each read with its row held to commit, in one order (account,
   * region) so that two appends cannot deadlock. A new chain's row is made first, at seq 0
   * (only when the read finds none: a chain exists after its first append, so an append
   * pays one statement per chain).
   */
  async #lockTails(tx: SqlExecutor, chains: readonly ChainId[]): Promise<Map<string, ChainTail>> {
    const unique = new Map(chains.map((chain) => [chainKey(chain.accountId, chain.region), chain]));
    const ordered = [...unique.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const tails = new Map<string, ChainTail>();
    const readTail = (accountId: string, region: string) =>
      tx.get(`SELECT last_seq, last_hash FROM chains WHERE account_id = ? AND region = ?${this.#engine.forUpdate}`, accountId, region);
    for (const [key, { accountId, region }] of ordered) {
      let row = await readTail(accountId, region);
      if (!row) {
        await tx.run(
          "INSERT INTO chains(account_id, region, last_seq, last_hash) VALUES (?, ?, 0, ?) ON CONFLICT(account_id, region) DO NOTHING",
          accountId,
          region,
          GENESIS_HASH,
        );
        row = await readTail(accountId, region);
      }
      if (!row) throw new Error("chain tail row missing after insert");
      tails.set(key, { accountId, region, seq: Number(row.last_seq), hash: String(row.last_hash) });
    }
    return tails;
  }
}

const EVENT_COLUMNS = "account_id, region, seq, prev_hash, hash, event_time, event_id, event_name, event_source, read_only, username, access_key_id, request_id, record";
const RESOURCE_COLUMNS = "event_rowid, account_id, region, resource_type, resource_name, event_time, first_of_type";
const USAGE_COLUMNS = "key_arn, operation, time_ms, event_id, request_id";

/** Inserts linked events and their resources, each table in as few statements as its parameters allow. */
async function insertEvents(tx: SqlExecutor, linked: readonly LinkedEvent[]): Promise<void> {
  const eventRows = linked.map(({ event, seq, prevHash, hash }): SqlValue[] => [
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
  ]);
  // RETURNING promises no order: each id is matched to its event by its place in its chain.
  const rowIds = new Map<string, number>();
  for (const { values, params } of valuesChunks(eventRows, 14)) {
    const rows = await tx.all(`INSERT INTO events(${EVENT_COLUMNS}) VALUES ${values} RETURNING id, account_id, region, seq`, ...params);
    for (const row of rows) rowIds.set(placeInChain(String(row.account_id), String(row.region), Number(row.seq)), Number(row.id));
  }
  const resourceRows: SqlValue[][] = [];
  for (const { event, seq } of linked) {
    const rowId = rowIds.get(placeInChain(event.accountId, event.region, seq));
    if (rowId === undefined) throw new Error("an inserted event's id was not returned");
    for (const [index, resource] of event.resources.entries()) {
      // 1 on the first resource of its type: a ResourceType lookup finds each event once.
      const firstOfType = event.resources.findIndex((other) => other.type === resource.type) === index ? 1 : 0;
      resourceRows.push([rowId, event.accountId, event.region, resource.type, resource.name, event.timeMs, firstOfType]);
    }
  }
  for (const { values, params } of valuesChunks(resourceRows, 7)) await tx.run(`INSERT INTO event_resources(${RESOURCE_COLUMNS}) VALUES ${values}`, ...params);
}

function placeInChain(accountId: string, region: string, seq: number): string {
  return `${chainKey(accountId, region)}\u0000${seq}`;
}

/**
 * One usage per key: the one a row-by-row upsert (`WHERE excluded.time_ms >= time_ms`) would
 * leave, the last of the latest. One statement may not upsert a row twice (PostgreSQL refuses).
 */
function latestUsages(usages: readonly KeyUsage[]): KeyUsage[] {
  const latest = new Map<string, KeyUsage>();
  for (const usage of usages) {
    const kept = latest.get(usage.keyArn);
    if (!kept || usage.timeMs >= kept.timeMs) latest.set(usage.keyArn, usage);
  }
  return [...latest.values()];
}

/** Records each key's last usage, never moving one back in time. */
async function upsertLastUsages(tx: SqlExecutor, usages: readonly KeyUsage[]): Promise<void> {
  const rows = usages.map((usage): SqlValue[] => [usage.keyArn, usage.operation, usage.timeMs, usage.eventId, usage.requestId]);
  for (const { values, params } of valuesChunks(rows, 5)) {
    await tx.run(
      `INSERT INTO key_last_usage(${USAGE_COLUMNS}) VALUES ${values} ` +
        "ON CONFLICT(key_arn) DO UPDATE SET operation = excluded.operation, time_ms = excluded.time_ms, event_id = excluded.event_id, request_id = excluded.request_id " +
        "WHERE excluded.time_ms >= key_last_usage.time_ms",
      ...params,
    );
  }
}

async function signingKey(sql: SqlExecutor): Promise<StoredSigningKey | undefined> {
  const wrappedPrivateKey = await meta(sql, META_PRIVATE_KEY);
  const publicKeyPem = await meta(sql, META_PUBLIC_KEY);
  return wrappedPrivateKey === undefined || publicKeyPem === undefined ? undefined : { wrappedPrivateKey, publicKeyPem };
}

async function latestDigest(sql: SqlExecutor, accountId: string, region: string): Promise<DigestEntry | undefined> {
  const row = await sql.get(`SELECT ${DIGEST_COLUMNS} FROM digests WHERE account_id = ? AND region = ? ORDER BY end_time DESC LIMIT 1`, accountId, region);
  return row && digestFromRow(row);
}

async function meta(sql: SqlExecutor, name: string): Promise<string | undefined> {
  const row = await sql.get("SELECT value FROM meta WHERE name = ?", name);
  return row === undefined ? undefined : String(row.value);
}

function digestFromRow(row: SqlRow): DigestEntry {
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
    newestEventMs: optionalNumber(row.newest_event_time),
  };
}
