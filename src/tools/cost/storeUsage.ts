/**
 * The cost report's records as `kmsd cost` reads them: straight from the deployment's
 * stores, through their contracts (Store, AuditStore), never around them.
 */
import type { AuditStore, LookupQuery, StoredEvent } from "../../store/auditStore.ts";
import type { Store } from "../../store/store.ts";
import type { UsageSource } from "./usage.ts";

const PAGE = 1000;

/** A usage source on a key store and an audit store. */
export function storeUsageSource(store: Store, audit: AuditStore): UsageSource {
  return {
    chains: () => audit.chains(),
    newestEventMs: async (chain) => (await audit.lookup({ ...chain, startMs: 0, endMs: Number.MAX_SAFE_INTEGER, limit: 1 })).events[0]?.timeMs,
    events: (chain, { eventName, eventSource, startMs, endMs }) => {
      const attribute = eventName !== undefined ? { key: "EventName" as const, value: eventName } : eventSource !== undefined ? { key: "EventSource" as const, value: eventSource } : undefined;
      return events(audit, { ...chain, attribute, startMs, endMs, limit: PAGE });
    },
    keys: async function* (chain) {
      let cursor: string | undefined;
      do {
        const page = await store.listKeys(chain.accountId, chain.region, PAGE, cursor);
        for (const record of page.items) {
          yield {
            accountId: record.accountId,
            region: record.region,
            arn: `arn:aws:kms:${record.region}:${record.accountId}:key/${record.keyId}`,
            keySpec: record.keySpec,
            customerManaged: record.keyManager === "CUSTOMER",
            createdMs: record.createdAtMs,
            pendingDeletion: record.state === "PendingDeletion",
            rotationsMs: (record.rotations ?? []).map((rotation) => rotation.rotatedAtMs),
          };
        }
        cursor = page.next;
      } while (cursor !== undefined);
    },
  };
}

/** Every event a query matches, page after page. */
async function* events(audit: AuditStore, query: LookupQuery): AsyncGenerator<StoredEvent> {
  let after: LookupQuery["after"];
  for (;;) {
    const page = await audit.lookup({ ...query, after });
    yield* page.events;
    const last = page.events.at(-1);
    if (!page.more || !last) return;
    after = { timeMs: last.timeMs, rowid: last.rowid };
  }
}
