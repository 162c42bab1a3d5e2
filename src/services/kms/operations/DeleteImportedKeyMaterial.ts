/** DeleteImportedKeyMaterial: the key's imported material is deleted at once; the key becomes PendingImport. */
import { deleteImportedMaterial } from "../../../keys/importedMaterial.ts";
import { keyArn } from "../../../keys/records.ts";
import { requireExternalOrigin } from "../importRules.ts";
import { keyForOperation } from "../keyAccess.ts";
import type { Handler } from "../registry.ts";

export const DeleteImportedKeyMaterial: Handler<"DeleteImportedKeyMaterial"> = async (ctx, input) => {
  const key = await keyForOperation(ctx, "DeleteImportedKeyMaterial", input.KeyId, "key-only");
  requireExternalOrigin(key);
  const deleted = await deleteImportedMaterial(ctx.services.keys, key.keyId);
  return { KeyId: keyArn(deleted), ...(deleted.currentKeyMaterialId ? { KeyMaterialId: deleted.currentKeyMaterialId } : {}) };
};
