/**
 * ReEncrypt: decrypts under the source key and encrypts under the destination key, without
 * exposing plaintext. A dry run with IGNORE_CIPHERTEXT checks only the two named keys.
 */
import { keyArn } from "../../../keys/records.ts";
import { decryptWith, encryptWith } from "../encryption.ts";
import { ValidationException } from "../../../errors.ts";
import { endIfDryRun, ignoresCiphertext, keyForOperation, requireKeyUsage } from "../keyAccess.ts";
import type { Handler } from "../registry.ts";
import { parseHeader } from "../../../crypto/ciphertext.ts";
import { resolveKey } from "../../../keys/keyResolver.ts";
import type { RequestContext } from "../../../server/context.ts";

export const ReEncrypt: Handler<"ReEncrypt"> = async (ctx, input) => {
  ctx.reEncryptOnSameKey = await sameKey(ctx, input.SourceKeyId, input.CiphertextBlob, input.DestinationKeyId);
  const requestedSource =
    input.SourceKeyId === undefined ? undefined : await keyForOperation(ctx, "ReEncrypt", input.SourceKeyId, "aliases-allowed");
  const destination = await keyForOperation(ctx, "ReEncrypt", input.DestinationKeyId, "aliases-allowed", "destination-key");

  requireKeyUsage(destination, "ENCRYPT_DECRYPT", "ReEncrypt");
  if (ignoresCiphertext(input)) {
    if (!requestedSource) {
      throw new ValidationException("SourceKeyId is required when DryRun is true and DryRunModifiers contains IGNORE_CIPHERTEXT.");
    }
    requireKeyUsage(requestedSource, "ENCRYPT_DECRYPT", "ReEncrypt");
    endIfDryRun(input);
  }
  const decrypted = await decryptWith(
    ctx,
    "ReEncrypt",
    input.CiphertextBlob ?? new Uint8Array(),
    input.SourceEncryptionContext,
    input.SourceEncryptionAlgorithm,
    requestedSource,
  );
  // The plaintext is zeroed with the request's other secrets (decryptWith holds it).
  const encrypted = await encryptWith(
    ctx,
    "ReEncrypt",
    destination,
    input.DestinationEncryptionAlgorithm,
    decrypted.plaintext,
    input.DestinationEncryptionContext,
  );
  endIfDryRun(input);
  return {
    CiphertextBlob: encrypted.ciphertextBlob,
    SourceKeyId: keyArn(decrypted.key),
    KeyId: keyArn(destination),
    SourceEncryptionAlgorithm: decrypted.algorithm,
    DestinationEncryptionAlgorithm: encrypted.algorithm,
    ...(decrypted.keyMaterialId ? { SourceKeyMaterialId: decrypted.keyMaterialId } : {}),
    ...(encrypted.keyMaterialId ? { DestinationKeyMaterialId: encrypted.keyMaterialId } : {}),
  };
};

/**
 * `kms:ReEncryptOnSameKey`: whether the source key (named, or named by the blob) is the
 * destination key. Decided before any authorization check, which may read it; a name that
 * does not resolve is left to the checks that follow to refuse.
 */
async function sameKey(
  ctx: RequestContext,
  sourceKeyId: string | undefined,
  blob: Uint8Array | undefined,
  destinationKeyId: string | undefined,
): Promise<boolean | undefined> {
  try {
    const destination = await resolveKey(ctx.services.keys, ctx, destinationKeyId ?? "", "aliases-allowed", ctx.nowMs);
    const source =
      sourceKeyId === undefined ? parseHeader(blob ?? new Uint8Array()).keyId : (await resolveKey(ctx.services.keys, ctx, sourceKeyId, "aliases-allowed", ctx.nowMs)).keyId;
    return source === destination.keyId;
  } catch {
    return undefined;
  }
}
