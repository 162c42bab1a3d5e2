/**
 * Changes that involve several related multi-Region keys and are not a request's own:
 * the scheduled deletion of a multi-Region key. Each is one transaction over every
 * related key (KeyRepository.changeRelated), decided again on the stored records.
 */
import { MS_PER_DAY } from "../clock.ts";
import type { KeyRepository } from "./keyRepository.ts";
import type { KeyRecord } from "./records.ts";

/**
 * Deletes a multi-Region key whose deletion date has passed, if its stored record still
 * says so, and takes its Region off every related key's replica list. A primary waiting
 * for its replicas (PendingReplicaDeletion) starts its own waiting period when the last
 * one is gone. True if the key was deleted.
 */
export async function deleteMultiRegionKeyIfDue(keys: KeyRepository, key: KeyRecord, nowMs: number): Promise<boolean> {
  let deleted = false;
  await keys.changeRelated(key, (related) => {
    const own = related.find((record) => record.region === key.region);
    deleted = own?.deletionDateMs !== undefined && own.deletionDateMs <= nowMs;
    if (!own || !deleted) return {};
    const others = related.filter((record) => record !== own);
    return { delete: [own], update: others.map((record) => withoutRegion(record, own.region, nowMs)) };
  });
  return deleted;
}

/** A related key after the key in `region` was deleted. */
function withoutRegion(record: KeyRecord, region: string, nowMs: number): KeyRecord {
  const config = record.multiRegionConfig;
  if (!config) return record;
  const replicaRegions = config.replicaRegions.filter((candidate) => candidate !== region);
  const next: KeyRecord = { ...record, multiRegionConfig: { ...config, replicaRegions } };
  if (record.state !== "PendingReplicaDeletion" || replicaRegions.length > 0) return next;
  // The last replica is gone: the primary's own waiting period starts now.
  const { pendingWindowInDays = 30, ...rest } = next;
  return { ...rest, state: "PendingDeletion", deletionDateMs: nowMs + pendingWindowInDays * MS_PER_DAY };
}
