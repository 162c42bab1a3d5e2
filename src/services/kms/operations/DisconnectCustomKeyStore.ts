/** DisconnectCustomKeyStore: the store's keys become unusable until it is connected again. */
import { CustomKeyStoreInvalidStateException } from "../../../errors.ts";
import { changeCustomKeyStore } from "../customKeyStores.ts";
import type { Handler } from "../registry.ts";

export const DisconnectCustomKeyStore: Handler<"DisconnectCustomKeyStore"> = async (ctx, input) => {
  const id = input.CustomKeyStoreId ?? "";
  await changeCustomKeyStore(ctx, id, (current) => {
    if (current.connectionState === "DISCONNECTED" || current.connectionState === "DISCONNECTING") {
      throw new CustomKeyStoreInvalidStateException(`Custom key store ${id} is already ${current.connectionState}.`);
    }
    const { connectionErrorCode: _cleared, ...rest } = current;
    return { ...rest, connectionState: "DISCONNECTED" };
  });
  return {};
};
