/**
 * UpdatePrimaryRegion: the replica in PrimaryRegion becomes the primary of its
 * multi-Region key and the current primary one of its replicas. Needs
 * kms:UpdatePrimaryRegion on both keys. Both pass through AWS's transient Updating state
 * (cryptographic operations go on meanwhile); then every related key learns the new
 * primary Region and replica list in one transaction, and the rotation schedule, which
 * every related key carries, is kept by the new primary. The new primary's Region records
 * an UpdatePrimaryRegion service event.
 */
import { NotFoundException, ValidationException } from "../../../errors.ts";
import { buildServiceEvent } from "../../../audit/events.ts";
import { assertKeyStateAllows } from "../../../keys/keyStates.ts";
import { finishUpdating } from "../../../keys/multiRegionKeys.ts";
import { keyArn, keyHandle, type KeyRecord } from "../../../keys/records.ts";
import type { RequestContext } from "../../../server/context.ts";
import { log } from "../../../server/log.ts";
import { authorizeKeyUse, keyForOperation } from "../keyAccess.ts";
import { ownRecord, requirePrimary } from "../multiRegion.ts";
import type { Handler } from "../registry.ts";

export const UpdatePrimaryRegion: Handler<"UpdatePrimaryRegion"> = async (ctx, input) => {
  const newRegion = input.PrimaryRegion ?? "";
  const primary = await keyForOperation(ctx, "UpdatePrimaryRegion", input.KeyId, "key-only");
  requirePrimary(primary);
  // Unconfirmed wording: AWS documents these errors, not their messages.
  if (newRegion === primary.region) throw new ValidationException(`${keyArn(primary)} is already the primary key in ${newRegion}.`);
  const replica = await ctx.services.keys.find(keyHandle({ keyId: primary.keyId, region: newRegion }));
  if (!replica || !primary.multiRegionConfig?.replicaRegions.includes(newRegion)) {
    throw new NotFoundException(`Key '${keyArn({ ...primary, region: newRegion })}' does not exist`);
  }
  await authorizeKeyUse(ctx, "UpdatePrimaryRegion", replica, "replica-key");
  assertKeyStateAllows("UpdatePrimaryRegion", replica);

  await markUpdating(ctx, primary, newRegion);
  await finishUpdating(ctx.services.keys, primary);
  await ctx.services.audit.recordServiceEvent(buildServiceEvent("UpdatePrimaryRegion", replica, ctx.nowMs)).catch((error: unknown) => {
    log.error("service event not recorded", { keyId: replica.keyId, eventName: "UpdatePrimaryRegion", error: String(error) });
  });
  return {};
};

/** Both keys enter Updating, decided again on the stored records: the primary must still be the primary and the replica still its replica. */
async function markUpdating(ctx: RequestContext, primary: KeyRecord, newRegion: string): Promise<void> {
  await ctx.services.keys.changeRelated(primary, (related) => {
    const current = ownRecord(related, primary);
    const replica = ownRecord(related, { region: newRegion });
    if (!current || !replica) throw new NotFoundException(`Key '${keyArn({ ...primary, region: newRegion })}' does not exist`);
    requirePrimary(current);
    assertKeyStateAllows("UpdatePrimaryRegion", current);
    assertKeyStateAllows("UpdatePrimaryRegion", replica);
    const updating = (record: KeyRecord): KeyRecord => ({ ...record, state: "Updating", stateBeforeUpdate: record.state, transientSinceMs: ctx.nowMs });
    return { update: [updating(current), updating(replica)] };
  });
}
