/**
 * Log file delivery: for every (account, region) chain, the events not yet delivered go
 * into gzip JSON log files (`{"Records":[...]}`, at most RECORDS_PER_FILE each), then one
 * signed digest file lists them (digest.ts), refers to the chain's previous digest and
 * states what retention pruned. Files are written and fsynced before they are registered
 * in audit.db; registration is a compare-and-set on the chain's delivery state, so two
 * deliveries racing (the server's hourly one and `kmsd audit export`) never both count.
 *
 * Retention prunes whole digests, oldest first, whose every event is older than the
 * cutoff: their events, log files and digest go, and the chain then starts at the first
 * record kept, which the next digest names (that digest is written even if empty).
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { DatabaseSync } from "node:sqlite";
import { promisify } from "node:util";
import { gzip as gzipCallback } from "node:zlib";
import { inTransaction } from "./auditDb.ts";
import { sha256Hex } from "./canonicalJson.ts";
import { digestStringToSign, type DigestFile, type DigestLogFile } from "./digest.ts";
import { digestKey, LOG_BUCKET, logFileKey, SIGNATURE_SUFFIX } from "./logPaths.ts";
import type { DigestSigner } from "./signingKey.ts";
import { isoSeconds } from "./times.ts";

const gzip = promisify(gzipCallback);

/** The most records one log file holds. */
export const RECORDS_PER_FILE = 5000;
/** Records deleted per transaction when pruning (keeps each write, and each pause of the event loop, short). */
const PRUNE_CHUNK = 2000;

/** What one delivery did. */
export interface DeliveryResult {
  logFiles: string[];
  digests: string[];
  prunedDigests: number;
}

interface ChainRow {
  account_id: string;
  region: string;
  last_seq: number;
  first_seq: number;
  first_prev_hash: string;
  pruned_before: number | null;
  delivered_seq: number;
}

interface DigestRow {
  id: number;
  path: string;
  end_time: number;
  sha256: string;
  signature: string;
  last_seq: number;
  last_hash: string;
  newest_event_time: number | null;
}

interface WrittenLogFile {
  entry: DigestLogFile;
  firstSeq: number;
  lastSeq: number;
}

/** Raised when another delivery registered first; this one's files are discarded. */
class LostRace extends Error {}

/** Delivers log and digest files from an audit database into an audit directory. */
export class LogDelivery {
  readonly #db: DatabaseSync;
  readonly #dir: string;
  readonly #signer: DigestSigner;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(db: DatabaseSync, dir: string, signer: DigestSigner) {
    this.#db = db;
    this.#dir = dir;
    this.#signer = signer;
  }

  /** Delivers every chain's pending events (one delivery at a time); prunes first if `retentionMs` is set. */
  deliver(nowMs: number, retentionMs?: number): Promise<DeliveryResult> {
    const run = this.#queue.then(() => this.#deliverAll(nowMs, retentionMs));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #deliverAll(nowMs: number, retentionMs: number | undefined): Promise<DeliveryResult> {
    const result: DeliveryResult = { logFiles: [], digests: [], prunedDigests: 0 };
    const chains = this.#db.prepare("SELECT account_id, region FROM chains ORDER BY account_id, region").all() as { account_id: string; region: string }[];
    for (const { account_id: accountId, region } of chains) {
      const pruned = retentionMs === undefined ? 0 : await this.#prune(accountId, region, nowMs - retentionMs);
      result.prunedDigests += pruned;
      await this.#deliverChain(accountId, region, nowMs, pruned > 0, result);
    }
    return result;
  }

  async #deliverChain(accountId: string, region: string, nowMs: number, mustWriteDigest: boolean, result: DeliveryResult): Promise<void> {
    const chain = this.#chain(accountId, region);
    if (!chain || (chain.last_seq <= chain.delivered_seq && !mustWriteDigest)) return;
    const previous = this.#latestDigest(accountId, region);
    const firstSeq = Math.max(chain.delivered_seq + 1, chain.first_seq);
    const startHash = previous?.last_hash ?? chain.first_prev_hash;
    const written: WrittenLogFile[] = [];
    const paths: string[] = [];
    try {
      let previousHash = startHash;
      for (let from = firstSeq; from <= chain.last_seq; from += RECORDS_PER_FILE) {
        const to = Math.min(from + RECORDS_PER_FILE - 1, chain.last_seq);
        const file = await this.#writeLogFile(accountId, region, from, to, previousHash, nowMs);
        if (!file) continue;
        written.push(file);
        paths.push(file.entry.s3Object);
        previousHash = file.entry.kmsdRecordChain.lastHash;
      }
      const lastSeq = chain.last_seq < firstSeq ? firstSeq - 1 : chain.last_seq;
      const endMs = Math.max(Math.floor(nowMs / 1000) * 1000, (previous?.end_time ?? 0) + 1000);
      const times = written.flatMap((file) => [Date.parse(file.entry.oldestEventTime), Date.parse(file.entry.newestEventTime)]);
      const oldestMs = times.length ? Math.min(...times) : undefined;
      const newestMs = times.length ? Math.max(...times) : undefined;
      const key = digestKey(accountId, region, endMs);
      const digest: DigestFile = {
        awsAccountId: accountId,
        digestStartTime: isoSeconds(previous?.end_time ?? Math.min(oldestMs ?? endMs, endMs)),
        digestEndTime: isoSeconds(endMs),
        digestS3Bucket: LOG_BUCKET,
        digestS3Object: key,
        digestPublicKeyFingerprint: this.#signer.fingerprint,
        digestSignatureAlgorithm: "SHA256withRSA",
        newestEventTime: newestMs === undefined ? null : isoSeconds(newestMs),
        oldestEventTime: oldestMs === undefined ? null : isoSeconds(oldestMs),
        previousDigestS3Bucket: previous ? LOG_BUCKET : null,
        previousDigestS3Object: previous?.path ?? null,
        previousDigestHashValue: previous?.sha256 ?? null,
        previousDigestHashAlgorithm: previous ? "SHA-256" : null,
        previousDigestSignature: previous?.signature ?? null,
        logFiles: written.map((file) => file.entry),
        kmsdRecordChain: { firstSeq, lastSeq, previousHash: startHash, lastHash: previousHash },
        kmsdRetention: {
          prunedBefore: chain.pruned_before === null ? null : isoSeconds(chain.pruned_before),
          firstKeptSeq: chain.first_seq,
          firstKeptPreviousHash: chain.first_prev_hash,
        },
      };
      const text = JSON.stringify(digest);
      const sha256 = sha256Hex(text);
      const signature = this.#signer.sign(digestStringToSign(digest, sha256));
      await this.#writeFile(key, await gzip(text));
      paths.push(key);
      await this.#writeFile(key + SIGNATURE_SUFFIX, Buffer.from(signature + "\n", "utf8"));
      paths.push(key + SIGNATURE_SUFFIX);
      inTransaction(this.#db, () => {
        const current = this.#chain(accountId, region);
        if (current?.delivered_seq !== chain.delivered_seq || this.#latestDigest(accountId, region)?.id !== previous?.id) throw new LostRace();
        const inserted = this.#db
          .prepare(
            "INSERT INTO digests(account_id, region, path, start_time, end_time, sha256, signature, first_seq, last_seq, last_hash, newest_event_time) " +
              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          )
          .run(accountId, region, key, Date.parse(digest.digestStartTime), endMs, sha256, signature, firstSeq, lastSeq, previousHash, newestMs ?? null);
        const insertLog = this.#db.prepare(
          "INSERT INTO log_files(digest_id, path, sha256, first_seq, last_seq, previous_hash, last_hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
        );
        for (const file of written) {
          const chainRange = file.entry.kmsdRecordChain;
          insertLog.run(inserted.lastInsertRowid, file.entry.s3Object, file.entry.hashValue, file.firstSeq, file.lastSeq, chainRange.previousHash, chainRange.lastHash);
        }
        this.#db.prepare("UPDATE chains SET delivered_seq = ? WHERE account_id = ? AND region = ?").run(lastSeq, accountId, region);
      });
      result.logFiles.push(...written.map((file) => file.entry.s3Object));
      result.digests.push(key);
    } catch (error) {
      await Promise.all(paths.map((path) => rm(join(this.#dir, path), { force: true })));
      // Another process delivering the same range at the same second wrote this digest first: it delivers, this one stops.
      if (error instanceof LostRace || (error as NodeJS.ErrnoException).code === "EEXIST") return;
      throw error;

    }
  }

  /** Writes the log file of records `from`..`to` (those that exist); undefined if there are none. */
  async #writeLogFile(accountId: string, region: string, from: number, to: number, previousHash: string, nowMs: number): Promise<WrittenLogFile | undefined> {
    const rows = this.#db
      .prepare("SELECT seq, hash, event_time, record FROM events WHERE account_id = ? AND region = ? AND seq BETWEEN ? AND ? ORDER BY seq")
      .all(accountId, region, from, to) as { seq: number; hash: string; event_time: number; record: string }[];
    const last = rows.at(-1);
    if (!last) return undefined;
    const content = `{"Records":[${rows.map((row) => row.record).join(",")}]}`;
    const key = logFileKey(accountId, region, nowMs, randomBytes(8).toString("hex"));
    await this.#writeFile(key, await gzip(content));
    const times = rows.map((row) => row.event_time);
    return {
      firstSeq: from,
      lastSeq: to,
      entry: {
        s3Bucket: LOG_BUCKET,
        s3Object: key,
        hashValue: sha256Hex(content),
        hashAlgorithm: "SHA-256",
        newestEventTime: isoSeconds(Math.max(...times)),
        oldestEventTime: isoSeconds(Math.min(...times)),
        kmsdRecordChain: { firstSeq: from, lastSeq: to, previousHash, lastHash: last.hash },
      },
    };
  }

  /** Prunes the oldest digests whose events are all older than `cutoffMs`; returns how many. */
  async #prune(accountId: string, region: string, cutoffMs: number): Promise<number> {
    const digests = this.#db
      .prepare("SELECT id, path, end_time, sha256, signature, last_seq, last_hash, newest_event_time FROM digests WHERE account_id = ? AND region = ? ORDER BY end_time")
      .all(accountId, region) as unknown as DigestRow[];
    const expired: DigestRow[] = [];
    for (const digest of digests) {
      if (digest.end_time >= cutoffMs || (digest.newest_event_time ?? 0) >= cutoffMs) break;
      expired.push(digest);
    }
    const last = expired.at(-1);
    if (!last) return 0;
    const chain = this.#chain(accountId, region);
    for (let from = chain?.first_seq ?? 1; from <= last.last_seq; from += PRUNE_CHUNK) {
      const to = Math.min(from + PRUNE_CHUNK - 1, last.last_seq);
      inTransaction(this.#db, () => {
        const boundary = this.#db.prepare("SELECT hash FROM events WHERE account_id = ? AND region = ? AND seq = ?").get(accountId, region, to) as { hash: string } | undefined;
        this.#db
          .prepare("DELETE FROM event_resources WHERE event_rowid IN (SELECT id FROM events WHERE account_id = ? AND region = ? AND seq BETWEEN ? AND ?)")
          .run(accountId, region, from, to);
        this.#db.prepare("DELETE FROM events WHERE account_id = ? AND region = ? AND seq BETWEEN ? AND ?").run(accountId, region, from, to);
        if (boundary) this.#db.prepare("UPDATE chains SET first_seq = ?, first_prev_hash = ? WHERE account_id = ? AND region = ?").run(to + 1, boundary.hash, accountId, region);
      });
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const ids = expired.map((digest) => digest.id);
    const marks = ids.map(() => "?").join(",");
    const logPaths = inTransaction(this.#db, () => {
      const logs = this.#db.prepare(`SELECT path FROM log_files WHERE digest_id IN (${marks})`).all(...ids) as { path: string }[];
      this.#db.prepare(`DELETE FROM log_files WHERE digest_id IN (${marks})`).run(...ids);
      this.#db.prepare(`DELETE FROM digests WHERE id IN (${marks})`).run(...ids);
      this.#db
        .prepare("UPDATE chains SET first_seq = ?, first_prev_hash = ?, pruned_before = ? WHERE account_id = ? AND region = ?")
        .run(last.last_seq + 1, last.last_hash, last.end_time, accountId, region);
      return logs.map((log) => log.path);
    });
    const files = [...logPaths, ...expired.flatMap((digest) => [digest.path, digest.path + SIGNATURE_SUFFIX])];
    await Promise.all(files.map((path) => rm(join(this.#dir, path), { force: true })));
    return expired.length;
  }

  async #writeFile(key: string, data: Buffer): Promise<void> {
    const path = join(this.#dir, key);
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const handle = await open(path, "wx", 0o600);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  #chain(accountId: string, region: string): ChainRow | undefined {
    return this.#db
      .prepare("SELECT account_id, region, last_seq, first_seq, first_prev_hash, pruned_before, delivered_seq FROM chains WHERE account_id = ? AND region = ?")
      .get(accountId, region) as ChainRow | undefined;
  }

  #latestDigest(accountId: string, region: string): DigestRow | undefined {
    return this.#db
      .prepare("SELECT id, path, end_time, sha256, signature, last_seq, last_hash, newest_event_time FROM digests WHERE account_id = ? AND region = ? ORDER BY end_time DESC LIMIT 1")
      .get(accountId, region) as DigestRow | undefined;
  }
}
