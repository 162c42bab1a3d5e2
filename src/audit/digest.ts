/**
 * Digest files in CloudTrail's format (see "CloudTrail digest file structure"): the log
 * files delivered since the previous digest with the SHA-256 of each file's uncompressed
 * content, and the previous digest's hash and signature, signed SHA256withRSA over
 * CloudTrail's string to sign. kmsd adds two members other tools ignore: each log file's
 * range of the record hash chain (`kmsdRecordChain`), and the retention statement
 * (`kmsdRetention`) naming the first record kept after pruning.
 */

/** The hash chain of the records in a log file (or a whole digest): seq range and the hashes at both ends. */
export interface RecordChainRange {
  firstSeq: number;
  lastSeq: number;
  /** The hash of the record before `firstSeq` (the genesis hash for the first record). */
  previousHash: string;
  /** The hash of record `lastSeq` (equal to previousHash when the range is empty). */
  lastHash: string;
}

/** One log file in a digest. */
export interface DigestLogFile {
  s3Bucket: string;
  s3Object: string;
  hashValue: string;
  hashAlgorithm: "SHA-256";
  newestEventTime: string;
  oldestEventTime: string;
  kmsdRecordChain: RecordChainRange;
}

/** What pruning removed: everything up to and including the digest that ended at `prunedBefore`. */
export interface RetentionStatement {
  /** digestEndTime of the newest pruned digest (null: nothing was ever pruned). */
  prunedBefore: string | null;
  /** The first record kept, and the hash of the record before it. */
  firstKeptSeq: number;
  firstKeptPreviousHash: string;
}

/** A digest file's content. */
export interface DigestFile {
  awsAccountId: string;
  digestStartTime: string;
  digestEndTime: string;
  digestS3Bucket: string;
  digestS3Object: string;
  digestPublicKeyFingerprint: string;
  digestSignatureAlgorithm: "SHA256withRSA";
  newestEventTime: string | null;
  oldestEventTime: string | null;
  previousDigestS3Bucket: string | null;
  previousDigestS3Object: string | null;
  previousDigestHashValue: string | null;
  previousDigestHashAlgorithm: "SHA-256" | null;
  previousDigestSignature: string | null;
  logFiles: DigestLogFile[];
  kmsdRecordChain: RecordChainRange;
  kmsdRetention: RetentionStatement;
}

/**
 * CloudTrail's string to sign: the digest end time, `bucket/object`, the hex SHA-256 of
 * the uncompressed digest, and the previous digest's signature (`null` for the first).
 */
export function digestStringToSign(digest: Pick<DigestFile, "digestEndTime" | "digestS3Bucket" | "digestS3Object" | "previousDigestSignature">, inflatedSha256: string): string {
  return `${digest.digestEndTime}\n${digest.digestS3Bucket}/${digest.digestS3Object}\n${inflatedSha256}\n${digest.previousDigestSignature ?? "null"}`;
}
