/**
 * ConnectCustomKeyStore: checks the proxy's health and moves the store through CONNECTING
 * to CONNECTED, or to FAILED with the ConnectionErrorCode that says why (the call itself
 * succeeds then, as AWS's does: the outcome is in DescribeCustomKeyStores). A connected
 * store stays so; a FAILED one must be disconnected first, as AWS requires.
 */
import type { ConnectionErrorCodeType } from "@aws-sdk/client-kms";
import { AwsError, CustomKeyStoreInvalidStateException } from "../../../errors.ts";
import { loginFailureCode, logIn } from "../../../hsm/hsmClusters.ts";
import type { CustomKeyStoreRecord } from "../../../keys/customKeyStores.ts";
import type { RequestContext } from "../../../server/context.ts";
import { log } from "../../../server/log.ts";
import { connectionErrorCodeFor, XksProxyFailure } from "../../../xks/proxyFailure.ts";
import { changeCustomKeyStore, findCustomKeyStore, hsmAccess, proxyTarget, requestMetadata } from "../customKeyStores.ts";
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
  const failure = await connectionFailure(ctx, connecting);
  await changeCustomKeyStore(ctx, id, (current) =>
    failure ? { ...current, connectionState: "FAILED", connectionErrorCode: failure } : { ...current, connectionState: "CONNECTED" },
  );
  return {};
};

/** Why the store cannot connect (its proxy's health, or its token's login as the kmsuser), or undefined if it can. */
async function connectionFailure(ctx: RequestContext, store: CustomKeyStoreRecord): Promise<ConnectionErrorCodeType | undefined> {
  try {
    if (store.xks) await ctx.services.xks.health(proxyTarget(ctx.services, store, store.xks), requestMetadata(ctx, "ConnectCustomKeyStore"));
    if (store.cloudHsm) {
      const { cluster, password } = hsmAccess(ctx, store);
      await logIn(cluster, password);
    }
    return undefined;
  } catch (error) {
    log.info("custom key store connection failed", { requestId: ctx.requestId, customKeyStoreId: store.id, reason: (error as Error).message });
    if (error instanceof XksProxyFailure) return connectionErrorCodeFor(error.failure);
    if (store.cloudHsm && !(error instanceof AwsError)) return loginFailureCode(error);
    if (error instanceof AwsError) return "CLUSTER_NOT_FOUND";
    throw error;
  }
}
