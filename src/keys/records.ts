/**
 * What kmsd stores about keys, aliases, accounts and credentials. These are the
 * records the Store persists and the KeyCache holds; they never hold unwrapped
 * material (that lives only in the cache, see keys/keyCache.ts).
 */
import type { KeySpec, KeyUsageType, OriginType, KeyManagerType, KeyState, Tag } from "@aws-sdk/client-kms";

/** A KMS key's metadata, as stored. */
export interface KeyRecord {
  keyId: string;
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
  pendingDeletionWindowInDays?: number;
  policy: string;
  /** In insertion order; an update keeps a tag's place. */
  tags: Tag[];
  /** The material version new encryptions use (absent for keys without material). */
  currentKeyMaterialId?: string;
  multiRegion: boolean;
}

/** One version of a key's material, wrapped by the root key. */
export interface StoredMaterial {
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

/** The ARN of a key. */
export function keyArn(record: Pick<KeyRecord, "region" | "accountId" | "keyId">): string {
  return `arn:aws:kms:${record.region}:${record.accountId}:key/${record.keyId}`;
}

/** The ARN of an alias. */
export function aliasArn(alias: Pick<AliasRecord, "region" | "accountId" | "aliasName">): string {
  return `arn:aws:kms:${alias.region}:${alias.accountId}:${alias.aliasName}`;
}
