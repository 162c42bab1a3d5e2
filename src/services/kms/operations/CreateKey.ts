/** CreateKey: a new customer managed KMS key in the caller's account and region. */
import { randomBytes } from "node:crypto";
import type { KeySpec } from "@aws-sdk/client-kms";
import { UnsupportedOperationException, ValidationException } from "../../../errors.ts";
import {
  generateHmacKey,
  generateKeyPairFor,
  isAsymmetricKeySpec,
  isHmacKeySpec,
  validateCreateKeySpecAndUsage,
} from "../../../crypto/asymmetric/index.ts";
import { newKeyId, newMultiRegionKeyId } from "../../../keys/keyRepository.ts";
import type { NewKeyRecord } from "../../../keys/records.ts";

import { toKeyMetadata } from "../keyMetadata.ts";
import { checkKeyPolicy, defaultKeyPolicy } from "../keyPolicy.ts";
import { assertKeyQuota } from "../../../quotas/resourceChecks.ts";
import type { Handler } from "../registry.ts";
import type { KmsOperationTypes } from "../operationTypes.ts";
import type { RequestContext } from "../../../server/context.ts";
import { mergeTags } from "../tags.ts";
import { requireImportableKeySpec } from "../importRules.ts";
import { asXksKeyTaken, checkCustomKeyStoreForNewKey, generateStoreKey } from "../externalKeys.ts";
import { withStoreAvailability } from "../customKeyStores.ts";


export const CreateKey: Handler<"CreateKey"> = async (ctx, input) => createKey(ctx, input);

/** What a seed file fixes about a new key: its id, and its material with that material's id. */
export interface ChosenKey {
  keyId: string;
  material?: { bytes: Buffer; keyMaterialId: string };
}

/** CreateKey, with the key id and material `chosen` when a seed file fixes them. */
export async function createKey(ctx: RequestContext, input: KmsOperationTypes["CreateKey"]["input"], chosen?: ChosenKey): Promise<KmsOperationTypes["CreateKey"]["output"]> {
  if (input.KeySpec !== undefined && input.CustomerMasterKeySpec !== undefined) {
    throw new ValidationException("You cannot specify KeySpec and CustomerMasterKeySpec in the same request. CustomerMasterKeySpec is deprecated.");
  }
  const { keySpec, keyUsage } = validateCreateKeySpecAndUsage(input.KeySpec ?? input.CustomerMasterKeySpec, input.KeyUsage);
  const origin = input.Origin ?? "AWS_KMS";
  if (origin === "EXTERNAL") requireImportableKeySpec(keySpec);
  const multiRegion = input.MultiRegion === true;
  const inStore = origin === "EXTERNAL_KEY_STORE" || origin === "AWS_CLOUDHSM";
  if (!inStore && input.CustomKeyStoreId !== undefined) throw new ValidationException(`CustomKeyStoreId is valid only with Origin AWS_CLOUDHSM or EXTERNAL_KEY_STORE.`);
  if (origin !== "EXTERNAL_KEY_STORE" && input.XksKeyId !== undefined) throw new ValidationException("XksKeyId is valid only with Origin EXTERNAL_KEY_STORE.");
  if (inStore && (keySpec !== "SYMMETRIC_DEFAULT" || keyUsage !== "ENCRYPT_DECRYPT")) {
    throw new UnsupportedOperationException(`KMS keys in a custom key store must have KeySpec SYMMETRIC_DEFAULT and KeyUsage ENCRYPT_DECRYPT.`);
  }
  if (inStore && multiRegion) throw new UnsupportedOperationException("KMS keys in a custom key store cannot be multi-Region keys.");
  const keyId = chosen?.keyId ?? (multiRegion ? newMultiRegionKeyId() : newKeyId());
  const record: NewKeyRecord = {
    keyId,
    accountId: ctx.accountId,
    region: ctx.region,
    createdAtMs: ctx.nowMs,
    description: input.Description ?? "",
    keySpec,
    keyUsage,
    origin,
    keyManager: "CUSTOMER",
    // A key for imported material has none until ImportKeyMaterial.
    state: origin === "EXTERNAL" ? "PendingImport" : "Enabled",
    policy: input.Policy ?? defaultKeyPolicy(ctx.accountId),
    tags: mergeTags([], input.Tags ?? []),
    multiRegion,
    ...(multiRegion ? { multiRegionConfig: { primaryRegion: ctx.region, replicaRegions: [] } } : {}),
  };
  if (input.Policy !== undefined) await checkKeyPolicy(ctx, input.Policy, { ...record, revision: 0 }, input.BypassPolicyLockoutSafetyCheck === true);
  await assertKeyQuota(ctx, ctx.accountId, ctx.region);
  // A key in a custom key store has its own material too: kmsd's layer of double encryption.
  if (inStore) Object.assign(record, await checkCustomKeyStoreForNewKey(ctx, origin, input.CustomKeyStoreId, input.XksKeyId));
  if (origin === "AWS_CLOUDHSM") await generateStoreKey(ctx, input.CustomKeyStoreId as string, keyId);
  const material = origin === "EXTERNAL" ? undefined : (chosen?.material?.bytes ?? (await newKeyMaterial(keySpec)));
  const created = await ctx.services.keys.create(record, material, chosen?.material?.keyMaterialId).catch((error: unknown) => {
    throw asXksKeyTaken(error);
  });
  // A store disconnected since the checks: the new key is Unavailable, as DescribeKey would say.
  return { KeyMetadata: toKeyMetadata(inStore ? await withStoreAvailability(ctx, created) : created) };
}

/**
 * Fresh material for a key spec: 32 random bytes for symmetric keys, HMAC key bytes, or a
 * key pair's PKCS#8 private key (generated off the event loop: RSA-4096 takes seconds).
 */
async function newKeyMaterial(keySpec: KeySpec): Promise<Buffer> {
  if (keySpec === "SYMMETRIC_DEFAULT") return randomBytes(32);
  if (isHmacKeySpec(keySpec)) return generateHmacKey(keySpec);
  if (isAsymmetricKeySpec(keySpec)) return (await generateKeyPairFor(keySpec)).privateKeyPkcs8Der;
  throw new UnsupportedOperationException(`KeySpec ${keySpec} is not supported.`);
}
