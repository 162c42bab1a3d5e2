/**
 * GetTrailStatus: whether the caller's trail records (always, unless the server runs with
 * `--audit off`), since when, and its deliveries: when log files and the signed digest were
 * last delivered, and the latest delivery's error. A delivery checks that the records it
 * signs chain from the last signed hash; once it found a break, LatestDigestDeliveryError
 * says so from then on (the trail no longer verifies, as `kmsd audit verify` would report).
 */
import { authorizeCloudTrailCall } from "../authorize.ts";
import type { CloudTrailHandler } from "../registry.ts";
import { resolveTrail } from "../trail.ts";

export const GetTrailStatus: CloudTrailHandler<"GetTrailStatus"> = async (ctx, input) => {
  await authorizeCloudTrailCall(ctx, "cloudtrail:GetTrailStatus");
  resolveTrail(ctx, input.Name ?? "");
  const audit = ctx.services.audit;
  if (!audit.enabled) return { IsLogging: false };
  const { latestDigestMs, latestLogFilesMs, status } = await audit.deliveryState(ctx.accountId, ctx.region);
  const broken = status?.brokenAtSeq === undefined ? undefined : brokenChainMessage(status.brokenAtSeq);
  const digestError = status?.error ?? broken;
  return {
    IsLogging: true,
    StartLoggingTime: new Date(audit.trackingStartMs),
    ...(latestLogFilesMs === undefined ? {} : { LatestDeliveryTime: new Date(latestLogFilesMs) }),
    ...(latestDigestMs === undefined ? {} : { LatestDigestDeliveryTime: new Date(latestDigestMs) }),
    ...(status?.error === undefined ? {} : { LatestDeliveryError: status.error }),
    ...(digestError === undefined ? {} : { LatestDigestDeliveryError: digestError }),
  };
};

/** What a found break in the record chain means, for whoever reads the status. */
function brokenChainMessage(seq: number): string {
  return `RecordChainBroken: record ${seq} of this trail does not chain to the records before it (changed or removed after it was written); kmsd audit verify lists what changed`;
}
