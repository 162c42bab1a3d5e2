/**
 * DeleteImportedKeyMaterial: the key's imported material is deleted at once and the key
 * becomes PendingImport; with the KeyMaterialId of material pending rotation, only that
 * material goes and the key stays as it is. A multi-Region primary's pending material goes
 * from its replicas as well, either way.
 */
import { NotFoundException } from "../../../errors.ts";
import { deleteImportedMaterial, deletePendingMaterial, materialIdsOf } from "../../../keys/importedMaterial.ts";
import { keyArn } from "../../../keys/records.ts";
import { requireExternalOrigin } from "../importRules.ts";
import { keyForOperation } from "../keyAccess.ts";
import type { Handler } from "../registry.ts";

export const DeleteImportedKeyMaterial: Handler<"DeleteImportedKeyMaterial"> = async (ctx, input) => {
  const key = await keyForOperation(ctx, "DeleteImportedKeyMaterial", input.KeyId, "key-only");
  requireExternalOrigin(key);
  const named = input.KeyMaterialId;
  if (named !== undefined && !materialIdsOf(key).includes(named)) {
    throw new NotFoundException(`Key material ${named} does not exist for KMS key ${keyArn(key)}.`);
  }
  if (named !== undefined && named === key.pendingKeyMaterialId) {
    await deletePendingMaterial(ctx.services.keys, key, named);
    return { KeyId: keyArn(key), KeyMaterialId: named };
  }
  const deleted = await deleteImportedMaterial(ctx.services.keys, key);
  const keyMaterialId = named ?? deleted.currentKeyMaterialId;
  return { KeyId: keyArn(deleted), ...(keyMaterialId ? { KeyMaterialId: keyMaterialId } : {}) };
};
