/**
 * What the cost report is computed from, read out of kmsd's own records: the keys (while
 * they exist, as the key store or DescribeKey has them; from the audit trail's CreateKey and
 * deletion events once they are gone) and the requests the audit trail recorded. Pure: the
 * records come from a UsageSource, which `kmsd cost` reads from the stores (storeUsage.ts)
 * and the web console through the public APIs (LookupEvents, ListKeys, DescribeKey), so
 * both count the same way.
 */
import { requestClassOf, type RequestClass } from "./requestClasses.ts";

/** A key's life as billing sees it. */
export interface KeyLife {
  accountId: string;
  region: string;
  arn: string;
  keySpec: string;
  /** AWS managed (and AWS owned) keys are free. */
  customerManaged: boolean;
  createdMs: number;
  /**
   * When billing stopped: when the deletion that went through (or is pending) was
   * scheduled. Undefined while the key is billed. A cancelled deletion never stopped it.
   */
  billedUntilMs: number | undefined;
  /** When its material was rotated (automatically or on demand), oldest first. */
  rotationsMs: number[];
}

/** How many requests of one class one account made with one key (or none). */
export interface RequestTally {
  accountId: string;
  keyArn: string | undefined;
  requestClass: RequestClass;
  count: number;
}

/** Everything the report needs. */
export interface Usage {
  keys: KeyLife[];
  requests: RequestTally[];
  /** The newest recorded event (of any time), if any: the records reach at least that far. */
  newestEventMs: number | undefined;
}

/** An (account, region) trail. */
export interface UsageChain {
  accountId: string;
  region: string;
}

/** A recorded event, as the report reads it. */
export interface UsageEvent {
  timeMs: number;
  eventName: string;
  eventSource: string;
  /** The CloudTrail record (JSON). */
  record: string;
}

/** A key that still exists, as its store or DescribeKey has it: billed unless its deletion is pending. */
export interface ExistingKey extends Omit<KeyLife, "billedUntilMs"> {
  pendingDeletion: boolean;
}

/** Where the records come from. */
export interface UsageSource {
  /** The trails to read. */
  chains(): Promise<UsageChain[]>;
  /** The time of a trail's newest event (of any time), if it has one. */
  newestEventMs(chain: UsageChain): Promise<number | undefined>;
  /** A trail's events from `startMs` to `endMs` (inclusive) with the given name or source, in any order. */
  events(chain: UsageChain, query: { eventName?: string; eventSource?: string; startMs: number; endMs: number }): AsyncIterable<UsageEvent>;
  /** The keys that exist in a trail's account and region. */
  keys(chain: UsageChain): AsyncIterable<ExistingKey>;
}

const LIFECYCLE_EVENTS = ["CreateKey", "ScheduleKeyDeletion", "CancelKeyDeletion", "DeleteKey", "RotateKeyOnDemand", "RotateKey"] as const;
const KMS_SOURCE = "kms.amazonaws.com";

/** The parts of a CloudTrail record the report reads. */
interface EventRecord {
  eventType?: string;
  errorCode?: string;
  userIdentity?: { accountId?: string };
  resources?: { ARN?: string }[];
  requestParameters?: { keyPairSpec?: string } | null;
  responseElements?: { keyMetadata?: { keySpec?: string; keyManager?: string } } | null;
}

/** Reads the keys and the requests made between `startMs` and `endMs` (inclusive). */
export async function readUsage(source: UsageSource, startMs: number, endMs: number): Promise<Usage> {
  const chains = await source.chains();
  const lifecycle = new Map<string, { time: number; name: string; record: EventRecord }[]>();
  let newestEventMs: number | undefined;
  for (const chain of chains) {
    const newest = await source.newestEventMs(chain);
    const newestMs = newest === undefined ? undefined : wholeSeconds(newest);
    if (newestMs !== undefined && (newestEventMs === undefined || newestMs > newestEventMs)) newestEventMs = newestMs;
    for (const name of LIFECYCLE_EVENTS) {
      for await (const event of source.events(chain, { eventName: name, startMs: 0, endMs })) {
        const record = parse(event);
        if (event.eventSource !== KMS_SOURCE || record.errorCode !== undefined) continue;
        const arn = record.resources?.[0]?.ARN;
        if (arn === undefined) continue;
        lifecycle.set(arn, [...(lifecycle.get(arn) ?? []), { time: wholeSeconds(event.timeMs), name: event.eventName, record }]);
      }
    }
  }
  for (const history of lifecycle.values()) history.sort((a, b) => a.time - b.time);

  const keys = new Map<string, KeyLife>();
  for (const chain of chains) {
    for await (const { pendingDeletion, ...key } of source.keys(chain)) {
      keys.set(key.arn, { ...key, billedUntilMs: pendingDeletion ? scheduledDeletionMs(lifecycle.get(key.arn) ?? []) : undefined });
    }
  }
  // Keys that are gone: what their own events say.
  for (const [arn, history] of lifecycle) {
    const created = history.find((event) => event.name === "CreateKey");
    if (keys.has(arn) || !created) continue;
    const [, , , region = "", accountId = ""] = arn.split(":");
    const metadata = created.record.responseElements?.keyMetadata;
    const deletedMs = history.find((event) => event.name === "DeleteKey")?.time;
    keys.set(arn, {
      accountId,
      region,
      arn,
      keySpec: metadata?.keySpec ?? "SYMMETRIC_DEFAULT",
      customerManaged: (metadata?.keyManager ?? "CUSTOMER") === "CUSTOMER",
      createdMs: created.time,
      billedUntilMs: scheduledDeletionMs(history) ?? deletedMs ?? created.time,
      rotationsMs: history.filter((event) => event.name === "RotateKey" || event.name === "RotateKeyOnDemand").map((event) => event.time),
    });
  }

  const tallies = new Map<string, RequestTally>();
  for (const chain of chains) {
    for await (const event of source.events(chain, { eventSource: KMS_SOURCE, startMs, endMs })) {
      if (event.eventSource !== KMS_SOURCE) continue;
      const record = parse(event);
      // Billed: API calls that succeeded, counted once, in the caller's own trail (a
      // cross-account call is recorded for the key owner too, and AWS bills the caller).
      if (record.eventType !== "AwsApiCall" || record.errorCode !== undefined || record.userIdentity?.accountId !== chain.accountId) continue;
      const keyArns = (record.resources ?? []).flatMap((resource) => (resource.ARN === undefined ? [] : [resource.ARN]));
      const keySpecs = keyArns.map((arn) => keys.get(arn)?.keySpec ?? "SYMMETRIC_DEFAULT");
      const requestClass = requestClassOf(event.eventName, keySpecs, record.requestParameters?.keyPairSpec);
      const keyArn = keyArns[0];
      const id = `${chain.accountId} ${keyArn ?? ""} ${requestClass}`;
      const tally = tallies.get(id) ?? { accountId: chain.accountId, keyArn, requestClass, count: 0 };
      tally.count++;
      tallies.set(id, tally);
    }
  }
  return { keys: [...keys.values()], requests: [...tallies.values()], newestEventMs };
}

/** When the deletion still in force was scheduled: the last ScheduleKeyDeletion not cancelled after it. */
function scheduledDeletionMs(history: readonly { time: number; name: string }[]): number | undefined {
  let scheduled: number | undefined;
  for (const event of history) {
    if (event.name === "ScheduleKeyDeletion") scheduled = event.time;
    else if (event.name === "CancelKeyDeletion") scheduled = undefined;
  }
  return scheduled;
}

/**
 * An event's time as its record states it (CloudTrail's eventTime, whole seconds). The stores
 * keep milliseconds, LookupEvents answers seconds: both sources must count the same hours.
 */
function wholeSeconds(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}

function parse(event: UsageEvent): EventRecord {
  return JSON.parse(event.record) as EventRecord;
}
