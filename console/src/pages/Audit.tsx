/**
 * The audit trail through CloudTrail LookupEvents: every lookup attribute AWS has, a time
 * range, paging (NextToken), each event's full JSON, and, for the events loaded, who did what
 * (per principal and operation), e.g. who used a key; and the trail's integrity status
 * (DescribeTrails, GetTrailStatus): when the last digest was signed, whether verification passes.
 */
import { useEffect, useState } from "preact/hooks";
import {
  DescribeTrailsCommand,
  GetTrailStatusCommand,
  LookupEventsCommand,
  type Event,
  type GetTrailStatusCommandOutput,
  type LookupAttributeKey,
  type LookupEventsCommandInput,
  type Trail,
} from "@aws-sdk/client-cloudtrail";
import type { Session } from "../session.ts";
import { ErrorBox, Field, Title, useAction, useLoad } from "../ui.tsx";

const ATTRIBUTES: LookupAttributeKey[] = ["EventName", "Username", "ResourceName", "ResourceType", "EventSource", "EventId", "ReadOnly", "AccessKeyId"];

/** A datetime-local input's value for a time (local time, minutes). */
function localInput(date: Date): string {
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

export function AuditPage({ session, params }: { session: Session; params: URLSearchParams }) {
  const resource = params.get("resource");
  const [attribute, setAttribute] = useState<LookupAttributeKey>(resource ? "ResourceName" : "EventName");
  const [value, setValue] = useState(resource ?? "");
  const [start, setStart] = useState(localInput(new Date(Date.now() - 24 * 3600_000)));
  const [end, setEnd] = useState("");
  const [events, setEvents] = useState<Event[]>([]);
  const [nextToken, setNextToken] = useState<string | undefined>();
  const [open, setOpen] = useState<string | undefined>();

  // The lookup the shown events came from: a NextToken is valid only with the same filters.
  const [query, setQuery] = useState<LookupEventsCommandInput>({});
  const lookup = useAction(async (more: boolean) => {
    const next: LookupEventsCommandInput = more
      ? { ...query, NextToken: nextToken }
      : {
          ...(value.trim() ? { LookupAttributes: [{ AttributeKey: attribute, AttributeValue: value.trim() }] } : {}),
          ...(start ? { StartTime: new Date(start) } : {}),
          ...(end ? { EndTime: new Date(end) } : {}),
          MaxResults: 50,
        };
    const out = await session.cloudtrail.send(new LookupEventsCommand(next));
    if (!more) setQuery(next);
    setEvents(more ? [...events, ...(out.Events ?? [])] : (out.Events ?? []));
    setNextToken(out.NextToken);
  });
  // The first page loads with the page (a key's "Audit events" link arrives with its filter set).
  useEffect(() => lookup.run(false), [session]);

  const usage = whoDidWhat(events);
  return (
    <section>
      <Title>Audit trail</Title>
      <form
        class="filters"
        aria-label="Look up events"
        onSubmit={(e) => {
          e.preventDefault();
          lookup.run(false);
        }}
      >
        <Field label="Lookup attribute">
          <select name="attribute" value={attribute} onChange={(e) => setAttribute(e.currentTarget.value as LookupAttributeKey)}>
            {ATTRIBUTES.map((a) => <option key={a}>{a}</option>)}
          </select>
        </Field>
        <Field label="Attribute value">
          <input name="value" value={value} onInput={(e) => setValue(e.currentTarget.value)} />
        </Field>
        <Field label="From">
          <input name="start" type="datetime-local" value={start} onInput={(e) => setStart(e.currentTarget.value)} />
        </Field>
        <Field label="To (empty: now)">
          <input name="end" type="datetime-local" value={end} onInput={(e) => setEnd(e.currentTarget.value)} />
        </Field>
        <button type="submit" disabled={lookup.busy}>Look up events</button>
      </form>
      <ErrorBox error={lookup.error} />
      <p class="status" role="status">{lookup.busy ? "Looking up…" : `${events.length} events${nextToken ? " (more available)" : ""}`}</p>
      <table class="events">
        <caption class="visually-hidden">Events</caption>
        <thead>
          <tr>
            <th scope="col">Time</th><th scope="col">Event</th><th scope="col">User</th><th scope="col">Source</th>
            <th scope="col">Resources</th><th scope="col">Error</th><th scope="col"><span class="visually-hidden">Details</span></th>
          </tr>
        </thead>
        <tbody>
          {events.map((event) => {
            const record = parseRecord(event.CloudTrailEvent);
            const isOpen = open === event.EventId;
            return [
              <tr key={event.EventId}>
                <td>{event.EventTime?.toISOString()}</td>
                <td>{event.EventName}</td>
                <td>{event.Username}</td>
                <td>{event.EventSource}</td>
                <td>{event.Resources?.map((r) => r.ResourceName).join(", ")}</td>
                <td>{typeof record.errorCode === "string" ? record.errorCode : ""}</td>
                <td>
                  <button type="button" aria-expanded={isOpen} onClick={() => setOpen(isOpen ? undefined : event.EventId)}>
                    {isOpen ? "Hide" : "Show"} JSON<span class="visually-hidden"> of {event.EventName} at {event.EventTime?.toISOString()}</span>
                  </button>
                </td>
              </tr>,
              isOpen ? (
                <tr key={`${event.EventId}-json`}>
                  <td colSpan={7}><pre class="code" tabIndex={0}>{JSON.stringify(record, null, 2)}</pre></td>
                </tr>
              ) : null,
            ];
          })}
        </tbody>
      </table>
      {nextToken ? <button type="button" disabled={lookup.busy} onClick={() => lookup.run(true)}>Load more events</button> : null}
      <section aria-labelledby="who-heading">
        <h2 id="who-heading">Who did what (events above)</h2>
        <table>
          <caption class="visually-hidden">Calls per principal and operation</caption>
          <thead><tr><th scope="col">Principal</th><th scope="col">Operation</th><th scope="col">Calls</th><th scope="col">Failed</th></tr></thead>
          <tbody>
            {usage.map((row) => (
              <tr key={`${row.principal} ${row.operation}`}>
                <td>{row.principal}</td><td>{row.operation}</td><td>{row.calls}</td><td>{row.failed}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <TrailIntegrity session={session} />
    </section>
  );
}

/** The trail of the session's Region and its status, as CloudTrail reports them. */
async function trailStatus(session: Session): Promise<{ trail: Trail; status: GetTrailStatusCommandOutput } | undefined> {
  const trails = (await session.cloudtrail.send(new DescribeTrailsCommand({}))).trailList ?? [];
  const trail = trails.find((candidate) => candidate.HomeRegion === session.region) ?? trails[0];
  if (!trail) return undefined;
  return { trail, status: await session.cloudtrail.send(new GetTrailStatusCommand({ Name: trail.TrailARN ?? trail.Name })) };
}

/** Whether the trail verifies: validated, a digest signed, and no error since (a broken record chain is one). */
function verification(trail: Trail, status: GetTrailStatusCommandOutput): { ok: boolean; text: string } {
  if (!trail.LogFileValidationEnabled) return { ok: false, text: "Log file validation is off: nothing is signed." };
  if (status.LatestDigestDeliveryError) return { ok: false, text: `Fails: ${status.LatestDigestDeliveryError}` };
  if (!status.LatestDigestDeliveryTime) return { ok: true, text: "Not yet: no digest signed so far (one is written every hour)." };
  return { ok: true, text: "Passes: every record delivered so far chains to the signed digests." };
}

function TrailIntegrity({ session }: { session: Session }) {
  const loaded = useLoad(() => trailStatus(session), [session]);
  const when = (date: Date | undefined) => date?.toISOString() ?? "never";
  const result = loaded.data && verification(loaded.data.trail, loaded.data.status);
  return (
    <section aria-labelledby="integrity-heading">
      <h2 id="integrity-heading">Trail integrity</h2>
      <ErrorBox error={loaded.error} />
      {loaded.loading ? <p role="status">Reading the trail's status…</p> : null}
      {loaded.data === undefined && !loaded.loading && !loaded.error ? <p>No trail in this Region.</p> : null}
      {loaded.data && result ? (
        <dl class="facts" data-testid="trail-status">
          <dt>Trail</dt>
          <dd><code>{loaded.data.trail.TrailARN}</code></dd>
          <dt>Logging</dt>
          <dd>{loaded.data.status.IsLogging ? `Yes, since ${when(loaded.data.status.StartLoggingTime)}` : "No"}</dd>
          <dt>Log files last delivered</dt>
          <dd>{when(loaded.data.status.LatestDeliveryTime)}</dd>
          <dt>Last digest signed</dt>
          <dd>{when(loaded.data.status.LatestDigestDeliveryTime)}</dd>
          <dt>Verification</dt>
          <dd class={result.ok ? "ok" : "bad"}>{result.text}</dd>
        </dl>
      ) : null}
      <p class="hint">
        Files changed on disk after delivery are found by <code>kmsd audit verify</code> on the server, which reads them.
      </p>
    </section>
  );
}

/** The CloudTrail record of an event (LookupEvents returns it as a JSON string). */
export function parseRecord(text: string | undefined): Record<string, unknown> {
  try {
    return JSON.parse(text ?? "{}") as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** The principal of a record: its user identity's ARN, else the event's user name. */
function principalOf(event: Event, record: Record<string, unknown>): string {
  const identity = record.userIdentity as { arn?: string } | undefined;
  return identity?.arn ?? event.Username ?? "?";
}

function whoDidWhat(events: Event[]): { principal: string; operation: string; calls: number; failed: number }[] {
  const rows = new Map<string, { principal: string; operation: string; calls: number; failed: number }>();
  for (const event of events) {
    const record = parseRecord(event.CloudTrailEvent);
    const principal = principalOf(event, record);
    const operation = event.EventName ?? "?";
    const row = rows.get(`${principal}\n${operation}`) ?? { principal, operation, calls: 0, failed: 0 };
    row.calls++;
    if (record.errorCode) row.failed++;
    rows.set(`${principal}\n${operation}`, row);
  }
  return [...rows.values()].sort((a, b) => b.calls - a.calls);
}
