/**
 * The one trail kmsd keeps for each account and Region: named `kmsd` (the name its digest
 * files carry), delivering to the "bucket" `kmsd-audit` with log file validation always on
 * (docs/audit.md). A trail parameter (name or ARN) resolves to it or fails as CloudTrail fails.
 */
import type { Trail } from "@aws-sdk/client-cloudtrail";
import { LOG_BUCKET, TRAIL_NAME } from "../../audit/logPaths.ts";
import type { RequestContext } from "../../server/context.ts";
import { CloudTrailARNInvalidException, InvalidTrailNameException, TrailNotFoundException } from "./errors.ts";

/** The ARN of the caller's trail in the Region of the request. */
export function trailArn(ctx: RequestContext): string {
  return `arn:aws:cloudtrail:${ctx.region}:${ctx.accountId}:trail/${TRAIL_NAME}`;
}

/** The caller's trail as DescribeTrails and GetTrail describe it. */
export function describeTrail(ctx: RequestContext): Trail {
  return {
    Name: TRAIL_NAME,
    S3BucketName: LOG_BUCKET,
    IncludeGlobalServiceEvents: true,
    IsMultiRegionTrail: false,
    HomeRegion: ctx.region,
    TrailARN: trailArn(ctx),
    LogFileValidationEnabled: true,
    HasCustomEventSelectors: false,
    HasInsightSelectors: false,
    IsOrganizationTrail: false,
  };
}

const TRAIL_ARN = /^arn:aws:cloudtrail:([a-z0-9-]+):(\d{12}):trail\/(.+)$/;

/**
 * Whether `nameOrArn` (a trail name, or an ARN, which must be well formed) names the caller's
 * trail in this Region. Throws CloudTrail's error for a malformed name or ARN.
 */
export function namesTrail(ctx: RequestContext, nameOrArn: string): boolean {
  if (nameOrArn.startsWith("arn:")) {
    const match = TRAIL_ARN.exec(nameOrArn);
    if (!match) throw new CloudTrailARNInvalidException(`Invalid trail ARN: ${nameOrArn}`);
    return match[1] === ctx.region && match[2] === ctx.accountId && match[3] === TRAIL_NAME;
  }
  if (nameOrArn.length < 3) {
    throw new InvalidTrailNameException(`Trail name too short. Minimum allowed length: 3 characters. Specified name length: ${nameOrArn.length} characters.`);
  }
  if (nameOrArn.length > 128) {
    throw new InvalidTrailNameException(`Trail name too long. Maximum allowed length: 128 characters. Specified name length: ${nameOrArn.length} characters.`);
  }
  return nameOrArn === TRAIL_NAME;
}

/** Checks that `nameOrArn` names the caller's trail in this Region; throws CloudTrail's error otherwise. */
export function resolveTrail(ctx: RequestContext, nameOrArn: string): void {
  if (namesTrail(ctx, nameOrArn)) return;
  const arn = nameOrArn.startsWith("arn:") ? nameOrArn : `arn:aws:cloudtrail:${ctx.region}:${ctx.accountId}:trail/${nameOrArn}`;
  throw new TrailNotFoundException(`Unknown trail: ${arn} for the user: ${ctx.accountId}`);
}
