/**
 * What one Encrypt request gives the audit writer, for the benchmarks of the writer and the
 * stores alone: its event (a record of about 1 KiB, as kmsd's are) and its key's usage.
 */
import { randomUUID } from "node:crypto";
import { newEventId } from "../../src/audit/eventId.ts";
import type { AuditBatch } from "../../src/store/auditStore.ts";

const RECORD_PADDING = "x".repeat(900);

/** One Encrypt request's batch in the chain of `accountId` (us-east-1). */
export function encryptAuditBatch(accountId = "111122223333"): AuditBatch {
  const keyArn = `arn:aws:kms:us-east-1:${accountId}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
  const timeMs = Date.now();
  const eventId = newEventId(timeMs);
  const requestId = randomUUID();
  const event = {
    accountId,
    region: "us-east-1",
    timeMs,
    eventId,
    eventName: "Encrypt",
    eventSource: "kms.amazonaws.com",
    readOnly: true,
    username: "root",
    accessKeyId: "AKIAEXAMPLE000000001",
    requestId,
    resources: [{ type: "AWS::KMS::Key", name: keyArn }],
    record: JSON.stringify({ eventName: "Encrypt", resources: [{ ARN: keyArn }], padding: RECORD_PADDING }),
  };
  return { events: [event], usages: [{ keyArn, operation: "Encrypt", timeMs, eventId, requestId }] };
}
