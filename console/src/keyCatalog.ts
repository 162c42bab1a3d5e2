/**
 * What the console knows of the keys of one Region, kept for the session: each key's metadata
 * (DescribeKey) and, only once a tag filter asks for them, its tags (ListResourceTags). KMS has
 * no call that lists keys with their metadata, so reading 10,000 keys takes 10,000 requests: the
 * catalog makes them once, in the background, a few at a time, the rows on screen first, and
 * every filter applies to what has arrived so far instead of asking again. A key page that reads
 * a key's metadata or tags (after a change) updates the catalog too.
 *
 * One catalog per KMS client: a client belongs to one signed-in identity and one Region, so a
 * cached answer is never shown to another user, and signing out or switching Region drops it.
 */
import { DescribeKeyCommand, ListResourceTagsCommand, type KMSClient, type KeyMetadata, type Tag } from "@aws-sdk/client-kms";
import { allPages } from "./kmsPaging.ts";
import { shownError, type ShownError } from "./ui.tsx";

/** Requests in flight at once: enough to hide the round trip, few enough to leave room for the user's own calls. */
const CONCURRENCY = 16;
/** Listeners hear of new answers at most this often, so 10,000 answers are not 10,000 renders. */
const NOTIFY_EVERY_MS = 150;
/** How long to wait after a ThrottlingException before asking again. */
const THROTTLED_PAUSE_MS = 1000;

type Job = { kind: "metadata" | "tags"; id: string };

/** Key metadata and tags of one Region, read progressively and cached. */
export class KeyCatalog {
  /** Metadata by key id, as DescribeKey last answered. */
  readonly metadata = new Map<string, KeyMetadata>();
  /** Tags by key id, as ListResourceTags last answered (read only once tags are wanted). */
  readonly tags = new Map<string, Tag[]>();
  /** Keys whose metadata or tags could not be read (the caller may not describe them, or they are gone). */
  readonly failures = new Map<string, ShownError>();

  private ids: readonly string[] = [];
  private onScreen: readonly string[] = [];
  // Where the walk through `ids` has got to, per kind: every key before it was read or is in flight.
  private readonly cursor = { metadata: 0, tags: 0 };
  // Reads refused by throttling, to make again.
  private retries: Job[] = [];
  private tagsWanted = false;
  private running = 0;
  private pausedUntil = 0;
  private readonly inFlight = new Set<string>();
  private readonly listeners = new Set<() => void>();
  private notifyTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly kms: KMSClient) {}

  /** The keys ListKeys returned, in its order: the catalog describes each one it has not yet. */
  setKeys(ids: readonly string[]): void {
    this.ids = ids;
    this.cursor.metadata = 0;
    this.cursor.tags = 0;
    this.pump();
  }

  /** The keys on screen now: described before the rest. */
  showing(ids: readonly string[]): void {
    this.onScreen = ids;
    this.pump();
  }

  /** From now on read every key's tags too (a tag filter is in use). */
  wantTags(): void {
    if (this.tagsWanted) return;
    this.tagsWanted = true;
    this.pump();
  }

  /** Records metadata read elsewhere (the key page), so the list shows the key as it is now. */
  remember(meta: KeyMetadata): void {
    if (!meta.KeyId) return;
    this.metadata.set(meta.KeyId, meta);
    this.failures.delete(meta.KeyId);
    this.changed();
  }

  /** Records a key's tags read elsewhere (the key page). */
  rememberTags(id: string, tags: Tag[]): void {
    this.tags.set(id, tags);
    this.changed();
  }

  /** How many of the listed keys have their metadata (or failed to), and their tags. */
  progress(): { keys: number; described: number; tagged: number } {
    let described = 0;
    let tagged = 0;
    for (const id of this.ids) {
      if (this.metadata.has(id) || this.failures.has(id)) described++;
      if (this.tags.has(id) || this.failures.has(id)) tagged++;
    }
    return { keys: this.ids.length, described, tagged };
  }

  /** Calls `listener` (batched) whenever answers arrive; returns the unsubscribe. Work runs only while someone listens. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    this.pump();
    return () => this.listeners.delete(listener);
  }

  private needs(job: Job): boolean {
    if (this.failures.has(job.id) || this.inFlight.has(`${job.kind} ${job.id}`)) return false;
    return job.kind === "metadata" ? !this.metadata.has(job.id) : this.tagsWanted && !this.tags.has(job.id);
  }

  /** The next read to make: the rows on screen first, then every key's metadata, then tags if wanted. */
  private nextJob(): Job | undefined {
    for (const id of this.onScreen) {
      if (this.needs({ kind: "metadata", id })) return { kind: "metadata", id };
    }
    const retry = this.retries.shift();
    if (retry) return retry;
    for (const kind of ["metadata", "tags"] as const) {
      if (kind === "tags" && !this.tagsWanted) break;
      while (this.cursor[kind] < this.ids.length) {
        const job: Job = { kind, id: this.ids[this.cursor[kind]++] ?? "" };
        if (this.needs(job)) return job;
      }
    }
    return undefined;
  }

  private pump(): void {
    if (this.listeners.size === 0 || Date.now() < this.pausedUntil) return;
    while (this.running < CONCURRENCY) {
      const job = this.nextJob();
      if (!job) return;
      this.running++;
      const flight = `${job.kind} ${job.id}`;
      this.inFlight.add(flight);
      this.read(job)
        .finally(() => {
          this.running--;
          this.inFlight.delete(flight);
          this.changed();
          this.pump();
        })
        .catch(() => undefined);
    }
  }

  private async read(job: Job): Promise<void> {
    try {
      if (job.kind === "metadata") {
        const out = await this.kms.send(new DescribeKeyCommand({ KeyId: job.id }));
        if (out.KeyMetadata) this.metadata.set(job.id, out.KeyMetadata);
      } else {
        const tags = await allPages<Tag>(async (Marker) => {
          const out = await this.kms.send(new ListResourceTagsCommand({ KeyId: job.id, Limit: 50, Marker }));
          return { items: out.Tags, next: out.NextMarker, truncated: out.Truncated };
        });
        this.tags.set(job.id, tags);
      }
    } catch (caught) {
      const error = shownError(caught);
      if (error.name === "ThrottlingException") {
        // Over the account's request quota: ask again later, and slow down.
        this.retries.push(job);
        this.pausedUntil = Date.now() + THROTTLED_PAUSE_MS;
        setTimeout(() => this.pump(), THROTTLED_PAUSE_MS);
        return;
      }
      this.failures.set(job.id, error);
    }
  }

  private changed(): void {
    if (this.notifyTimer !== undefined) return;
    this.notifyTimer = setTimeout(() => {
      this.notifyTimer = undefined;
      for (const listener of this.listeners) listener();
    }, NOTIFY_EVERY_MS);
  }
}

const catalogs = new WeakMap<KMSClient, KeyCatalog>();

/** The catalog of the keys `kms` (one identity, one Region) reaches. */
export function keyCatalog(kms: KMSClient): KeyCatalog {
  let catalog = catalogs.get(kms);
  if (!catalog) {
    catalog = new KeyCatalog(kms);
    catalogs.set(kms, catalog);
  }
  return catalog;
}
