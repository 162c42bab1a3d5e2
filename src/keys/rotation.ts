/**
 * Key rotation: a new material version becomes current and every older one is kept, so
 * what it encrypted still decrypts. Related multi-Region keys rotate together. Automatic rotation (the scheduler) and on-demand
 * rotation (RotateKeyOnDemand) share this one function.
 */
import { randomBytes } from "node:crypto";
import type { RotationType } from "@aws-sdk/client-kms";
import type { KeyRepository } from "./keyRepository.ts";
import { KMSInvalidStateException, NotFoundException } from "../errors.ts";
import { regionsWithout } from "./pendingMaterial.ts";
import { isReplicaKey, keyArn, nextRotationMs, type KeyRecord } from "./records.ts";


/** AWS's default automatic rotation period. */
export const DEFAULT_ROTATION_PERIOD_DAYS = 365;
/** AWS's lifetime limit of on-demand rotations per key (25 in the current API reference; 10 before). */
export const MAX_ON_DEMAND_ROTATIONS = 25;

/**
 * Rotates a key with fresh material (keys of Origin AWS_KMS); a multi-Region primary and
 * every replica together, in one transaction, so each Region has every version. `precondition`
 * is checked on the stored record as it is written, and may throw to refuse (a limit another
 * worker's rotation reached meanwhile).
 */
export async function rotateKey(
  keys: KeyRepository,
  key: Pick<KeyRecord, "keyId" | "region">,
  type: RotationType,
  nowMs: number,
  precondition: (current: KeyRecord) => void = () => {},
): Promise<KeyRecord> {
  const material = randomBytes(32);
  const keyMaterialId = keys.materialIdFor(key.keyId, material);
  const { related } = await keys.changeRelated(key, (related) => {
    precondition(named(related, key));
    return { update: related.map((record) => withRotation(record, keyMaterialId, type, nowMs)), materials: [{ material, to: related }] };
  });
  return named(related, key);
}

/**
 * The scheduler's automatic rotation: decided again on the stored record as it is written,
 * so a change that raced the scheduler's look at the key (DisableKey, DisableKeyRotation,
 * another rotation, on any worker) wins and nothing rotates. A multi-Region primary rotates
 * with its replicas; a replica is never rotated on its own.
 */
export async function rotateIfDue(keys: KeyRepository, key: Pick<KeyRecord, "keyId" | "region">, nowMs: number): Promise<boolean> {
  const material = randomBytes(32);
  const keyMaterialId = keys.materialIdFor(key.keyId, material);
  let rotated = false;
  await keys.changeRelated(key, (related) => {
    const current = named(related, key);
    rotated = current.state === "Enabled" && current.rotation !== undefined && !isReplicaKey(current) && nextRotationMs(current.rotation) <= nowMs;
    if (!rotated) return {};
    return { update: related.map((record) => withRotation(record, keyMaterialId, "AUTOMATIC", nowMs)), materials: [{ material, to: related }] };
  });
  return rotated;
}

/** The record of `key` among related keys. */
function named(related: readonly KeyRecord[], key: Pick<KeyRecord, "keyId" | "region">): KeyRecord {
  const record = related.find((candidate) => candidate.region === key.region);
  if (!record) throw new NotFoundException(`Key '${keyArn({ ...key, accountId: related[0]?.accountId ?? "" })}' does not exist`);
  return record;
}

/**
 * Makes imported material that waited for rotation (ImportType NEW_KEY_MATERIAL) current;
 * `precondition` as for rotateKey. A multi-Region primary rotates with every replica, each
 * to its own imported copy of that material, so the set rotates only once every related key
 * holds it (KMSInvalidStateException naming the Regions that do not).
 */
export async function rotateToPendingMaterial(
  keys: KeyRepository,
  key: Pick<KeyRecord, "keyId" | "region">,
  nowMs: number,
  precondition: (current: KeyRecord) => void = () => {},
): Promise<KeyRecord> {
  const { related } = await keys.changeRelated(key, (related) => {
    const current = named(related, key);
    precondition(current);
    const keyMaterialId = current.pendingKeyMaterialId;
    if (!keyMaterialId) return {};
    const missing = regionsWithout(related, keyMaterialId);
    if (missing.length > 0) {
      throw new KMSInvalidStateException(
        `Key material (id: ${keyMaterialId}) of ${keyArn(current)} is not yet imported into the replica keys in ${missing.join(", ")}. Import it into every replica Region key before rotating on demand.`,
      );
    }
    return {
      update: related.map((record) => {
        const { pendingKeyMaterialId: _pending, ...rest } = record;
        return withRotation(rest, keyMaterialId, "ON_DEMAND", nowMs);
      }),
    };
  });
  return named(related, key);
}

/** The record after `keyMaterialId` became current by a rotation; an automatic schedule moves on one period. */
function withRotation(current: KeyRecord, keyMaterialId: string, type: RotationType, nowMs: number): KeyRecord {
  const rotations = [...(current.rotations ?? []), { keyMaterialId, rotatedAtMs: nowMs, type }];
  const rotation = current.rotation && type === "AUTOMATIC" ? { ...current.rotation, sinceMs: nowMs } : current.rotation;

  // The material of the key before its first rotation is named by no rotation: remember it, so
  // DeleteImportedKeyMaterial deletes it and re-importing it is recognised.
  const firstKeyMaterialId = current.firstKeyMaterialId ?? current.currentKeyMaterialId;
  return {
    ...current,
    currentKeyMaterialId: keyMaterialId,
    rotations,
    ...(rotation ? { rotation } : {}),
    ...(firstKeyMaterialId ? { firstKeyMaterialId } : {}),
  };
}

/** How many on-demand rotations a key has had. */
export function onDemandRotationCount(key: KeyRecord): number {
  return (key.rotations ?? []).filter((rotation) => rotation.type === "ON_DEMAND").length;
}
