/**
 * Small helpers shared by the end-to-end suites: creating keys in a given state and
 * taking a snapshot of everything a refused call must leave unchanged.
 */
import {
  CreateKeyCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  ListAliasesCommand,
  ListResourceTagsCommand,
  ScheduleKeyDeletionCommand,
  type CreateKeyCommandInput,
  type KMSClient,
  type KeyMetadata,
} from "@aws-sdk/client-kms";

/** KeyMetadata of a key just created: KeyId and Arn are always there. */
export type CreatedKey = Omit<KeyMetadata, "KeyId" | "Arn"> & { KeyId: string; Arn: string };

/** Creates a symmetric key and returns its metadata. */
export async function createKey(kms: KMSClient, input: CreateKeyCommandInput = {}): Promise<CreatedKey> {
  const { KeyMetadata: metadata } = await kms.send(new CreateKeyCommand(input));
  if (!metadata?.KeyId || !metadata.Arn) throw new Error("CreateKey returned no KeyId/Arn");
  return { ...metadata, KeyId: metadata.KeyId, Arn: metadata.Arn };
}

/** A key state a test can put a fresh key into. */
export type TestKeyState = "Enabled" | "Disabled" | "PendingDeletion";

/** Moves an Enabled key into `state`. */
export async function putKeyInState(kms: KMSClient, keyId: string, state: TestKeyState): Promise<void> {
  if (state === "Disabled") await kms.send(new DisableKeyCommand({ KeyId: keyId }));
  if (state === "PendingDeletion") await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
}

/** What a refused call must not change: the key's metadata, tags and aliases. */
export async function keySnapshot(kms: KMSClient, keyId: string): Promise<unknown> {
  const [described, tags, aliases] = await Promise.all([
    kms.send(new DescribeKeyCommand({ KeyId: keyId })),
    kms.send(new ListResourceTagsCommand({ KeyId: keyId })),
    kms.send(new ListAliasesCommand({ KeyId: keyId })),
  ]);
  return { metadata: described.KeyMetadata, tags: tags.Tags, aliases: aliases.Aliases };
}

/** Bytes as a Buffer (the SDK returns Uint8Array). */
export function bytes(value: Uint8Array | undefined): Buffer {
  if (!value) throw new Error("expected bytes, got undefined");
  return Buffer.from(value);
}

/** A unique alias name for one test. */
export function uniqueAlias(prefix = "test"): string {
  return `alias/${prefix}-${Math.random().toString(36).slice(2, 10)}`;
}
