/**
 * The cost report's records as the console reads them: through the public APIs only, with
 * the signed-in user's rights. Events from LookupEvents, keys from ListKeys, DescribeKey and
 * ListKeyRotations, for the user's account in the session's Region. `kmsd cost` reads the
 * same records from the stores (src/tools/cost/storeUsage.ts); both feed the same readUsage.
 */
import { LookupEventsCommand, type LookupEventsCommandInput } from "@aws-sdk/client-cloudtrail";
import { DescribeKeyCommand, ListKeyRotationsCommand, ListKeysCommand, type KeyMetadata } from "@aws-sdk/client-kms";
import type { ExistingKey, UsageEvent, UsageSource } from "../../../src/tools/cost/usage.ts";
import type { Session } from "../session.ts";

/** DescribeKey calls in flight at once: enough to list a few thousand keys quickly, few enough not to hit the request quota. */
const PARALLEL = 8;

/** A usage source over the session's clients. */
export function apiUsageSource(session: Session): UsageSource {
  const chain = { accountId: session.identity.account, region: session.region };
  return {
    chains: () => Promise.resolve([chain]),
    newestEventMs: async () => (await session.cloudtrail.send(new LookupEventsCommand({ MaxResults: 1 }))).Events?.[0]?.EventTime?.getTime(),
    events: (_chain, { eventName, eventSource, startMs, endMs }) =>
      lookupAll(session, {
        ...(eventName !== undefined
          ? { LookupAttributes: [{ AttributeKey: "EventName", AttributeValue: eventName }] }
          : eventSource !== undefined
            ? { LookupAttributes: [{ AttributeKey: "EventSource", AttributeValue: eventSource }] }
            : {}),
        ...(startMs > 0 ? { StartTime: new Date(startMs) } : {}),
        // LookupEvents takes in the whole second of its EndTime: ask for the second endMs lies in.
        EndTime: new Date(Math.floor(endMs / 1000) * 1000),
      }),
    keys: () => existingKeys(session),
  };
}

/** Every event a lookup matches, page after page. */
async function* lookupAll(session: Session, input: LookupEventsCommandInput): AsyncGenerator<UsageEvent> {
  let NextToken: string | undefined;
  do {
    const page = await session.cloudtrail.send(new LookupEventsCommand({ ...input, MaxResults: 50, NextToken }));
    for (const event of page.Events ?? []) {
      yield { timeMs: event.EventTime?.getTime() ?? 0, eventName: event.EventName ?? "", eventSource: event.EventSource ?? "", record: event.CloudTrailEvent ?? "{}" };
    }
    NextToken = page.NextToken;
  } while (NextToken);
}

/** Every key of the account in the Region, described, with its rotations. */
async function* existingKeys(session: Session): AsyncGenerator<ExistingKey> {
  let Marker: string | undefined;
  do {
    const page = await session.kms.send(new ListKeysCommand({ Limit: 1000, Marker }));
    const ids = (page.Keys ?? []).map((key) => key.KeyId ?? "");
    for (let from = 0; from < ids.length; from += PARALLEL) {
      yield* await Promise.all(ids.slice(from, from + PARALLEL).map((id) => describeKey(session, id)));
    }
    Marker = page.Truncated ? page.NextMarker : undefined;
  } while (Marker);
}

async function describeKey(session: Session, keyId: string): Promise<ExistingKey> {
  const metadata = (await session.kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata as KeyMetadata;
  const customerManaged = metadata.KeyManager === "CUSTOMER";
  return {
    accountId: metadata.AWSAccountId ?? session.identity.account,
    region: session.region,
    arn: metadata.Arn ?? "",
    keySpec: metadata.KeySpec ?? "SYMMETRIC_DEFAULT",
    customerManaged,
    createdMs: metadata.CreationDate?.getTime() ?? 0,
    pendingDeletion: metadata.KeyState === "PendingDeletion",
    // Only a customer managed key's rotations cost anything.
    rotationsMs: customerManaged ? await rotations(session, keyId) : [],
  };
}

/** When a key's material was rotated, oldest first; none for keys that cannot rotate (asymmetric, HMAC...). */
async function rotations(session: Session, keyId: string): Promise<number[]> {
  const times: number[] = [];
  let Marker: string | undefined;
  try {
    do {
      const page = await session.kms.send(new ListKeyRotationsCommand({ KeyId: keyId, Marker }));
      times.push(...(page.Rotations ?? []).map((rotation) => rotation.RotationDate?.getTime() ?? 0));
      Marker = page.Truncated ? page.NextMarker : undefined;
    } while (Marker);
  } catch (error) {
    if (error instanceof Error && error.name === "UnsupportedOperationException") return [];
    throw error;
  }
  return times.sort((a, b) => a - b);
}
