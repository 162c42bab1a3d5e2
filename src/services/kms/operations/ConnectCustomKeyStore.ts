/**
 * ConnectCustomKeyStore: checks the proxy's health and moves the store through CONNECTING
 * to CONNECTED, or to FAILED with the ConnectionErrorCode that says why (the call itself
 * succeeds then, as AWS's does: the outcome is in DescribeCustomKeyStores). A connected
 * store stays so; a FAILED one must be disconnected first, as AWS requires.
 */
import { CustomKeyStoreInvalidStateException } from "../../../errors.ts";
import { log } from "../../../server/log.ts";
import { connectionErrorCodeFor, XksProxyFailure } from "../../../xks/proxyFailure.ts";
import { changeCustomKeyStore, findCustomKeyStore, proxyTarget, requestMetadata } from "../customKeyStores.ts";
import type { Handler } from "../registry.ts";

export const ConnectCustomKeyStore: Handler<"ConnectCustomKeyStore"> = async (ctx, input) => {
  const id = input.CustomKeyStoreId ?? "";
  const found = await findCustomKeyStore(ctx, id);
  if (found.connectionState === "CONNECTED") return {};
  const connecting = await changeCustomKeyStore(ctx, id, (current) => {
    if (current.connectionState === "FAILED" || current.connectionState === "DISCONNECTING") {
      throw new CustomKeyStoreInvalidStateException(
        `Custom key store ${id} is ${current.connectionState}: disconnect it (DisconnectCustomKeyStore), then connect it again.`,
      );
    }
    const { connectionErrorCode: _cleared, ...rest } = current;
    return { ...rest, connectionState: "CONNECTING" };
  });
  const xks = connecting.xks;
  let failure: XksProxyFailure | undefined;
  if (xks) {
    try {
      await ctx.services.xks.health(proxyTarget(ctx, connecting, xks), requestMetadata(ctx, "ConnectCustomKeyStore"));
    } catch (error) {
      if (!(error instanceof XksProxyFailure)) throw error;
      failure = error;
      log.info("custom key store connection failed", { requestId: ctx.requestId, customKeyStoreId: id, reason: error.message });
    }
  }
  await changeCustomKeyStore(ctx, id, (current) =>
    failure
      ? { ...current, connectionState: "FAILED", connectionErrorCode: connectionErrorCodeFor(failure.failure) }
      : { ...current, connectionState: "CONNECTED" },
  );
  return {};
};
