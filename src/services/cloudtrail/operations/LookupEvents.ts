/**
 * LookupEvents: the caller's account's events in the region of the request, newest first,
 * filtered by at most one lookup attribute and a time range, at most MaxResults (50) per
 * page. NextToken resumes after the last event of the previous page and only with the same
 * filter. There are no Insights events: EventCategory "insight" finds nothing.
 */
import { createHash } from "node:crypto";
import type { Event, LookupAttribute, Resource } from "@aws-sdk/client-cloudtrail";
import type { LookupAttributeKey } from "../../../store/auditStore.ts";
import { authorizeCloudTrailCall } from "../authorize.ts";
import { InvalidLookupAttributesException, InvalidNextTokenException, InvalidTimeRangeException } from "../errors.ts";
import type { CloudTrailHandler } from "../registry.ts";

/** Events per page when MaxResults is not given (and the most it may ask for). */
const DEFAULT_MAX_RESULTS = 50;

export const LookupEvents: CloudTrailHandler<"LookupEvents"> = async (ctx, input) => {
  await authorizeCloudTrailCall(ctx, "cloudtrail:LookupEvents");
  const attributes = input.LookupAttributes ?? [];
  if (attributes.length > 1) throw new InvalidLookupAttributesException("You cannot specify more than one lookup attribute.");
  const attribute = attributes[0];
  if (input.EventCategory === "insight") return { Events: [] };
  const startMs = input.StartTime?.getTime() ?? 0;
  // Event times are whole seconds in records: an EndTime takes in its whole second.
  const endMs = input.EndTime === undefined ? ctx.nowMs : input.EndTime.getTime() + 999;
  if (startMs > endMs) throw new InvalidTimeRangeException("Start time must be before end time.");
  const filter = filterFingerprint(ctx.accountId, ctx.region, attribute, input.StartTime, input.EndTime);
  const after = input.NextToken === undefined ? undefined : parseToken(input.NextToken, filter);
  const limit = input.MaxResults ?? DEFAULT_MAX_RESULTS;
  const page = await ctx.services.audit.lookup({
    accountId: ctx.accountId,
    region: ctx.region,
    attribute: attribute && { key: attribute.AttributeKey as LookupAttributeKey, value: attribute.AttributeValue ?? "" },
    startMs,
    endMs,
    limit,
    after,
  });
  const events: Event[] = page.events.map((event) => ({
    EventId: event.eventId,
    EventName: event.eventName,
    ReadOnly: event.readOnly,
    ...(event.accessKeyId === null ? {} : { AccessKeyId: event.accessKeyId }),
    EventTime: new Date(Math.floor(event.timeMs / 1000) * 1000),
    EventSource: event.eventSource,
    ...(event.username === null ? {} : { Username: event.username }),
    Resources: resourcesOf(event.record),
    CloudTrailEvent: event.record,
  }));
  const last = page.events.at(-1);
  return { Events: events, ...(page.more && last ? { NextToken: makeToken(last.timeMs, last.rowid, filter) } : {}) };
};

/** The resources of a record, as LookupEvents lists them. */
function resourcesOf(record: string): Resource[] {
  const resources = (JSON.parse(record) as { resources?: { type?: string; ARN?: string }[] }).resources ?? [];
  return resources.map((resource) => ({ ResourceType: resource.type, ResourceName: resource.ARN }));
}

/** What a NextToken is bound to: the same account, region, attribute and time range. */
function filterFingerprint(accountId: string, region: string, attribute: LookupAttribute | undefined, start: Date | undefined, end: Date | undefined): string {
  const parts = [accountId, region, attribute?.AttributeKey ?? "", attribute?.AttributeValue ?? "", start?.getTime() ?? "", end?.getTime() ?? ""];
  return createHash("sha256").update(JSON.stringify(parts)).digest("hex").slice(0, 16);
}

function makeToken(timeMs: number, rowid: number, filter: string): string {
  return Buffer.from(`${timeMs}.${rowid}.${filter}`, "utf8").toString("base64url");
}

function parseToken(token: string, filter: string): { timeMs: number; rowid: number } {
  const match = /^(\d{1,15})\.(\d{1,15})\.([0-9a-f]{16})$/.exec(Buffer.from(token, "base64url").toString("utf8"));
  if (!match || match[3] !== filter) throw new InvalidNextTokenException("Invalid NextToken.");
  return { timeMs: Number(match[1]), rowid: Number(match[2]) };
}
