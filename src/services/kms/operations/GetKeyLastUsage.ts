/**
 * GetKeyLastUsage: the key's last successful cryptographic operation (its name, time,
 * request id and the eventID of its CloudTrail event in the key owner's trail), from the
 * usage the audit trail records with each batch of events; TrackingStartDate is when
 * recording began or the key's creation, whichever is later.
 */
import type { KeyLastUsageTrackingOperation } from "@aws-sdk/client-kms";
import { UnsupportedOperationException } from "../../../errors.ts";
import { keyArn } from "../../../keys/records.ts";
import { keyForOperation } from "../keyAccess.ts";
import type { Handler } from "../registry.ts";

export const GetKeyLastUsage: Handler<"GetKeyLastUsage"> = async (ctx, input) => {
  const key = await keyForOperation(ctx, "GetKeyLastUsage", input.KeyId, "key-only");
  const audit = ctx.services.audit;
  if (!audit.enabled) throw new UnsupportedOperationException("GetKeyLastUsage needs the audit trail, which is off (--audit off).");
  const usage = await audit.keyLastUsage(keyArn(key));
  return {
    KeyId: key.keyId,
    ...(usage
      ? {
          KeyLastUsage: {
            // Only operations of KeyLastUsageTrackingOperation are recorded (auditedServices.ts).
            Operation: usage.operation as KeyLastUsageTrackingOperation,
            Timestamp: new Date(usage.timeMs),
            CloudTrailEventId: usage.eventId,
            KmsRequestId: usage.requestId,
          },
        }
      : {}),
    TrackingStartDate: new Date(Math.max(audit.trackingStartMs, key.createdAtMs)),
    KeyCreationDate: new Date(key.createdAtMs),
  };
};
