/**
 * DescribeTrails: the caller's one trail in the Region of the request (trail.ts), or, with a
 * trailNameList, those of the names or ARNs given that name it (CloudTrail leaves out names
 * it does not find). There are no shadow trails: kmsd's trails are single-Region.
 */
import { authorizeCloudTrailCall } from "../authorize.ts";
import type { CloudTrailHandler } from "../registry.ts";
import { describeTrail, namesTrail } from "../trail.ts";

export const DescribeTrails: CloudTrailHandler<"DescribeTrails"> = async (ctx, input) => {
  await authorizeCloudTrailCall(ctx, "cloudtrail:DescribeTrails");
  const names = input.trailNameList ?? [];
  if (names.length === 0) return { trailList: [describeTrail(ctx)] };
  // A malformed name or ARN is refused; one that names no trail is left out.
  const found = names.map((name) => namesTrail(ctx, name)).includes(true);
  return { trailList: found ? [describeTrail(ctx)] : [] };
};
