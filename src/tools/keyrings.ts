/**
 * The KMS keyrings of the file and environment tools. Encryption uses every `--key-id`
 * (the first generates the data key, each other one wraps it too, so any of them can open
 * the message, in whatever Region it lives). Decryption is strict when `--key-id`s are
 * given (only those keys are asked) and discovery otherwise (the keys the message names).
 * Both are the Encryption SDK's multi-Region-aware keyrings: a multi-Region replica opens
 * what its primary sealed.
 */
import {
  buildAwsKmsMrkAwareStrictMultiKeyringNode,
  buildClient,
  CommitmentPolicy,
  KmsKeyringNode,
  type KeyringNode,
} from "@aws-crypto/client-node";
import type { KmsClients } from "./kmsClients.ts";

/** How many keys one message may name: more on decryption would let a crafted message make us call KMS without bound. */
export const MAX_KEYS_PER_MESSAGE = 16;

/**
 * The Encryption SDK as the tools use it: committing algorithm suites only, both ways (so
 * messages are format version 2, signed with ECDSA P-384 by default), and a bound on the
 * data keys a message may carry.
 */
export const encryptionSdk: ReturnType<typeof buildClient> = buildClient({
  commitmentPolicy: CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT,
  maxEncryptedDataKeys: MAX_KEYS_PER_MESSAGE,
});

/** The keyring that seals a message for each of `keyIds` (ids, ARNs, aliases or alias ARNs). */
export function encryptingKeyring(keyIds: readonly string[], clients: KmsClients): KeyringNode {
  const [generatorKeyId, ...others] = keyIds;
  if (generatorKeyId === undefined) throw new Error("give at least one --key-id");
  if (keyIds.length > MAX_KEYS_PER_MESSAGE) throw new Error(`at most ${MAX_KEYS_PER_MESSAGE} --key-id may be given`);
  return buildAwsKmsMrkAwareStrictMultiKeyringNode({ generatorKeyId, keyIds: others, clientProvider: clients.provider });
}

/**
 * The keyring that opens a message: strict with the ARNs of `keyIds`, discovery without.
 * A message records key ARNs, so an alias or bare key id is turned into its ARN first
 * (DescribeKey, in the Region the alias ARN names or the client's).
 */
export async function decryptingKeyring(keyIds: readonly string[], clients: KmsClients): Promise<KeyringNode> {
  if (keyIds.length === 0) return new KmsKeyringNode({ discovery: true, clientProvider: clients.provider });
  if (keyIds.length > MAX_KEYS_PER_MESSAGE) throw new Error(`at most ${MAX_KEYS_PER_MESSAGE} --key-id may be given`);
  const arns = await Promise.all(keyIds.map((keyId) => keyArnOf(keyId, clients)));
  const [generatorKeyId, ...others] = arns;
  return buildAwsKmsMrkAwareStrictMultiKeyringNode({ generatorKeyId, keyIds: others, clientProvider: clients.provider });
}

async function keyArnOf(keyId: string, clients: KmsClients): Promise<string> {
  if (/^arn:[^:]+:kms:[^:]+:[0-9]{12}:key\//.test(keyId)) return keyId;
  const region = /^arn:[^:]+:kms:([^:]+):/.exec(keyId)?.[1];
  const described = await clients.forRegion(region).describeKey({ KeyId: keyId });
  const arn = described.KeyMetadata?.Arn;
  if (arn === undefined) throw new Error(`KMS did not describe key '${keyId}'`);
  return arn;
}
