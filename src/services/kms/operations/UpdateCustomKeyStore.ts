/**
 * UpdateCustomKeyStore: a new name at any time; for an external key store a new proxy
 * path or credential at any time and a new endpoint only while disconnected (a changed
 * proxy setting is checked with GetHealthStatus first); for a CloudHSM-type store the
 * password and cluster only while disconnected.
 */
import type { UpdateCustomKeyStoreRequest } from "@aws-sdk/client-kms";
import { CloudHsmClusterNotRelatedException, CustomKeyStoreInvalidStateException } from "../../../errors.ts";
import type { CustomKeyStoreRecord } from "../../../keys/customKeyStores.ts";
import type { RequestContext } from "../../../server/context.ts";
import { XKS_MEMBERS, callProxy, clusterNotFound, changeCustomKeyStore, noVpcEndpointServices, proxyTarget, requestMetadata, rejectMembers, wrapStoreSecret } from "../customKeyStores.ts";
import type { Handler } from "../registry.ts";

export const UpdateCustomKeyStore: Handler<"UpdateCustomKeyStore"> = async (ctx, input) => {
  const id = input.CustomKeyStoreId ?? "";
  await changeCustomKeyStore(ctx, id, (current) => (current.type === "EXTERNAL_KEY_STORE" ? updateExternal(ctx, current, input) : updateCloudHsm(ctx, current, input)));
  return {};
};

const CLOUDHSM_MEMBERS = ["CloudHsmClusterId", "KeyStorePassword"] as const;

async function updateExternal(ctx: RequestContext, current: CustomKeyStoreRecord, input: UpdateCustomKeyStoreRequest): Promise<CustomKeyStoreRecord> {
  rejectMembers(input, CLOUDHSM_MEMBERS, "EXTERNAL_KEY_STORE");
  if (input.XksProxyConnectivity === "VPC_ENDPOINT_SERVICE" || input.XksProxyVpcEndpointServiceName) throw noVpcEndpointServices();
  const xks = current.xks as NonNullable<CustomKeyStoreRecord["xks"]>;
  const endpointChanges = input.XksProxyUriEndpoint !== undefined && input.XksProxyUriEndpoint !== xks.uriEndpoint;
  if (endpointChanges && current.connectionState !== "DISCONNECTED") {
    throw new CustomKeyStoreInvalidStateException(`To change the XksProxyUriEndpoint of custom key store ${current.id}, disconnect it first.`);
  }
  const credential = input.XksProxyAuthenticationCredential;
  const next: CustomKeyStoreRecord = {
    ...current,
    name: input.NewCustomKeyStoreName ?? current.name,
    xks: {
      ...xks,
      uriEndpoint: input.XksProxyUriEndpoint ?? xks.uriEndpoint,
      uriPath: input.XksProxyUriPath ?? xks.uriPath,
      ...(credential
        ? { accessKeyId: credential.AccessKeyId ?? "", wrappedSecret: wrapStoreSecret(ctx, current, "xks-proxy-secret", credential.RawSecretAccessKey ?? "") }
        : {}),
    },
  };
  const proxyChanges = XKS_MEMBERS.some((member) => input[member] !== undefined);
  if (proxyChanges) {
    const settings = next.xks as NonNullable<CustomKeyStoreRecord["xks"]>;
    await callProxy("key-store", () => ctx.services.xks.health(proxyTarget(ctx.services, next, settings), requestMetadata(ctx, "UpdateCustomKeyStore")));
  }
  return next;
}

function updateCloudHsm(ctx: RequestContext, current: CustomKeyStoreRecord, input: UpdateCustomKeyStoreRequest): CustomKeyStoreRecord {
  rejectMembers(input, XKS_MEMBERS, "AWS_CLOUDHSM");
  if ((input.CloudHsmClusterId !== undefined || input.KeyStorePassword !== undefined) && current.connectionState !== "DISCONNECTED") {
    throw new CustomKeyStoreInvalidStateException(`To change the cluster or the key store password of custom key store ${current.id}, disconnect it first.`);
  }
  const settings = current.cloudHsm as NonNullable<CustomKeyStoreRecord["cloudHsm"]>;
  if (input.CloudHsmClusterId !== undefined && input.CloudHsmClusterId !== settings.clusterId) {
    // A token has no backup history another token could share: only the store's own cluster is related.
    if (!ctx.services.hsmClusters.has(input.CloudHsmClusterId)) throw clusterNotFound(input.CloudHsmClusterId);
    throw new CloudHsmClusterNotRelatedException(`Cluster ${input.CloudHsmClusterId} is not related to cluster ${settings.clusterId} of custom key store ${current.id}.`);
  }
  return {
    ...current,
    name: input.NewCustomKeyStoreName ?? current.name,
    cloudHsm: input.KeyStorePassword === undefined ? settings : { ...settings, wrappedPassword: wrapStoreSecret(ctx, current, "kmsuser-password", input.KeyStorePassword) },
  };
}

