/**
 * ReplicateKey: a replica of a multi-Region primary key in another Region of the same
 * account and partition. The replica has the primary's id, key material (every version),
 * key spec, usage, origin and rotation settings, and its own policy, description, tags
 * and state. It is written with every related key in one transaction (each gains the new
 * Region in its replica list), passes through AWS's transient Creating state, then becomes
 * Enabled (PendingImport for imported material, which must be imported into the replica
 * too). The replica Region's trail records a CreateKey service event, as CloudTrail does.
 */
import { assertKeyQuota } from "../../../quotas/resourceChecks.ts";
import { AlreadyExistsException, KMSInternalException, NotFoundException, ValidationException } from "../../../errors.ts";
import { buildServiceEvent } from "../../../audit/events.ts";
import { materialIdsOf } from "../../../keys/importedMaterial.ts";
import { finishCreating } from "../../../keys/multiRegionKeys.ts";
import { keyArn, type KeyRecord, type NewKeyRecord } from "../../../keys/records.ts";
import { assertKeyStateAllows } from "../../../keys/keyStates.ts";
import { AWS_REGIONS } from "../../../server/regions.ts";
import type { RequestContext } from "../../../server/context.ts";
import { log } from "../../../server/log.ts";
import { keyForOperation } from "../keyAccess.ts";
import { toKeyMetadata } from "../keyMetadata.ts";
import { checkKeyPolicy, defaultKeyPolicy } from "../keyPolicy.ts";
import { ownRecord, requirePrimary } from "../multiRegion.ts";
import type { Handler } from "../registry.ts";
import { mergeTags } from "../tags.ts";

export const ReplicateKey: Handler<"ReplicateKey"> = async (ctx, input) => {
  const replicaRegion = input.ReplicaRegion ?? "";
  const primary = await keyForOperation(ctx, "ReplicateKey", input.KeyId, "key-only");
  requirePrimary(primary);
  checkReplicaRegion(primary, replicaRegion);
  const policy = input.Policy ?? defaultKeyPolicy(ctx.accountId);
  const replica: NewKeyRecord = {
    keyId: primary.keyId,
    accountId: primary.accountId,
    region: replicaRegion,
    createdAtMs: ctx.nowMs,
    description: input.Description ?? "",
    keySpec: primary.keySpec,
    keyUsage: primary.keyUsage,
    origin: primary.origin,
    keyManager: "CUSTOMER",
    state: "Creating",
    transientSinceMs: ctx.nowMs,
    policy,
    tags: mergeTags([], input.Tags ?? []),
    multiRegion: true,
  };
  if (input.Policy !== undefined) await checkKeyPolicy(ctx, policy, { ...withShared(replica, primary), revision: 0 }, input.BypassPolicyLockoutSafetyCheck === true);
  await assertKeyQuota(ctx, primary.accountId, replicaRegion);
  const created = await createReplica(ctx, primary, replica);
  await ctx.services.audit.recordServiceEvent(buildServiceEvent("CreateKey", created, ctx.nowMs)).catch((error: unknown) => {
    log.error("service event not recorded", { keyId: created.keyId, eventName: "CreateKey", error: String(error) });
  });
  await finishCreating(ctx.services.keys, created);
  return { ReplicaKeyMetadata: toKeyMetadata(created), ReplicaPolicy: created.policy, ReplicaTags: created.tags };
};

/** Refuses a Region the replica cannot go to: unknown, the key's own, another partition, or one that has a replica already. */
function checkReplicaRegion(primary: KeyRecord, region: string): void {
  // Unconfirmed wording: AWS documents the errors, not their messages.
  if (!AWS_REGIONS.has(region)) throw new ValidationException(`${region} is not a valid AWS Region.`);
  if (region === primary.region) throw new ValidationException(`The replica Region must be different from the Region of the primary key: ${region}.`);
  if (partitionOf(region) !== partitionOf(primary.region)) {
    throw new ValidationException(`The replica Region ${region} is not in the partition of the primary key.`);
  }
  if (primary.multiRegionConfig?.replicaRegions.includes(region)) {
    throw new AlreadyExistsException(`Key '${keyArn({ ...primary, region })}' already exists`);
  }
}

/** The AWS partition of a Region. */
function partitionOf(region: string): string {
  return region.startsWith("us-gov-") ? "aws-us-gov" : "aws";
}

/**
 * Writes the replica, its material and the new replica list of every related key in one
 * transaction. The primary's material is unwrapped before; if a rotation added a version
 * meanwhile, it starts again with that version too.
 */
async function createReplica(ctx: RequestContext, primary: KeyRecord, replica: NewKeyRecord): Promise<KeyRecord> {
  const keys = ctx.services.keys;
  let source = primary;
  for (let tries = 1; ; tries++) {
    const versions = source.origin === "EXTERNAL" ? [] : materialIdsOf(source);
    const materials = await Promise.all(versions.map((id) => keys.material(source, id)));
    let stale: KeyRecord | undefined;
    const outcome = await keys.changeRelated(primary, (related) => {
      const current = ownRecord(related, primary);
      if (!current) throw new NotFoundException(`Key '${keyArn(primary)}' does not exist`);
      assertKeyStateAllows("ReplicateKey", current);
      requirePrimary(current);
      checkReplicaRegion(current, replica.region);
      if (materialIdsOf(current).join() !== materialIdsOf(source).join()) {
        stale = current;
        return {};
      }
      const config = { primaryRegion: current.region, replicaRegions: [...(current.multiRegionConfig?.replicaRegions ?? []), replica.region] };
      return {
        update: related.map((record) => ({ ...record, multiRegionConfig: config })),
        create: [{ ...withShared(replica, current), multiRegionConfig: config }],
        materials: materials.flatMap((material) => (material ? [{ material, to: [replica] }] : [])),
      };
    });
    const created = outcome.created[0];
    if (created) return created;
    if (!stale || tries >= 5) throw new KMSInternalException("The primary key changed while it was being replicated; try again.");
    source = stale;
  }
}

/** The properties a replica shares with its primary: rotation settings and history, and the ids of the material it has. */
function withShared(replica: NewKeyRecord, primary: KeyRecord): NewKeyRecord {
  const { rotation, rotations, currentKeyMaterialId, firstKeyMaterialId } = primary;
  return {
    ...replica,
    ...(rotation ? { rotation } : {}),
    ...(rotations ? { rotations } : {}),
    // For imported material these name what must be imported into the replica (anything else is refused).
    ...(currentKeyMaterialId ? { currentKeyMaterialId } : {}),
    ...(firstKeyMaterialId ? { firstKeyMaterialId } : {}),
  };
}
