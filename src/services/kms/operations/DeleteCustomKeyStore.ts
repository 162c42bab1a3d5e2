/** DeleteCustomKeyStore: only a disconnected store that no KMS key (in any state) names any more. */
import { CustomKeyStoreHasCMKsException, CustomKeyStoreInvalidStateException, KMSInternalException } from "../../../errors.ts";
import { findCustomKeyStore } from "../customKeyStores.ts";
import type { Handler } from "../registry.ts";

export const DeleteCustomKeyStore: Handler<"DeleteCustomKeyStore"> = async (ctx, input) => {
  const id = input.CustomKeyStoreId ?? "";
  for (let attempt = 0; attempt < 5; attempt++) {
    const store = await findCustomKeyStore(ctx, id);
    if (store.connectionState !== "DISCONNECTED") {
      throw new CustomKeyStoreInvalidStateException(`Custom key store ${id} must be DISCONNECTED to be deleted; it is ${store.connectionState}.`);
    }
    const outcome = await ctx.services.store.customKeyStores.delete(store);
    if (outcome === "deleted") return {};
    if (outcome === "has-keys") {
      throw new CustomKeyStoreHasCMKsException(
        `Custom key store ${id} still has KMS keys. Schedule the deletion of every KMS key in it and wait for them to be deleted.`,
      );
    }
  }
  throw new KMSInternalException("The custom key store kept changing while it was being deleted.");
};
