/**
 * ImportKeyMaterial: material wrapped with the parameters of GetParametersForImport
 * becomes (or becomes again) a key's material. Re-importing the material a key had
 * restores every earlier ciphertext; ImportType NEW_KEY_MATERIAL stages new material
 * for RotateKeyOnDemand. New material for related multi-Region keys is imported into the
 * primary first, then (as existing material) into every replica, as AWS requires.
 */
import { createPrivateKey } from "node:crypto";
import type { ImportType } from "@aws-sdk/client-kms";
import { IncorrectKeyMaterialException, KMSInvalidStateException, NotFoundException, UnsupportedOperationException, ValidationException } from "../../../errors.ts";
import { unwrapImportedMaterial } from "../../../crypto/importWrapping.ts";
import { openImportToken } from "../../../keys/importToken.ts";
import { isReplicaKey, keyArn, keyHandle, type ImportedMaterial, type KeyRecord } from "../../../keys/records.ts";
import { setPendingMaterialId } from "../../../keys/pendingMaterial.ts";
import { checkImportedMaterial, requireExternalOrigin } from "../importRules.ts";
import { keyForOperation } from "../keyAccess.ts";
import { ownRecord } from "../multiRegion.ts";
import type { Handler } from "../registry.ts";
import type { RequestContext } from "../../../server/context.ts";
import { materialIdsOf } from "../../../keys/importedMaterial.ts";

export const ImportKeyMaterial: Handler<"ImportKeyMaterial"> = async (ctx, input) => {
  const key = await keyForOperation(ctx, "ImportKeyMaterial", input.KeyId, "key-only");
  requireExternalOrigin(key);
  const expiry = expiryOf(input.ExpirationModel, input.ValidTo, ctx.nowMs);
  const parameters = openImportToken(ctx.services.rootKey, input.ImportToken ?? new Uint8Array(), keyArn(key), ctx.nowMs);
  const wrappingKey = createPrivateKey({ key: parameters.wrappingPrivateKeyPkcs8, format: "der", type: "pkcs8" });
  const material = unwrapImportedMaterial(wrappingKey, parameters.wrappingAlgorithm, input.EncryptedKeyMaterial ?? new Uint8Array());
  checkImportedMaterial(key.keySpec, material);
  const keyMaterialId = ctx.services.keys.materialIdFor(key.keyId, material);
  const importType = input.ImportType ?? (key.currentKeyMaterialId ? "EXISTING_KEY_MATERIAL" : "NEW_KEY_MATERIAL");
  const imported = (current: KeyRecord, pendingInSet?: string): KeyRecord =>
    withDescription(afterImport(current, keyMaterialId, importType, expiry, pendingInSet), keyMaterialId, input.KeyMaterialDescription);
  if (key.multiRegionConfig) {
    await importIntoMultiRegionKey(ctx, key, material, keyMaterialId, imported);
  } else {
    await ctx.services.keys.changeMaterial(keyHandle(key), (current) => ({ record: imported(current), add: material }));
  }
  return { KeyId: keyArn(key), KeyMaterialId: keyMaterialId };
};

/**
 * Related multi-Region keys must all get the same material (AWS copies none of it). The
 * first material imported into any of them is recorded, in the same transaction, as the
 * material every related key still without one expects; other material is then refused
 * everywhere (IncorrectKeyMaterialException), even when two Regions import at once. New
 * material a replica takes is the one its primary holds pending rotation: the primary's
 * record is written too (unchanged), so a concurrent deletion of that material there makes
 * one of the two start again.
 */
async function importIntoMultiRegionKey(
  ctx: RequestContext,
  key: KeyRecord,
  material: Buffer,
  keyMaterialId: string,
  imported: (current: KeyRecord, pendingInSet?: string) => KeyRecord,
): Promise<void> {
  await ctx.services.keys.changeRelated(key, (related) => {
    const own = ownRecord(related, key);
    if (!own) throw new NotFoundException(`Key '${keyArn(key)}' does not exist`);
    const pendingInSet = setPendingMaterialId(related);
    const expecting = related.flatMap((record) =>
      record === own || record.currentKeyMaterialId ? [] : [{ ...record, currentKeyMaterialId: keyMaterialId }],
    );
    const primary = related.find((record) => !isReplicaKey(record));
    const dependsOnPrimary = own !== primary && primary !== undefined && keyMaterialId === pendingInSet;
    return { update: [imported(own, pendingInSet), ...expecting, ...(dependsOnPrimary ? [primary] : [])], materials: [{ material, to: [own] }] };
  });
}

/**
 * The key's record after importing `keyMaterialId`: staged for rotation (new material, or in
 * a replica the material its primary holds pending rotation), else restored (a first import,
 * or material the key had).
 */
function afterImport(current: KeyRecord, keyMaterialId: string, importType: ImportType, expiry: ImportedMaterial, pendingInSet: string | undefined): KeyRecord {
  if (isReplicaKey(current) && keyMaterialId === pendingInSet) return stageNewMaterial(current, keyMaterialId);
  if (importType !== "NEW_KEY_MATERIAL" || !current.currentKeyMaterialId) return restoreMaterial(current, keyMaterialId, expiry);
  if (isReplicaKey(current)) {
    throw new UnsupportedOperationException(
      `New key material cannot be imported into the replica key ${keyArn(current)}. Import it into the primary Region key, then import the same key material into each replica Region key with ImportType EXISTING_KEY_MATERIAL.`,
    );
  }
  return stageNewMaterial(current, keyMaterialId);
}

/** The record with `description` kept for the material (ListKeyRotations shows it); an import without one keeps the earlier. */
function withDescription(record: KeyRecord, keyMaterialId: string, description: string | undefined): KeyRecord {
  if (description === undefined) return record;
  return { ...record, materialDescriptions: { ...record.materialDescriptions, [keyMaterialId]: description } };
}

/** The expiration model and ValidTo, checked as AWS checks them. */
function expiryOf(model: string | undefined, validTo: Date | undefined, nowMs: number): ImportedMaterial {
  const expirationModel = model ?? "KEY_MATERIAL_EXPIRES";
  if (expirationModel === "KEY_MATERIAL_DOES_NOT_EXPIRE") {
    if (validTo !== undefined) throw new ValidationException("A validTo date must not be set if the ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE");
    return { expirationModel };
  }
  if (validTo === undefined) throw new ValidationException("A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES");
  if (validTo.getTime() <= nowMs) throw new ValidationException("The validTo date must be in the future.");
  return { expirationModel: "KEY_MATERIAL_EXPIRES", validToMs: validTo.getTime() };
}

/** First import, or re-import of material the key already had: the key is usable again. */
function restoreMaterial(current: KeyRecord, keyMaterialId: string, imported: ImportedMaterial): KeyRecord {
  const known = materialIdsOf(current);
  if (known.length > 0 && !known.includes(keyMaterialId)) {
    throw new IncorrectKeyMaterialException("The key material is not the same as the key material previously imported into this KMS key.");
  }
  const becomesUsable = current.currentKeyMaterialId === undefined || current.currentKeyMaterialId === keyMaterialId;
  return {
    ...current,
    currentKeyMaterialId: current.currentKeyMaterialId ?? keyMaterialId,
    imported,
    state: becomesUsable && current.state === "PendingImport" ? "Enabled" : current.state,
  };
}

/** New material for a key that has material: it waits for RotateKeyOnDemand. */
function stageNewMaterial(current: KeyRecord, keyMaterialId: string): KeyRecord {
  if (current.keySpec !== "SYMMETRIC_DEFAULT") {
    throw new ValidationException("Only symmetric encryption keys can have new key material imported for rotation.");
  }
  if (current.pendingKeyMaterialId && current.pendingKeyMaterialId !== keyMaterialId) {
    throw new KMSInvalidStateException(
      `New key material (id: ${keyMaterialId}) cannot be imported into KMS key ${current.keyId}, because another key material (id: ${current.pendingKeyMaterialId}) is pending rotation.`,
    );
  }
  if (materialIdsOf(current).includes(keyMaterialId) && current.pendingKeyMaterialId !== keyMaterialId) {
    throw new IncorrectKeyMaterialException("The key material was already imported into this KMS key; import it with ImportType EXISTING_KEY_MATERIAL.");
  }
  return { ...current, pendingKeyMaterialId: keyMaterialId };
}
