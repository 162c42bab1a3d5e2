/**
 * Rules shared by the operations on multi-Region keys: which key may do what (only a
 * primary is replicated, rotated or has its rotation configured; replicas follow), and
 * how a change to a shared property reaches every related key in one transaction.
 */
import { UnsupportedOperationException } from "../../errors.ts";
import { assertKeyStateAllows } from "../../keys/keyStates.ts";
import { isReplicaKey, keyArn, type KeyRecord } from "../../keys/records.ts";
import type { RequestContext } from "../../server/context.ts";
import type { KmsOperation } from "./registry.ts";

/** Refuses a multi-Region replica where only its primary may act (AWS's recorded message). */
export function requireNotReplica(key: KeyRecord): void {
  if (isReplicaKey(key)) throw new UnsupportedOperationException(`${keyArn(key)} is not a multi-region primary key.`);
}

/** Refuses a key that is not a multi-Region primary (ReplicateKey). */
export function requirePrimary(key: KeyRecord): void {
  if (!key.multiRegion || isReplicaKey(key)) throw new UnsupportedOperationException(`${keyArn(key)} is not a multi-region primary key.`);
}

/** The record of `key` among its related keys (the one in its Region). */
export function ownRecord(related: readonly KeyRecord[], key: Pick<KeyRecord, "region">): KeyRecord | undefined {
  return related.find((candidate) => candidate.region === key.region);
}

/**
 * Changes a property every related multi-Region key shares (automatic rotation settings):
 * `change` is applied to the named key and all its related keys as stored, in one
 * transaction; the operation's key-state rule is checked again on the named key's stored
 * record. For a single-Region key this is a plain change of that key.
 */
export async function changeSharedProperty(
  ctx: RequestContext,
  operation: KmsOperation,
  key: KeyRecord,
  change: (current: KeyRecord) => KeyRecord,
): Promise<void> {
  await ctx.services.keys.changeRelated(key, (related) => {
    const own = ownRecord(related, key);
    if (own) {
      assertKeyStateAllows(operation, own);
      requireNotReplica(own);
    }
    const update = related.flatMap((record) => {
      const changed = change(record);
      return changed === record ? [] : [changed];
    });
    return { update };
  });
}
