/**
 * What kmsd stores about keys, aliases, accounts and credentials. These are the
 * records the Store persists and the KeyCache holds; they never hold unwrapped
 * material (that lives only in the cache, see keys/keyCache.ts).
 */
import type {
  ExpirationModelType,
  KeyManagerType,
  KeySpec,
  KeyState,
  KeyUsageType,
  OriginType,
  RotationType,
  Tag,
} from "@aws-sdk/client-kms";

/** A KMS key's metadata, as stored. */
export interface KeyRecord {
  keyId: string;
  /**
   * How many times the stored record has changed since the key was created (0 at first).
   * A write names the revision it started from and fails if another process wrote first
   * (compare-and-set), so no change is ever written over one it did not see.
   */
  revision: number;
  accountId: string;
  region: string;
  createdAtMs: number;
  description: string;
  keySpec: KeySpec;
  keyUsage: KeyUsageType;
  origin: OriginType;
  keyManager: KeyManagerType;
  state: KeyState;
  /** Set while the key is PendingDeletion. */
  deletionDateMs?: number;
  policy: string;
  /** In insertion order; an update keeps a tag's place. */
  tags: Tag[];
  /** The material version new encryptions use (absent for keys without material). */
  currentKeyMaterialId?: string;
  multiRegion: boolean;
  /**
   * Multi-Region keys only: where the primary and the replicas are. Every related key
   * carries the same copy, and every change to it writes all of them in one transaction.
   */
  multiRegionConfig?: MultiRegionConfig;
  /**
   * A multi-Region primary waiting for its replicas' deletion (PendingReplicaDeletion):
   * the waiting period ScheduleKeyDeletion asked for, which starts when the last replica is gone.
   */
  pendingWindowInDays?: number;
  /** The state a key returns to when its transient Updating state ends (UpdatePrimaryRegion). */
  stateBeforeUpdate?: KeyState;
  /**
   * When the key entered its transient state (Creating, Updating). The request that entered
   * it also ends it; if that request died in between (a crash), the scheduler ends it once
   * TRANSIENT_STATE_LIMIT_MS have passed, so no key is left unusable for good.
   */
  transientSinceMs?: number;
  /** Present while automatic rotation is enabled. */
  rotation?: AutomaticRotation;
  /** Completed rotations, oldest first. */
  rotations?: RotationRecord[];
  /** Present while a key of Origin EXTERNAL has imported material. */
  imported?: ImportedMaterial;
  /** Imported material waiting for RotateKeyOnDemand to make it current (ImportType NEW_KEY_MATERIAL). */
  pendingKeyMaterialId?: string;
  /** The material that was current before the first rotation (later versions are in `rotations`). */
  firstKeyMaterialId?: string;
  /** ImportKeyMaterial's KeyMaterialDescription, by material id (Origin EXTERNAL only). */
  materialDescriptions?: Record<string, string>;
  /** The custom key store holding the key (Origin EXTERNAL_KEY_STORE or AWS_CLOUDHSM). */
  customKeyStoreId?: string;
  /** Origin EXTERNAL_KEY_STORE: the external key's id at the store's proxy. */
  xksKeyId?: string;
  /** Origin AWS_CLOUDHSM: the cluster (PKCS#11 token) whose key, labelled with the key id, is the second layer. */
  cloudHsmClusterId?: string;
}

/** The Regions of a set of related multi-Region keys. */
export interface MultiRegionConfig {
  primaryRegion: string;
  /** In the order the replicas were created. */
  replicaRegions: string[];
}

/** A key as its creator describes it: the store gives it its first revision. */
export type NewKeyRecord = Omit<KeyRecord, "revision">;

/** Automatic rotation settings of a key. */
export interface AutomaticRotation {
  periodInDays: number;
  /** When the current period started: rotation enabled, period changed, or the last automatic rotation. */
  sinceMs: number;
}

/** When a key's next automatic rotation is due. */
export function nextRotationMs(rotation: AutomaticRotation): number {
  return rotation.sinceMs + rotation.periodInDays * 86_400_000;
}

/** One completed rotation: the material that became current, when and how. */
export interface RotationRecord {
  keyMaterialId: string;
  rotatedAtMs: number;
  type: RotationType;
}

/** How long imported material may be used. */
export interface ImportedMaterial {
  expirationModel: ExpirationModelType;
  /** Set when the model is KEY_MATERIAL_EXPIRES. */
  validToMs?: number;
}

/** How long a key may stay in a transient state before the scheduler ends it (its request died). */
export const TRANSIENT_STATE_LIMIT_MS = 60_000;

/** The transient states of multi-Region keys, which the request that enters them also ends. */
export function isTransient(state: KeyState): state is "Creating" | "Updating" {
  return state === "Creating" || state === "Updating";
}

/**
 * The next time the scheduler must look at this key (deletion, material expiry,
 * automatic rotation, or a transient state a dead request left), or undefined if nothing
 * is scheduled. Stored as an indexed column so the scheduler finds due keys without scanning.
 */
export function nextDueMs(record: NewKeyRecord): number | undefined {
  const candidates: number[] = [];
  if (isTransient(record.state) && record.transientSinceMs !== undefined) candidates.push(record.transientSinceMs + TRANSIENT_STATE_LIMIT_MS);
  if (record.deletionDateMs !== undefined) candidates.push(record.deletionDateMs);
  if (record.imported?.validToMs !== undefined && record.state !== "PendingDeletion") candidates.push(record.imported.validToMs);
  // A disabled key is not rotated; enabling it again puts its date back in the schedule. A
  // replica carries its primary's schedule but is rotated with the primary, never by itself.
  if (record.rotation && record.state === "Enabled" && !isReplicaKey(record)) candidates.push(nextRotationMs(record.rotation));

  return candidates.length === 0 ? undefined : Math.min(...candidates);
}


/** One version of a key's material, wrapped by the root key. */
export interface StoredMaterial {
  /** The key's handle (keyHandle). */
  keyId: string;
  /** 64 hex characters, named in every ciphertext made with it. */
  keyMaterialId: string;
  wrapped: Buffer;
  createdAtMs: number;
}

/** An alias, unique per account and region. */
export interface AliasRecord {
  accountId: string;
  region: string;
  /** Includes the `alias/` prefix. */
  aliasName: string;
  targetKeyId: string;
  createdAtMs: number;
  updatedAtMs: number;
}

/** An AWS account served by this kmsd. */
export interface AccountRecord {
  accountId: string;
  createdAtMs: number;
}

/** Who an access key authenticates as. The authorization issue adds users and roles. */
export type AccessKeyOwner = { kind: "root" };

/** An access key with its secret wrapped by the root key. */
export interface StoredAccessKey {
  accessKeyId: string;
  accountId: string;
  owner: AccessKeyOwner;
  wrappedSecret: Buffer;
  status: "Active" | "Inactive";
  createdAtMs: number;
}

/** True for a multi-Region key id: `mrk-` and 32 hex digits. */
export function isMultiRegionKeyId(keyId: string): boolean {
  return /^mrk-[0-9a-f]{32}$/.test(keyId);
}

/**
 * The name a key is stored, cached, locked and announced under: its id, qualified by its
 * Region for a multi-Region key, whose related keys share one id (one key per Region).
 */
export function keyHandle(key: Pick<KeyRecord, "keyId" | "region">): string {
  return isMultiRegionKeyId(key.keyId) ? `${key.keyId}/${key.region}` : key.keyId;
}

/** True for a multi-Region replica key. */
export function isReplicaKey(key: Pick<KeyRecord, "region" | "multiRegionConfig">): boolean {
  return key.multiRegionConfig !== undefined && key.multiRegionConfig.primaryRegion !== key.region;
}

/** True for a multi-Region primary key. */
export function isPrimaryKey(key: Pick<KeyRecord, "region" | "multiRegionConfig">): boolean {
  return key.multiRegionConfig !== undefined && key.multiRegionConfig.primaryRegion === key.region;
}

/** The ARN of a key. */
export function keyArn(record: Pick<KeyRecord, "region" | "accountId" | "keyId">): string {
  return `arn:aws:kms:${record.region}:${record.accountId}:key/${record.keyId}`;
}

/** The ARN of an alias. */
export function aliasArn(alias: Pick<AliasRecord, "region" | "accountId" | "aliasName">): string {
  return `arn:aws:kms:${alias.region}:${alias.accountId}:${alias.aliasName}`;
}
