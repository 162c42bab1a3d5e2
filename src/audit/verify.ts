/**
 * `kmsd audit verify`: checks a data directory's audit trail the way `aws cloudtrail
 * validate-logs` checks a trail, and more, since it also has the records' database:
 *
 * - digest files: each one's signature (SHA256withRSA over CloudTrail's string to sign) and
 *   location, and the chain of digests (each names its predecessor's hash and signature);
 * - log files: each one's SHA-256 against the digest that lists it;
 * - records: inside each log file against the audit store (audit.db), and its hash chain itself.
 *
 * Files are reported valid, modified, deleted (known to have existed: listed in a digest or
 * in audit.db, or named by a later digest, and not pruned), missing (delivered records no
 * digest covers) or unlisted (a log file nothing lists). Records are reported inserted,
 * removed, reordered or altered, in a log file or in the database. Where a log file is
 * valid it is the reference for the database's copy of its records; where it is not but the
 * database's records still chain to the digest's signed hashes, the database is the
 * reference for the file; otherwise the database's own chain locates what changed.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { gunzipSync } from "node:zlib";
import type { AuditStore, ChainRecord } from "../store/auditStore.ts";
import { auditDbPath, openSqliteAuditStore } from "../store/sqlite/sqliteAuditStore.ts";
import { canonicalJson, chainHash, GENESIS_HASH, sha256Hex } from "./canonicalJson.ts";
import { firstBreak } from "./chain.ts";
import { digestStringToSign, type DigestFile } from "./digest.ts";
import { auditDir, digestKeyEndMs, SIGNATURE_SUFFIX } from "./logPaths.ts";
import { diffRecords, type RecordChange, type RecordItem } from "./recordDiff.ts";
import { readPublicKey, verifySignature, type DigestPublicKey } from "./signingKey.ts";

/** What to verify. */
export interface VerifyOptions {
  dataDir: string;
  accountId?: string | undefined;
  region?: string | undefined;
  /** Only digests, log files and records of this time window (ms, inclusive). */
  startMs?: number | undefined;
  endMs?: number | undefined;
}

/** The state of one digest or log file. */
export type FileStatus = "valid" | "modified" | "deleted" | "missing" | "unlisted";

/** One digest or log file's result. */
export interface FileFinding {
  kind: "digest" | "log";
  accountId: string;
  region: string;
  path: string;
  status: FileStatus;
  detail?: string;
}

/** One record found changed. */
export interface RecordFinding {
  accountId: string;
  region: string;
  status: RecordChange;
  where: "log file" | "database";
  eventId?: string;
  seq?: number;
  file?: string;
  detail?: string;
}

/** The whole result; `ok` is false if anything is not valid. */
export interface VerifyReport {
  chains: { accountId: string; region: string }[];
  files: FileFinding[];
  records: RecordFinding[];
  ok: boolean;
}

interface ParsedDigest {
  path: string;
  digest: DigestFile | undefined;
  sha256: string;
  signature: string | undefined;
  endMs: number;
  problem: string | undefined;
}

/** A log file as a digest (or, failing that, audit.db) lists it. */
interface ListedLog {
  path: string;
  sha256: string;
  firstSeq: number;
  lastSeq: number;
  previousHash: string;
  lastHash: string;
  /** Listed by a valid digest (signed), not only by audit.db. */
  signed: boolean;
  oldestMs: number | undefined;
  newestMs: number | undefined;
}

/** Verifies the audit trail of a data directory. */
export async function verifyAuditTrail(options: VerifyOptions): Promise<VerifyReport> {
  const dbPath = auditDbPath(options.dataDir);
  if (!existsSync(dbPath)) throw new Error(`no audit database (${dbPath})`);
  const store = openSqliteAuditStore(dbPath, { readOnly: true });
  try {
    return await verifyStoredTrail(store, auditDir(options.dataDir), options);
  } finally {
    await store.close();
  }
}

/** Verifies an audit store against the log and digest files of an audit directory. */
export async function verifyStoredTrail(store: AuditStore, dir: string, options: Omit<VerifyOptions, "dataDir">): Promise<VerifyReport> {
  const report: VerifyReport = { chains: [], files: [], records: [], ok: true };
  const publicKey = await readPublicKey(store);
  for (const chain of await chainsOf(store, dir)) {
    if (options.accountId !== undefined && chain.accountId !== options.accountId) continue;
    if (options.region !== undefined && chain.region !== options.region) continue;
    report.chains.push(chain);
    await new ChainVerifier(store, dir, publicKey, chain.accountId, chain.region, options, report).run();
  }
  report.ok = report.records.length === 0 && report.files.every((file) => file.status === "valid");
  return report;
}

/** The (account, region) chains in the audit store and in the audit directory. */
async function chainsOf(store: AuditStore, dir: string): Promise<{ accountId: string; region: string }[]> {
  const found = new Map<string, { accountId: string; region: string }>();
  for (const chain of await store.chains()) found.set(`${chain.accountId}/${chain.region}`, chain);
  const logs = join(dir, "AWSLogs");
  for (const accountId of listDir(logs)) {
    for (const kind of ["CloudTrail", "CloudTrail-Digest"]) {
      for (const region of listDir(join(logs, accountId, kind))) found.set(`${accountId}/${region}`, { accountId, region });
    }
  }
  return [...found.values()].sort((a, b) => `${a.accountId}/${a.region}`.localeCompare(`${b.accountId}/${b.region}`));
}

class ChainVerifier {
  readonly #store: AuditStore;
  readonly #dir: string;
  readonly #publicKey: DigestPublicKey | undefined;
  readonly #accountId: string;
  readonly #region: string;
  readonly #options: Omit<VerifyOptions, "dataDir">;
  readonly #report: VerifyReport;

  constructor(
    store: AuditStore,
    dir: string,
    publicKey: DigestPublicKey | undefined,
    accountId: string,
    region: string,
    options: Omit<VerifyOptions, "dataDir">,
    report: VerifyReport,
  ) {
    this.#store = store;
    this.#dir = dir;
    this.#publicKey = publicKey;
    this.#accountId = accountId;
    this.#region = region;
    this.#options = options;
    this.#report = report;
  }

  async run(): Promise<void> {
    const chain = await this.#store.chain(this.#accountId, this.#region);
    const firstKept = chain?.firstSeq ?? 1;
    const registry = new Map((await this.#store.digests(this.#accountId, this.#region)).map((digest) => [digest.path, digest]));

    // Digests: signature, location, links.
    const parsed = new Map<string, ParsedDigest>();
    for (const path of this.#files("CloudTrail-Digest").filter((file) => file.endsWith(".json.gz"))) {
      parsed.set(path, this.#parseDigest(path, registry.get(path)?.signature));
    }
    const valid = [...parsed.values()].filter((entry) => entry.problem === undefined).sort((a, b) => a.endMs - b.endMs);
    const retention = valid.at(-1)?.digest?.kmsdRetention;
    const prunedBeforeMs = retention?.prunedBefore ? Date.parse(retention.prunedBefore) : undefined;
    const pruned = (endMs: number | undefined) => prunedBeforeMs !== undefined && endMs !== undefined && endMs <= prunedBeforeMs;
    const known = new Map<string, number | undefined>([...registry.values()].map((digest) => [digest.path, digest.endMs]));
    for (const entry of valid) {
      const digest = entry.digest as DigestFile;
      const previousPath = digest.previousDigestS3Object;
      if (previousPath === null) continue;
      const previous = parsed.get(previousPath);
      if (!previous) known.set(previousPath, known.get(previousPath) ?? digestKeyEndMs(previousPath));
      else if (previous.problem === undefined && (digest.previousDigestSignature !== previous.signature || digest.previousDigestHashValue !== previous.sha256)) {
        previous.problem = "it is not the digest its successor signed (hash or signature differ)";
      }
    }
    for (const entry of [...parsed.values()].sort((a, b) => a.endMs - b.endMs)) {
      if (!this.#inWindow(entry.digest ? Date.parse(entry.digest.digestStartTime) : entry.endMs, entry.endMs)) continue;
      this.#file("digest", entry.path, entry.problem === undefined ? "valid" : "modified", entry.problem);
    }
    for (const [path, endMs] of known) {
      if (parsed.has(path) || pruned(endMs) || !this.#inWindow(endMs ?? 0, endMs ?? 0)) continue;
      this.#file("digest", path, "deleted", "referenced by audit.db or by the next digest, but not found");
    }

    // Log files: listed by valid digests (signed) or, failing that, by audit.db.
    const listed = new Map<string, ListedLog>();
    const windowed = new Set<string>();
    for (const entry of valid) {
      const digest = entry.digest as DigestFile;
      const inWindow = this.#inWindow(Date.parse(digest.digestStartTime), entry.endMs);
      for (const file of digest.logFiles) {
        const range = file.kmsdRecordChain;
        listed.set(file.s3Object, {
          path: file.s3Object,
          sha256: file.hashValue,
          firstSeq: range.firstSeq,
          lastSeq: range.lastSeq,
          previousHash: range.previousHash,
          lastHash: range.lastHash,
          signed: true,
          oldestMs: Date.parse(file.oldestEventTime),
          newestMs: Date.parse(file.newestEventTime),
        });
        if (inWindow) windowed.add(file.s3Object);
      }
    }
    for (const file of await this.#store.logFiles(this.#accountId, this.#region)) {
      if (listed.has(file.path)) continue;
      const { digestStartMs, digestEndMs, ...entry } = file;
      listed.set(file.path, { ...entry, signed: false, oldestMs: undefined, newestMs: undefined });
      if (this.#inWindow(digestStartMs, digestEndMs)) windowed.add(file.path);
    }
    const onDisk = new Set(this.#files("CloudTrail").filter((file) => file.endsWith(".json.gz")));
    for (const log of [...listed.values()].sort((a, b) => a.firstSeq - b.firstSeq)) {
      if (!windowed.has(log.path)) continue;
      await this.#checkLog(log, onDisk.has(log.path), firstKept);
    }
    for (const path of onDisk) {
      if (!listed.has(path)) this.#file("log", path, "unlisted", "no digest and no audit.db entry lists it");
    }

    // Delivered records no digest covers.
    const validPaths = new Set(valid.map((entry) => entry.path));
    const covered = [
      ...valid.map((entry) => (entry.digest as DigestFile).kmsdRecordChain),
      // Digests reported deleted or modified still account for their records.
      ...[...registry.values()].filter((digest) => !validPaths.has(digest.path)).map((digest) => ({ firstSeq: digest.firstSeq, lastSeq: digest.lastSeq })),
    ]
      .filter((range) => range.lastSeq >= range.firstSeq)
      .sort((a, b) => a.firstSeq - b.firstSeq);
    let next = Math.max(firstKept, retention?.firstKeptSeq ?? 1);
    const deliveredUpTo = Math.max(chain?.deliveredSeq ?? 0, covered.at(-1)?.lastSeq ?? 0);
    for (const range of covered) {
      if (range.firstSeq > next) this.#missing(next, range.firstSeq - 1);
      next = Math.max(next, range.lastSeq + 1);
    }
    if (deliveredUpTo >= next) this.#missing(next, deliveredUpTo);

    // Records not yet delivered: the database's own chain, from the last signed hash.
    const newest = valid.at(-1)?.digest?.kmsdRecordChain;
    const tailFrom = Math.max((newest?.lastSeq ?? 0) + 1, firstKept);
    const tailHash = newest && newest.lastSeq + 1 >= firstKept ? newest.lastHash : (chain?.firstPrevHash ?? GENESIS_HASH);
    if (chain && chain.lastSeq >= tailFrom) {
      // The chain is checked whole (a time window only decides whether to look at it at all).
      const rows = await this.#rows(tailFrom, chain.lastSeq);
      if (rows.length === 0 || rows.some((row) => this.#inWindow(row.timeMs, row.timeMs))) {
        this.#chainFindings(rows, tailFrom, tailHash, chain.lastSeq, undefined);
      }
    }
  }

  #parseDigest(path: string, registrySignature: string | undefined): ParsedDigest {
    const endMs = digestKeyEndMs(path) ?? 0;
    let text: string;
    try {
      text = gunzipSync(readFileSync(join(this.#dir, path))).toString("utf8");
    } catch {
      return { path, digest: undefined, sha256: "", signature: undefined, endMs, problem: "not a gzip file" };
    }
    const sha256 = sha256Hex(text);
    const sidecar = readOptional(join(this.#dir, path + SIGNATURE_SUFFIX))?.trim();
    const signature = sidecar ?? registrySignature;
    let digest: DigestFile;
    try {
      digest = JSON.parse(text) as DigestFile;
    } catch {
      return { path, digest: undefined, sha256, signature, endMs, problem: "not valid JSON" };
    }
    const base = { path, digest, sha256, signature, endMs: Date.parse(digest.digestEndTime) || endMs };
    if (typeof digest.digestEndTime !== "string" || !Array.isArray(digest.logFiles) || typeof digest.kmsdRecordChain !== "object") {
      return { ...base, problem: "not a digest file" };
    }
    if (digest.digestS3Object !== path || digest.awsAccountId !== this.#accountId) return { ...base, problem: "moved from its original location" };
    if (!signature) return { ...base, problem: "its signature is missing" };
    if (!this.#publicKey) return { ...base, problem: "audit.db has no public key to check it with" };
    if (!verifySignature(this.#publicKey.publicKeyPem, digestStringToSign(digest, sha256), signature)) {
      return { ...base, problem: "signature verification failed" };
    }
    return { ...base, problem: undefined };
  }

  async #checkLog(log: ListedLog, present: boolean, firstKept: number): Promise<void> {
    let records: RecordItem[] | undefined;
    let status: FileStatus = "deleted";
    let detail: string | undefined;
    if (present) {
      try {
        const text = gunzipSync(readFileSync(join(this.#dir, log.path))).toString("utf8");
        status = sha256Hex(text) === log.sha256 ? "valid" : "modified";
        detail = status === "valid" ? undefined : "hash value doesn't match";
        const parsed = JSON.parse(text) as { Records?: unknown };
        if (Array.isArray(parsed.Records)) records = parsed.Records.map((record) => itemOf(record));
      } catch {
        status = "modified";
        detail ??= "invalid format";
      }
    } else detail = "listed in a digest but not found";
    if (!log.signed && status !== "valid") detail = `${detail ?? ""} (its digest is not valid: listed by audit.db only)`.trim();
    this.#file("log", log.path, status, detail);

    const from = Math.max(log.firstSeq, firstKept);
    const rows = from <= log.lastSeq ? await this.#rows(from, log.lastSeq) : [];
    const databaseItems = rows.map((row) => ({ ...itemOf(safeParse(row.record)), canonical: row.record, seq: row.seq }));
    const databaseChains = from === log.firstSeq && chainsTo(rows, log.firstSeq, log.lastSeq, log.previousHash, log.lastHash);
    if (status === "valid" && log.signed && records) {
      // The file is what was signed: the database must hold the same records.
      if (from === log.firstSeq) this.#changes(diffRecords(records, databaseItems), "database", log.path);
      this.#deliveredChanged(records, rows, log);
    } else if (databaseChains) {
      if (records) this.#changes(diffRecords(databaseItems, records), "log file", log.path);
    } else {
      this.#chainFindings(rows, from, from === log.firstSeq ? log.previousHash : (rows[0]?.prevHash ?? log.previousHash), log.lastSeq, log.path);
      if (records) this.#changes(diffRecords(databaseItems, records), "log file", log.path);
    }
  }

  /** A valid file whose records do not chain to its signed hashes was changed in the database before delivery. */
  #deliveredChanged(records: RecordItem[], rows: ChainRecord[], log: ListedLog): void {
    let hash = log.previousHash;
    for (const record of records) hash = chainHash(hash, record.canonical);
    if (hash === log.lastHash) return;
    hash = log.previousHash;
    for (const record of records) {
      hash = chainHash(hash, record.canonical);
      const row = rows.find((candidate) => itemOf(safeParse(candidate.record)).eventId === record.eventId);
      if (row && row.hash !== hash) {
        this.#record({ status: "altered", where: "database", eventId: record.eventId, seq: row.seq, file: log.path, detail: "changed before it was delivered: it does not chain to the digest's hashes" });
        return;
      }
    }
  }

  /** Locates changes in database rows from their own hash chain, starting after `startHash`. */
  #chainFindings(rows: ChainRecord[], firstSeq: number, startHash: string, lastSeq: number, file: string | undefined): void {
    const hashes = new Set(rows.map((row) => row.hash));
    let expectedSeq = firstSeq;
    let running = startHash;
    let afterGap = false;
    for (const row of rows) {
      if (row.seq > expectedSeq) {
        for (let seq = expectedSeq; seq < row.seq; seq++) this.#record({ status: "removed", where: "database", seq, ...(file ? { file } : {}) });
        afterGap = true;
      }
      const eventId = itemOf(safeParse(row.record)).eventId;
      const where = { where: "database" as const, seq: row.seq, eventId, ...(file ? { file } : {}) };
      if (chainHash(row.prevHash, row.record) !== row.hash) this.#record({ status: "altered", ...where });
      else if (row.prevHash !== running && !afterGap) this.#record({ status: hashes.has(row.prevHash) ? "reordered" : "inserted", ...where });
      running = row.hash;
      expectedSeq = row.seq + 1;
      afterGap = false;
    }
    for (let seq = expectedSeq; seq <= lastSeq; seq++) this.#record({ status: "removed", where: "database", seq, ...(file ? { file } : {}) });
  }

  #changes(changes: { change: RecordChange; item: RecordItem }[], where: "log file" | "database", file: string): void {
    for (const { change, item } of changes) {
      this.#record({ status: change, where, eventId: item.eventId, ...(item.seq === undefined ? {} : { seq: item.seq }), file });
    }
  }

  #missing(fromSeq: number, toSeq: number): void {
    this.#file("digest", "-", "missing", `records ${fromSeq}..${toSeq} were delivered but no digest covers them`);
  }

  #rows(fromSeq: number, toSeq: number): Promise<ChainRecord[]> {
    return this.#store.records(this.#accountId, this.#region, fromSeq, toSeq);
  }

  #files(kind: "CloudTrail" | "CloudTrail-Digest"): string[] {
    const root = join(this.#dir, "AWSLogs", this.#accountId, kind, this.#region);
    return walk(root).map((path) => relative(this.#dir, path).split(sep).join("/"));
  }

  #inWindow(fromMs: number, toMs: number): boolean {
    return (this.#options.startMs === undefined || toMs >= this.#options.startMs) && (this.#options.endMs === undefined || fromMs <= this.#options.endMs);
  }

  #file(kind: "digest" | "log", path: string, status: FileStatus, detail: string | undefined): void {
    this.#report.files.push({ kind, accountId: this.#accountId, region: this.#region, path, status, ...(detail === undefined ? {} : { detail }) });
  }

  #record(finding: Omit<RecordFinding, "accountId" | "region">): void {
    this.#report.records.push({ accountId: this.#accountId, region: this.#region, ...finding });
  }
}

/** Whether rows are exactly records firstSeq..lastSeq, each chained to the previous from `previousHash` to `lastHash`. */
function chainsTo(rows: ChainRecord[], firstSeq: number, lastSeq: number, previousHash: string, lastHash: string): boolean {
  if (rows.length !== lastSeq - firstSeq + 1) return false;
  return firstBreak(rows, firstSeq, previousHash) === undefined && (rows.at(-1)?.hash ?? previousHash) === lastHash;
}

function itemOf(record: unknown): RecordItem {
  const eventId = typeof record === "object" && record !== null ? (record as { eventID?: unknown }).eventID : undefined;
  return { eventId: typeof eventId === "string" ? eventId : `(no eventID: ${sha256Hex(canonicalJson(record)).slice(0, 12)})`, canonical: canonicalJson(record) };
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

function listDir(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

function walk(root: string): string[] {
  let entries;
  try {
    entries = readdirSync(root, { withFileTypes: true, recursive: true });
  } catch {
    return [];
  }
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}
