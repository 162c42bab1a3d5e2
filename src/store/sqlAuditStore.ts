/**
 * The AuditStore in portable SQL, written once for every engine on its SqlEngine
 * (sqlEngine.ts): SQLite on audit.db, PostgreSQL in the deployment's database.
 *
 * Chains stay whole under concurrent appenders (workers, nodes): an append makes sure each
 * chain it extends has its tail row (seq 0 for a new chain), reads the tails with the
 * engine's `forUpdate` in one order (account, region), so two appends cannot deadlock, and
 * holds them to commit: under SQLite's IMMEDIATE transaction the whole file is locked
 * already, under PostgreSQL's READ COMMITTED the tail rows are. On PostgreSQL an append to
 * one chain whose tail this store wrote last skips that read: its one statement moves the
 * chain only from the known tail and writes nothing if the chain moved (see
 * #appendAfterKnownTail); either way a chain is extended from its true tail. Group commit is the writer
 * thread's: one append (one transaction, one flush) per writer turn, whatever the number
 * of requests. Within it the statements do not grow with the events either (each one is a
 * round trip on PostgreSQL): the engine writes the linked rows (auditAppend.ts; on PostgreSQL
 * in one statement).
 */
import { GENESIS_HASH } from "../audit/canonicalJson.ts";
import { chainKey, chainsOf, linkEvents, type ChainTail } from "../audit/chain.ts";
import type { AuditEvent, KeyUsage } from "../audit/events.ts";
import { ChainMovedError, latestUsages, type ChainMove } from "./auditAppend.ts";
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
import type { SqlEngine } from "./sqlEngine.ts";
import type { SqlExecutor, SqlRow } from "./sqlRunner.ts";

const META_TRACKING_START = "tracking_start_ms";
const META_PRIVATE_KEY = "digest_signing_key";
const META_PUBLIC_KEY = "digest_public_key";
/** Each chain's delivery status is a meta row (JSON), so it needs no table of its own. */
const metaDeliveryStatus = (accountId: string, region: string) => `delivery_status/${accountId}/${region}`;

/** How long a store appends the locked way after another writer moved one of its chains. */
const CONTENDED_MS = 1_000;

const DIGEST_COLUMNS = "id, path, start_time, end_time, sha256, signature, first_seq, last_seq, last_hash, newest_event_time";

/** AuditStore on an engine's SQL. */
export class SqlAuditStore implements AuditStore {
  readonly #engine: SqlEngine;
  readonly #sql: SqlEngine["sql"];
  /** Each chain's tail as this store's last append to it left it (it may have moved since). */
  readonly #knownTails = new Map<string, ChainTail>();
  /** Until when appends take the locked way (performance.now() ms): another writer moved a chain lately. */
  #contendedUntil = 0;

  constructor(engine: SqlEngine) {
    this.#engine = engine;
    this.#sql = engine.sql;
  }

  async append(batches: readonly AuditBatch[]): Promise<void> {
    const events = batches.flatMap((batch) => batch.events);
    const usages = latestUsages(batches.flatMap((batch) => batch.usages));
    if (await this.#appendAfterKnownTail(events, usages)) return;
    const tails = await this.#engine.writeTransaction(async (tx) => {
      // The batches' events in order, after the tails read under the lock: as if appended one batch after another.
      const stored = await this.#lockTails(tx, chainsOf(events));
      const { linked, tails } = linkEvents(events, stored);
      const moves = tails.map((to): ChainMove => ({ from: stored.get(chainKey(to.accountId, to.region)) ?? missingTail(), to }));
      await this.#engine.writeAppend(tx, { linked, moves, usages });
      return tails;
    });
    for (const tail of tails) this.#knownTails.set(chainKey(tail.accountId, tail.region), tail);
  }

  /**
   * On an engine whose writeAppend is one statement (atomic by itself), an append to one
   * chain whose tail this store wrote last skips the transaction and the locked read: the
   * statement moves the chain only from that tail, and writes nothing if another writer
   * moved it meanwhile. Then (false) the append takes the locked way, and so do this store's
   * appends for CONTENDED_MS: where writers take turns on a chain, the guess would miss.
   */
  async #appendAfterKnownTail(events: readonly AuditEvent[], usages: readonly KeyUsage[]): Promise<boolean> {
    if (!this.#engine.appendIsOneStatement || performance.now() < this.#contendedUntil) return false;
    const [chain, ...others] = chainsOf(events);
    const known = chain && this.#knownTails.get(chainKey(chain.accountId, chain.region));
    if (known === undefined || others.length > 0) return false;
    const { linked, tails } = linkEvents(events, new Map([[chainKey(known.accountId, known.region), known]]));
    try {
      await this.#engine.writeAppend(this.#sql, { linked, moves: tails.map((to) => ({ from: known, to })), usages });
    } catch (error) {
      if (!(error instanceof ChainMovedError)) throw error;
      this.#knownTails.delete(chainKey(known.accountId, known.region));
      this.#contendedUntil = performance.now() + CONTENDED_MS;
      return false;
    }
    for (const tail of tails) this.#knownTails.set(chainKey(tail.accountId, tail.region), tail);
    return true;
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

function missingTail(): never {
  throw new Error("a linked chain's tail was not read");
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
