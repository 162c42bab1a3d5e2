/**
 * Helpers of the audit suites: the events a data directory's audit.db holds (read while
 * the server runs: WAL readers never block it), and SDK clients for CloudTrail, IAM and STS.
 */
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import { IAMClient } from "@aws-sdk/client-iam";
import { STSClient } from "@aws-sdk/client-sts";
import type { Credentials, Kmsd } from "./kmsd.ts";

/** One stored event: its chain columns and its parsed CloudTrail record. */
export interface StoredEventRow {
  accountId: string;
  region: string;
  seq: number;
  requestId: string;
  eventId: string;
  record: Record<string, unknown>;
}

/** Every event in a data directory's audit.db (optionally only those of one request id), in chain order. */
export function storedEvents(dataDir: string, requestId?: string): StoredEventRow[] {
  const db = new DatabaseSync(join(dataDir, "audit.db"), { readOnly: true });
  try {
    const rows = (
      requestId === undefined
        ? db.prepare("SELECT account_id, region, seq, request_id, event_id, record FROM events ORDER BY account_id, region, seq").all()
        : db.prepare("SELECT account_id, region, seq, request_id, event_id, record FROM events WHERE request_id = ? ORDER BY account_id").all(requestId)
    ) as { account_id: string; region: string; seq: number; request_id: string; event_id: string; record: string }[];
    return rows.map((row) => ({
      accountId: row.account_id,
      region: row.region,
      seq: row.seq,
      requestId: row.request_id,
      eventId: row.event_id,
      record: JSON.parse(row.record) as Record<string, unknown>,
    }));
  } finally {
    db.close();
  }
}

/** A CloudTrail client for a running kmsd. */
export function cloudTrailClient(kmsd: Kmsd, credentials: Credentials & { sessionToken?: string } = kmsd.credentials, region = "us-east-1"): CloudTrailClient {
  return new CloudTrailClient({ endpoint: kmsd.endpoint, region, credentials, maxAttempts: 1 });
}

/** An IAM client for a running kmsd. */
export function iamClient(kmsd: Kmsd, credentials: Credentials = kmsd.credentials): IAMClient {
  return new IAMClient({ endpoint: kmsd.endpoint, region: "us-east-1", credentials, maxAttempts: 1 });
}

/** An STS client for a running kmsd. */
export function stsClient(kmsd: Kmsd, credentials: Credentials & { sessionToken?: string } = kmsd.credentials): STSClient {
  return new STSClient({ endpoint: kmsd.endpoint, region: "us-east-1", credentials, maxAttempts: 1 });
}

/** The request id of an SDK call's answer or error. */
export function requestIdOf(outcome: unknown): string {
  const id = (outcome as { $metadata?: { requestId?: string } }).$metadata?.requestId;
  if (!id) throw new Error("no request id in the answer");
  return id;
}

/** Runs an SDK call that must fail and returns its error. */
export async function failure(promise: Promise<unknown>): Promise<Error & { $metadata?: { requestId?: string } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("the call succeeded");
}
