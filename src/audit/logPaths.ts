/**
 * Where log and digest files go, following CloudTrail's S3 layout under
 * `<data-dir>/audit/`: `AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/…json.gz` and
 * `AWSLogs/<account>/CloudTrail-Digest/<region>/YYYY/MM/DD/…json.gz`. A file's key (its
 * path relative to the audit directory) is what digests call `s3Object`.
 */
import { join } from "node:path";
import { compactMinutes, compactSeconds, datePath } from "./times.ts";

/** The audit directory of a data directory. */
export function auditDir(dataDir: string): string {
  return join(dataDir, "audit");
}

/** The "bucket" digests name (there is no S3 bucket: files live in the audit directory). */
export const LOG_BUCKET = "kmsd-audit";
/** The "trail" digest file names carry. */
export const TRAIL_NAME = "kmsd";
/** The signature of a digest is kept next to it, as S3 object metadata would be (hex SHA256withRSA). */
export const SIGNATURE_SUFFIX = ".sig";

/** The key of a log file delivered at `deliveredMs`. */
export function logFileKey(accountId: string, region: string, deliveredMs: number, unique: string): string {
  return `AWSLogs/${accountId}/CloudTrail/${region}/${datePath(deliveredMs)}/${accountId}_CloudTrail_${region}_${compactMinutes(deliveredMs)}_${unique}.json.gz`;
}

/** The key of the digest file that ends at `endMs`. */
export function digestKey(accountId: string, region: string, endMs: number): string {
  return (
    `AWSLogs/${accountId}/CloudTrail-Digest/${region}/${datePath(endMs)}/` +
    `${accountId}_CloudTrail-Digest_${region}_${TRAIL_NAME}_${region}_${compactSeconds(endMs)}.json.gz`
  );
}

/** The end time a digest key names (`…_20150817T150131Z.json.gz`), or undefined. */
export function digestKeyEndMs(key: string): number | undefined {
  const match = /_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z\.json\.gz$/.exec(key);
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s] = match.map(Number) as number[];
  return Date.UTC(y ?? 0, (mo ?? 1) - 1, d, h, mi, s);
}
