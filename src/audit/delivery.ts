/**
 * Log file delivery: for every (account, region) chain, the events not yet delivered go
 * into gzip JSON log files (`{"Records":[...]}`, at most RECORDS_PER_FILE each), then one
 * signed digest file lists them (digest.ts), refers to the chain's previous digest and
 * states what retention pruned. Files are written and fsynced before they are registered
 * in the audit store; registration is a compare-and-set on the chain's delivery state, so
 * two deliveries racing (the server's hourly one and `kmsd audit export`) never both count.
 *
 * Before signing, delivery checks that the records it delivers chain from the last signed
 * hash (it reads every one of them anyway); the first break it finds is kept in the chain's
 * delivery status with the latest attempt's outcome, which GetTrailStatus reports.
 *
 * Retention prunes whole digests, oldest first, whose every event is older than the
 * cutoff: their events, log files and digest go, and the chain then starts at the first
 * record kept, which the next digest names (that digest is written even if empty).
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { gzip as gzipCallback } from "node:zlib";
import type { AuditStore, ChainRecord, DigestEntry } from "../store/auditStore.ts";
import { log } from "../server/log.ts";
import { sha256Hex } from "./canonicalJson.ts";
import { firstBreak } from "./chain.ts";
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

interface WrittenLogFile {
  entry: DigestLogFile;
  firstSeq: number;
  lastSeq: number;
}

/** Delivers log and digest files from an audit store into an audit directory. */
export class LogDelivery {
  readonly #store: AuditStore;
  readonly #dir: string;
  readonly #signer: DigestSigner;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(store: AuditStore, dir: string, signer: DigestSigner) {
    this.#store = store;
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
    for (const { accountId, region } of await this.#store.chains()) {
      try {
        const pruned = retentionMs === undefined ? 0 : await this.#prune(accountId, region, nowMs - retentionMs);
        result.prunedDigests += pruned;
        await this.#deliverChain(accountId, region, nowMs, pruned > 0, result);
      } catch (error) {
        await this.#saveStatus(accountId, region, nowMs, errorCode(error), undefined);
        throw error;
      }
    }
    return result;
  }

  /** Records a chain's latest delivery attempt; a break found before stays recorded. */
  async #saveStatus(accountId: string, region: string, nowMs: number, error: string | undefined, brokenAtSeq: number | undefined): Promise<void> {
    try {
      const previous = await this.#store.deliveryStatus(accountId, region);
      await this.#store.saveDeliveryStatus({ accountId, region, attemptMs: nowMs, error, brokenAtSeq: previous?.brokenAtSeq ?? brokenAtSeq });
    } catch (saveError) {
      // The status only reports on deliveries: failing to save it must not fail (or hide the error of) the delivery itself.
      log.error("audit delivery status not saved", { accountId, region, error: String(saveError) });
    }
  }

  async #deliverChain(accountId: string, region: string, nowMs: number, mustWriteDigest: boolean, result: DeliveryResult): Promise<void> {
    const chain = await this.#store.chain(accountId, region);
    if (!chain || (chain.lastSeq <= chain.deliveredSeq && !mustWriteDigest)) return;
    const previous = await this.#store.latestDigest(accountId, region);
    const firstSeq = Math.max(chain.deliveredSeq + 1, chain.firstSeq);
    const startHash = previous?.lastHash ?? chain.firstPrevHash;
    const written: WrittenLogFile[] = [];
    const paths: string[] = [];
    let brokenAtSeq: number | undefined;
    try {
      let previousHash = startHash;
      for (let from = firstSeq; from <= chain.lastSeq; from += RECORDS_PER_FILE) {
        const to = Math.min(from + RECORDS_PER_FILE - 1, chain.lastSeq);
        const rows = await this.#store.records(accountId, region, from, to);
        brokenAtSeq ??= firstBreak(rows, from, previousHash) ?? (rows.length < to - from + 1 ? from + rows.length : undefined);
        const file = await this.#writeLogFile(accountId, region, rows, from, to, previousHash, nowMs);
        if (!file) continue;
        written.push(file);
        paths.push(file.entry.s3Object);
        previousHash = file.entry.kmsdRecordChain.lastHash;
      }
      const lastSeq = chain.lastSeq < firstSeq ? firstSeq - 1 : chain.lastSeq;
      const endMs = Math.max(Math.floor(nowMs / 1000) * 1000, (previous?.endMs ?? 0) + 1000);
      const times = written.flatMap((file) => [Date.parse(file.entry.oldestEventTime), Date.parse(file.entry.newestEventTime)]);
      const oldestMs = times.length ? Math.min(...times) : undefined;
      const newestMs = times.length ? Math.max(...times) : undefined;
      const key = digestKey(accountId, region, endMs);
      const digest: DigestFile = {
        awsAccountId: accountId,
        digestStartTime: isoSeconds(previous?.endMs ?? Math.min(oldestMs ?? endMs, endMs)),
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
          prunedBefore: chain.prunedBeforeMs === undefined ? null : isoSeconds(chain.prunedBeforeMs),
          firstKeptSeq: chain.firstSeq,
          firstKeptPreviousHash: chain.firstPrevHash,
        },
      };
      const text = JSON.stringify(digest);
      const sha256 = sha256Hex(text);
      const signature = this.#signer.sign(digestStringToSign(digest, sha256));
      await this.#writeFile(key, await gzip(text));
      paths.push(key);
      await this.#writeFile(key + SIGNATURE_SUFFIX, Buffer.from(signature + "\n", "utf8"));
      paths.push(key + SIGNATURE_SUFFIX);
      const registered = await this.#store.registerDelivery({
        accountId,
        region,
        expected: { deliveredSeq: chain.deliveredSeq, latestDigestId: previous?.id },
        digest: {
          path: key,
          startMs: Date.parse(digest.digestStartTime),
          endMs,
          sha256,
          signature,
          firstSeq,
          lastSeq,
          lastHash: previousHash,
          newestEventMs: newestMs,
        },
        logFiles: written.map((file) => ({
          path: file.entry.s3Object,
          sha256: file.entry.hashValue,
          firstSeq: file.firstSeq,
          lastSeq: file.lastSeq,
          previousHash: file.entry.kmsdRecordChain.previousHash,
          lastHash: file.entry.kmsdRecordChain.lastHash,
        })),
        deliveredSeq: lastSeq,
      });
      // Another delivery registered first: it delivers, this one's files are discarded.
      if (!registered) {
        await discard(this.#dir, paths);
        return;
      }
      result.logFiles.push(...written.map((file) => file.entry.s3Object));
      result.digests.push(key);
      await this.#saveStatus(accountId, region, nowMs, undefined, brokenAtSeq);
    } catch (error) {
      await discard(this.#dir, paths);
      // Another process delivering the same range at the same second wrote this digest first: it delivers, this one stops.
      if ((error as NodeJS.ErrnoException).code === "EEXIST") return;
      throw error;
    }
  }

  /** Writes the log file of records `from`..`to` (the `rows` that exist); undefined if there are none. */
  async #writeLogFile(accountId: string, region: string, rows: ChainRecord[], from: number, to: number, previousHash: string, nowMs: number): Promise<WrittenLogFile | undefined> {
    const last = rows.at(-1);
    if (!last) return undefined;
    const content = `{"Records":[${rows.map((row) => row.record).join(",")}]}`;
    const key = logFileKey(accountId, region, nowMs, randomBytes(8).toString("hex"));
    await this.#writeFile(key, await gzip(content));
    const times = rows.map((row) => row.timeMs);
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
    const expired: DigestEntry[] = [];
    for (const digest of await this.#store.digests(accountId, region)) {
      if (digest.endMs >= cutoffMs || (digest.newestEventMs ?? 0) >= cutoffMs) break;
      expired.push(digest);
    }
    const last = expired.at(-1);
    if (!last) return 0;
    const chain = await this.#store.chain(accountId, region);
    for (let from = chain?.firstSeq ?? 1; from <= last.lastSeq; from += PRUNE_CHUNK) {
      await this.#store.pruneRecords(accountId, region, from, Math.min(from + PRUNE_CHUNK - 1, last.lastSeq));
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const logPaths = await this.#store.pruneDigests(
      accountId,
      region,
      expired.map((digest) => digest.id),
      { seq: last.lastSeq + 1, prevHash: last.lastHash, prunedBeforeMs: last.endMs },
    );
    const files = [...logPaths, ...expired.flatMap((digest) => [digest.path, digest.path + SIGNATURE_SUFFIX])];
    await discard(this.#dir, files);
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
}

/** Removes files of the audit directory (those that exist). */
async function discard(dir: string, paths: readonly string[]): Promise<void> {
  await Promise.all(paths.map((path) => rm(join(dir, path), { force: true })));
}

/** What GetTrailStatus may say of a failed delivery: the error's code (as CloudTrail gives S3's), never its text, which names paths. */
function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === "string" && /^[A-Za-z0-9_]{1,64}$/.test(code) ? code : "InternalError";
}
