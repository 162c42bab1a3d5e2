/**
 * Usage from the audit trail: KMS requests per hour, per operation and per key over a chosen
 * period, read with LookupEvents (EventSource kms.amazonaws.com), up to MAX_EVENTS events.
 */
import { useState } from "preact/hooks";
import { LookupEventsCommand, type Event } from "@aws-sdk/client-cloudtrail";
import type { Session } from "../session.ts";
import { ErrorBox, Field, Title, useLoad } from "../ui.tsx";
import { NamedBars, TimeBars, type Bar } from "../components/Charts.tsx";

/** LookupEvents gives 50 events a page: read at most this many, so a busy trail cannot stall the page. */
const MAX_EVENTS = 5000;

const PERIODS = { "1": "Last hour", "24": "Last 24 hours", "168": "Last 7 days" } as const;

async function kmsEvents(session: Session, hours: number): Promise<{ events: Event[]; capped: boolean }> {
  const events: Event[] = [];
  // A NextToken belongs to the lookup that issued it: every page asks with the same start time.
  const StartTime = new Date(Date.now() - hours * 3600_000);
  let NextToken: string | undefined;
  do {
    const out = await session.cloudtrail.send(
      new LookupEventsCommand({
        LookupAttributes: [{ AttributeKey: "EventSource", AttributeValue: "kms.amazonaws.com" }],
        StartTime,
        MaxResults: 50,
        NextToken,
      }),
    );
    events.push(...(out.Events ?? []));
    NextToken = out.NextToken;
  } while (NextToken && events.length < MAX_EVENTS);
  return { events, capped: NextToken !== undefined };
}

function count(labels: string[]): Bar[] {
  const counts = new Map<string, number>();
  for (const label of labels) counts.set(label, (counts.get(label) ?? 0) + 1);
  return [...counts].map(([label, value]) => ({ label, value }));
}

/** Requests per bucket (an hour, or a day for a week), every bucket present, oldest first. */
function overTime(events: Event[], hours: number): Bar[] {
  const bucketMs = hours > 48 ? 24 * 3600_000 : hours > 1 ? 3600_000 : 5 * 60_000;
  const end = Math.ceil(Date.now() / bucketMs) * bucketMs;
  const buckets = Math.ceil((hours * 3600_000) / bucketMs);
  const values = new Array<number>(buckets).fill(0);
  for (const event of events) {
    const index = buckets - 1 - Math.floor((end - 1 - (event.EventTime?.getTime() ?? 0)) / bucketMs);
    if (index >= 0 && index < buckets) values[index] = (values[index] ?? 0) + 1;
  }
  return values.map((value, index) => ({ label: new Date(end - (buckets - index) * bucketMs).toISOString().slice(bucketMs >= 24 * 3600_000 ? 5 : 11, 16).replace("T", " "), value }));
}

export function UsagePage({ session }: { session: Session }) {
  const [hours, setHours] = useState("24");
  const loaded = useLoad(() => kmsEvents(session, Number(hours)), [session, hours]);
  const events = loaded.data?.events ?? [];
  const keys = events.flatMap((event) => (event.Resources ?? []).filter((r) => r.ResourceType === "AWS::KMS::Key").map((r) => r.ResourceName ?? "?"));
  return (
    <section>
      <Title>Usage</Title>
      <form class="filters" aria-label="Period" onSubmit={(e) => e.preventDefault()}>
        <Field label="Period">
          <select value={hours} onChange={(e) => setHours(e.currentTarget.value)}>
            {Object.entries(PERIODS).map(([value, label]) => <option key={value} value={value}>{label}</option>)}
          </select>
        </Field>
      </form>
      <ErrorBox error={loaded.error} />
      <p class="status" role="status">
        {loaded.loading ? "Reading the audit trail…" : `${events.length} KMS requests${loaded.data?.capped ? ` (the first ${MAX_EVENTS} read)` : ""}`}
      </p>
      {!loaded.loading && events.length ? (
        <>
          <TimeBars title="Requests over time (UTC)" bars={overTime(events, Number(hours))} />
          <NamedBars title="Requests per operation" bars={count(events.map((event) => event.EventName ?? "?"))} />
          <NamedBars title="Requests per key" bars={count(keys)} limit={20} />
        </>
      ) : null}
    </section>
  );
}
