/**
 * Usage from the audit trail: KMS requests over time per operation and per key, and their
 * totals, over a chosen period, read with LookupEvents (EventSource kms.amazonaws.com), up to
 * MAX_EVENTS events.
 */
import { useState } from "preact/hooks";
import { LookupEventsCommand, type Event } from "@aws-sdk/client-cloudtrail";
import type { Session } from "../session.ts";
import { ErrorBox, Field, Title, useLoad } from "../ui.tsx";
import { NamedBars, TimeChart, type Bar, type TimeSeries } from "../components/Charts.tsx";

/** LookupEvents gives 50 events a page: read at most this many, so a busy trail cannot stall the page. */
const MAX_EVENTS = 5000;
/** Lines in one chart over time: the busiest names; the rest are in the totals. */
const MAX_LINES = 6;

const PERIODS = { "1": "Last hour", "24": "Last 24 hours", "168": "Last 7 days" } as const;

/**
 * The end of the period: now, or the newest event if it is later (the server's clock is ahead
 * of the browser's, as a --dev server's clock can be moved): the period is the trail's last hours.
 */
async function periodEnd(session: Session): Promise<number> {
  const newest = (await session.cloudtrail.send(new LookupEventsCommand({ MaxResults: 1 }))).Events?.[0]?.EventTime?.getTime() ?? 0;
  return Math.max(Date.now(), newest + 1000);
}

async function kmsEvents(session: Session, hours: number): Promise<{ events: Event[]; capped: boolean; endMs: number }> {
  const events: Event[] = [];
  const endMs = await periodEnd(session);
  // A NextToken belongs to the lookup that issued it: every page asks with the same times.
  const StartTime = new Date(endMs - hours * 3600_000);
  const EndTime = new Date(endMs);
  let NextToken: string | undefined;
  do {
    const out = await session.cloudtrail.send(
      new LookupEventsCommand({
        LookupAttributes: [{ AttributeKey: "EventSource", AttributeValue: "kms.amazonaws.com" }],
        StartTime,
        EndTime,
        MaxResults: 50,
        NextToken,
      }),
    );
    events.push(...(out.Events ?? []));
    NextToken = out.NextToken;
  } while (NextToken && events.length < MAX_EVENTS);
  return { events, capped: NextToken !== undefined, endMs };
}

/** The keys an event used. */
const keysOf = (event: Event) => (event.Resources ?? []).filter((r) => r.ResourceType === "AWS::KMS::Key").map((r) => r.ResourceName ?? "?");

function totals(labels: string[]): Bar[] {
  const counts = new Map<string, number>();
  for (const label of labels) counts.set(label, (counts.get(label) ?? 0) + 1);
  return [...counts].map(([label, value]) => ({ label, value }));
}

/**
 * Requests per interval (5 minutes for an hour, an hour for a day, a day for a week), every
 * interval present, oldest first, one line for each of the busiest names `namesOf` gives.
 */
function overTime(events: Event[], hours: number, endMs: number, namesOf: (event: Event) => string[]): TimeSeries {
  const bucketMs = hours > 48 ? 24 * 3600_000 : hours > 1 ? 3600_000 : 5 * 60_000;
  const end = Math.ceil(endMs / bucketMs) * bucketMs;
  const buckets = Math.ceil((hours * 3600_000) / bucketMs);
  const busiest = totals(events.flatMap(namesOf))
    .sort((a, b) => b.value - a.value)
    .slice(0, MAX_LINES)
    .map((bar) => bar.label);
  const values = new Map(busiest.map((name) => [name, new Array<number>(buckets).fill(0)]));
  for (const event of events) {
    const index = buckets - 1 - Math.floor((end - 1 - (event.EventTime?.getTime() ?? 0)) / bucketMs);
    if (index < 0 || index >= buckets) continue;
    for (const name of namesOf(event)) {
      const line = values.get(name);
      if (line) line[index] = (line[index] ?? 0) + 1;
    }
  }
  return {
    times: Array.from({ length: buckets }, (_, index) => end - (buckets - index) * bucketMs),
    series: [...values].map(([label, counts]) => ({ label, values: counts })),
  };
}

export function UsagePage({ session }: { session: Session }) {
  const [hours, setHours] = useState("24");
  const loaded = useLoad(() => kmsEvents(session, Number(hours)), [session, hours]);
  const events = loaded.data?.events ?? [];
  const endMs = loaded.data?.endMs ?? Date.now();
  const operationOf = (event: Event) => [event.EventName ?? "?"];
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
          <TimeChart title="Requests per operation over time (UTC)" unit="requests" data={overTime(events, Number(hours), endMs, operationOf)} />
          <TimeChart title="Requests per key over time (UTC)" unit="requests" data={overTime(events, Number(hours), endMs, keysOf)} />
          <NamedBars title="Requests per operation" bars={totals(events.flatMap(operationOf))} />
          <NamedBars title="Requests per key" bars={totals(events.flatMap(keysOf))} limit={20} />
        </>
      ) : null}
    </section>
  );
}
