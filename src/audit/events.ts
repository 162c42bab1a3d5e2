/**
 * Builds the CloudTrail event(s) of one request from its audit draft: one event, plus one
 * per other account whose key the request used (a cross-account call is recorded for the
 * caller's account and for the key owner's, each copy with its own eventID and its own
 * recipientAccountId, as CloudTrail does). Records are canonical JSON (canonicalJson.ts),
 * capped in size (recordSize.ts).
 */
import type { Principal } from "../identity/principal.ts";
import { keyArn, type KeyRecord } from "../keys/records.ts";
import { AUDITED_SERVICES, KEY_USAGE_OPERATIONS } from "./auditedServices.ts";
import { newEventId } from "./eventId.ts";
import { cappedRecordJson } from "./recordSize.ts";
import { requestParameters, responseElements } from "./redact.ts";
import type { RequestAudit } from "./requestAudit.ts";
import { isoSeconds } from "./times.ts";

/** CloudTrail's record format version kmsd writes. */
export const EVENT_VERSION = "1.11";
/** The resource type of a KMS key in `resources` and in LookupEvents. */
export const KMS_KEY_RESOURCE_TYPE = "AWS::KMS::Key";

/** One event, ready to be chained and stored: the record and the columns LookupEvents searches. */
export interface AuditEvent {
  /** The account whose trail holds the event (recipientAccountId). */
  accountId: string;
  region: string;
  timeMs: number;
  eventId: string;
  eventName: string;
  eventSource: string;
  readOnly: boolean;
  /** LookupEvents' Username: `root`, the user name, or the role session name. */
  username: string | null;
  accessKeyId: string | null;
  requestId: string;
  resources: { type: string; name: string }[];
  /** The CloudTrail record, as canonical JSON of at most MAX_RECORD_BYTES. */
  record: string;
}

/** A successful cryptographic use of a key (GetKeyLastUsage), tied to the key owner's event. */
export interface KeyUsage {
  keyArn: string;
  operation: string;
  timeMs: number;
  eventId: string;
  requestId: string;
}

/** What is known of the caller of a request that failed authentication. */
export interface UnauthenticatedCaller {
  accessKeyId: string | undefined;
  /** The account of that access key if kmsd knows it; otherwise the events go to this account. */
  accountId: string;
  /** Whether `accountId` is the key's own account (shown in userIdentity) or only where the event is kept. */
  keyKnown: boolean;
  /** The region of the request's credential scope, if it named a known region. */
  region: string | undefined;
}

/** The events and key usages of one request. */
export interface BuiltEvents {
  events: AuditEvent[];
  usages: KeyUsage[];
}

/** Builds the events of a request; `caller` describes the caller when authentication failed. */
export function buildEvents(audit: RequestAudit, caller: UnauthenticatedCaller, defaultRegion: string): BuiltEvents {
  const profile = AUDITED_SERVICES[audit.service];
  const eventName = audit.operation ?? "Unknown";
  const principal = audit.principal;
  const callerAccount = principal?.accountId ?? caller.accountId;
  const region = profile.globalRegion ?? audit.region ?? caller.region ?? defaultRegion;
  const succeeded = audit.errorCode === undefined;
  const readOnly = audit.operation !== undefined && profile.readOnly(eventName);
  const resources = resourcesOf(audit);
  const parameters =
    audit.operation === undefined ? null : requestParameters(profile.model, audit.operation, audit.input ?? audit.body);
  const response = succeeded && audit.operation !== undefined && profile.recordsResponse(eventName) ? responseElements(audit.output) : null;
  const recipients = [callerAccount, ...resources.map((resource) => resource.accountId).filter((account) => account !== callerAccount)];
  const events: AuditEvent[] = [];
  const eventIds = new Map<string, string>();
  for (const recipient of new Set(recipients)) {
    const eventId = newEventId(audit.timeMs);
    eventIds.set(recipient, eventId);
    // Members in canonical order (canonicalJson.ts), which makes the record's text cheap to write.
    const record = {
      awsRegion: region,
      errorCode: audit.errorCode,
      errorMessage: audit.errorMessage === "" ? undefined : audit.errorMessage,
      eventCategory: "Management",
      eventID: eventId,
      eventName,
      eventSource: profile.eventSource,
      eventTime: isoSeconds(audit.timeMs),
      eventType: "AwsApiCall",
      eventVersion: EVENT_VERSION,
      managementEvent: true,
      readOnly,
      recipientAccountId: recipient,
      requestID: audit.requestId,
      requestParameters: parameters,
      resources: resources.length === 0 ? undefined : resources,
      responseElements: response,
      sourceIPAddress: audit.sourceIp,
      userAgent: audit.userAgent,
      userIdentity: principal ? userIdentity(principal) : unknownIdentity(caller),
    };
    events.push({
      accountId: recipient,
      region,
      timeMs: audit.timeMs,
      eventId,
      eventName,
      eventSource: profile.eventSource,
      readOnly,
      username: principal ? usernameOf(principal) : null,
      accessKeyId: principal?.accessKeyId ?? caller.accessKeyId ?? null,
      requestId: audit.requestId,
      resources: resources.map((resource) => ({ type: resource.type, name: resource.ARN })),
      record: cappedRecordJson(record),
    });
  }
  const usages: KeyUsage[] = [];
  if (succeeded && audit.service === "kms" && KEY_USAGE_OPERATIONS.has(eventName)) {
    for (const resource of resources) {
      const eventId = eventIds.get(resource.accountId);
      if (eventId) usages.push({ keyArn: resource.ARN, operation: eventName, timeMs: audit.timeMs, eventId, requestId: audit.requestId });
    }
  }
  return { events, usages };
}

/** What KMS does on its own, on the server clock, and records as an AwsServiceEvent. */
export type ServiceEventName = "DeleteKey" | "RotateKey" | "DeleteExpiredKeyMaterial" | "CreateKey" | "UpdatePrimaryRegion";

/** What happens to the root of trust (kmsd's own events, no AWS operation; src/seal/rootOfTrustEvents.ts). */
export type RootOfTrustEventName = "RotateRootKey" | "SealNode" | "UnsealNode" | "RefuseUnsealShare" | "RekeyUnsealShares";

/** Who acts in a service event, as CloudTrail shows it. */
const AWS_INTERNAL = "AWS Internal";

/**
 * The event of something KMS did by itself to a key (a scheduled deletion completing, an
 * automatic rotation, imported material expiring): eventType AwsServiceEvent, no caller and
 * no request, `invokedBy` "AWS Internal" as CloudTrail shows them, in the key owner's trail.
 */
export function buildServiceEvent(
  eventName: ServiceEventName,
  key: Pick<KeyRecord, "region" | "accountId" | "keyId">,
  timeMs: number,
  details?: Record<string, string>,
): AuditEvent {
  return serviceEvent(eventName, key.accountId, key.region, timeMs, [keyArn(key)], details);
}

/**
 * The event of something done to the root of trust (a root key rotation), in the default
 * account's trail: an AwsServiceEvent naming no key. `details` say what changed and must
 * name no secret.
 */
export function buildRootOfTrustEvent(eventName: RootOfTrustEventName, accountId: string, region: string, timeMs: number, details: Record<string, string>): AuditEvent {
  return serviceEvent(eventName, accountId, region, timeMs, [], details);
}

function serviceEvent(eventName: string, accountId: string, region: string, timeMs: number, keyArns: readonly string[], details: Record<string, string> | undefined): AuditEvent {
  const eventId = newEventId(timeMs);
  // Members in canonical order, as in buildEvents.
  const record = {
    awsRegion: region,
    eventCategory: "Management",
    eventID: eventId,
    eventName,
    eventSource: AUDITED_SERVICES.kms.eventSource,
    eventTime: isoSeconds(timeMs),
    eventType: "AwsServiceEvent",
    eventVersion: EVENT_VERSION,
    managementEvent: true,
    readOnly: false,
    recipientAccountId: accountId,
    requestParameters: null,
    resources: keyArns.map((arn) => ({ ARN: arn, accountId, type: KMS_KEY_RESOURCE_TYPE })),
    responseElements: null,
    serviceEventDetails: details,
    sourceIPAddress: AWS_INTERNAL,
    userAgent: AWS_INTERNAL,
    userIdentity: { accountId, invokedBy: AWS_INTERNAL },
  };
  return {
    accountId,
    region,
    timeMs,
    eventId,
    eventName,
    eventSource: AUDITED_SERVICES.kms.eventSource,
    readOnly: false,
    username: null,
    accessKeyId: null,
    // A service event answers no request: it has no requestID.
    requestId: "",
    resources: keyArns.map((arn) => ({ type: KMS_KEY_RESOURCE_TYPE, name: arn })),
    record: cappedRecordJson(record),
  };
}

/** The access key id and region a SigV4 Authorization header claims, without checking anything. */
export function claimedCredential(authorization: string | undefined): { accessKeyId: string; region: string } | undefined {
  const match = /Credential=([A-Za-z0-9]{1,128})\/[0-9]{8}\/([a-z0-9-]{1,32})\//.exec(authorization ?? "");
  return match ? { accessKeyId: match[1] ?? "", region: match[2] ?? "" } : undefined;
}

type Resource = { ARN: string; accountId: string; type: string };

/** The KMS keys the request resolved (and the key CreateKey made), once each, in order. */
function resourcesOf(audit: RequestAudit): Resource[] {
  const seen = new Map<string, Resource>();
  for (const key of audit.keys) {
    const arn = keyArn(key);
    if (!seen.has(arn)) seen.set(arn, { ARN: arn, accountId: key.accountId, type: KMS_KEY_RESOURCE_TYPE });
  }
  const created = (audit.output as { KeyMetadata?: { Arn?: unknown; AWSAccountId?: unknown } } | undefined)?.KeyMetadata;
  if (audit.service === "kms" && typeof created?.Arn === "string" && typeof created.AWSAccountId === "string" && !seen.has(created.Arn)) {
    seen.set(created.Arn, { ARN: created.Arn, accountId: created.AWSAccountId, type: KMS_KEY_RESOURCE_TYPE });
  }
  return [...seen.values()];
}

/** CloudTrail's userIdentity of an authenticated caller (members in canonical order). */
function userIdentity(principal: Principal): Record<string, unknown> {
  const { accessKeyId, accountId, arn, userId: principalId } = principal;
  switch (principal.kind) {
    case "Root":
      return { accessKeyId, accountId, arn, principalId, type: "Root" };
    case "IAMUser":
      return { accessKeyId, accountId, arn, principalId, type: "IAMUser", userName: principal.userName };
    case "AssumedRole":
      return {
        accessKeyId,
        accountId,
        arn,
        principalId,
        sessionContext: {
          attributes: { mfaAuthenticated: "false" },
          sessionIssuer: { accountId, arn: principal.roleArn, principalId: principal.roleId, type: "Role", userName: principal.roleName },
        },
        type: "AssumedRole",
      };
  }
}

/** What a record says of a caller that was never authenticated: the access key it claimed, if any. */
function unknownIdentity(caller: UnauthenticatedCaller): Record<string, unknown> {
  return {
    ...(caller.accessKeyId === undefined ? {} : { accessKeyId: caller.accessKeyId }),
    ...(caller.keyKnown ? { accountId: caller.accountId } : {}),
    type: "Unknown",
  };
}

/** LookupEvents' Username of a caller. */
function usernameOf(principal: Principal): string {
  switch (principal.kind) {
    case "Root":
      return "root";
    case "IAMUser":
      return principal.userName;
    case "AssumedRole":
      return principal.sessionName;
  }
}
