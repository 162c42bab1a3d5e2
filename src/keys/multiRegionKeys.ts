/**
 * Changes that involve several related multi-Region keys and that the scheduler makes as
 * well as a request: the scheduled deletion of a multi-Region key, and the end of the
 * transient states Creating (ReplicateKey) and Updating (UpdatePrimaryRegion), which the
 * scheduler ends when the request that entered them died. Each is one transaction over
 * every related key (KeyRepository.changeRelated), decided again on the stored records,
 * so ending a state twice (the request and the scheduler) changes nothing the second time.
 */
import type { KeyState } from "@aws-sdk/client-kms";
import { MS_PER_DAY } from "../clock.ts";
import type { KeyRepository } from "./keyRepository.ts";
import { keyHandle, type KeyRecord } from "./records.ts";

/** Ends a replica's Creating state: Enabled, or PendingImport until its material is imported. True if it was Creating. */
export async function finishCreating(keys: KeyRepository, replica: KeyRecord): Promise<boolean> {
  let finished = false;
  await keys.update(keyHandle(replica), (current) => {
    if (current.state !== "Creating") return current;
    finished = true;
    const { transientSinceMs: _, ...rest } = current;
    return { ...rest, state: current.origin === "EXTERNAL" ? "PendingImport" : "Enabled" };
  });
  return finished;
}

/**
 * Ends UpdatePrimaryRegion's Updating state on every related key: the Updating replica
 * (the Region that is not the primary yet) becomes the primary, every related key learns
 * the new primary Region and replica list, and the two Updating keys return to their
 * states. True if a move was made (nothing is Updating once it is done).
 */
export async function finishUpdating(keys: KeyRepository, key: Pick<KeyRecord, "keyId" | "region">): Promise<boolean> {
  let moved = false;
  await keys.changeRelated(key, (related) => {
    const oldConfig = related.find((record) => record.multiRegionConfig)?.multiRegionConfig;
    const newPrimary = related.find((record) => record.state === "Updating" && record.region !== oldConfig?.primaryRegion);
    if (!oldConfig || !newPrimary) return {};
    moved = true;
    const config = {
      primaryRegion: newPrimary.region,
      replicaRegions: [...oldConfig.replicaRegions.filter((region) => region !== newPrimary.region), oldConfig.primaryRegion],
    };
    return { update: related.map((record) => restored({ ...record, multiRegionConfig: config })) };
  });
  return moved;
}

/** A key leaving Updating for the state it had before. */
function restored(record: KeyRecord): KeyRecord {
  if (record.state !== "Updating") return record;
  const { stateBeforeUpdate, transientSinceMs: _, ...rest } = record;
  return { ...rest, state: (stateBeforeUpdate ?? "Enabled") as KeyState };
}

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
