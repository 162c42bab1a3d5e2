/**
 * CreateCustomKeyStore: an external key store (its proxy is checked with GetHealthStatus
 * before the store is recorded, as AWS does for a public endpoint) or a CloudHSM-type store
 * on a PKCS#11 token that kmsd's configuration names by cluster id. A new store is
 * DISCONNECTED until ConnectCustomKeyStore.
 */
import type { CreateCustomKeyStoreRequest } from "@aws-sdk/client-kms";
import { IncorrectTrustAnchorException, ValidationException } from "../../../errors.ts";
import { isTrustAnchorOf } from "../../../hsm/hsmClusters.ts";
import { newCustomKeyStoreId, type NewCustomKeyStoreRecord } from "../../../keys/customKeyStores.ts";
import type { RequestContext } from "../../../server/context.ts";
import { XKS_MEMBERS, callProxy, clusterNotFound, conflictError, noVpcEndpointServices, proxyTarget, requestMetadata, rejectMembers, wrapStoreSecret } from "../customKeyStores.ts";
import type { Handler } from "../registry.ts";

export const CreateCustomKeyStore: Handler<"CreateCustomKeyStore"> = async (ctx, input) => {
  const type = input.CustomKeyStoreType ?? "AWS_CLOUDHSM";
  const name = input.CustomKeyStoreName ?? "";
  if (type === "AWS_CLOUDHSM") {
    rejectMembers(input, XKS_MEMBERS, "AWS_CLOUDHSM");
    requireMembers(input, ["CloudHsmClusterId", "TrustAnchorCertificate", "KeyStorePassword"], "AWS_CLOUDHSM");
    return createCloudHsmStore(ctx, input, name);
  }
  rejectMembers(input, CLOUDHSM_MEMBERS, "EXTERNAL_KEY_STORE");
  if (input.XksProxyConnectivity === "VPC_ENDPOINT_SERVICE") throw noVpcEndpointServices();
  requireMembers(input, ["XksProxyUriEndpoint", "XksProxyUriPath", "XksProxyAuthenticationCredential", "XksProxyConnectivity"], "EXTERNAL_KEY_STORE");
  if (input.XksProxyVpcEndpointServiceName !== undefined || input.XksProxyVpcEndpointServiceOwner !== undefined) {
    throw new ValidationException("XksProxyVpcEndpointServiceName and XksProxyVpcEndpointServiceOwner are valid only with XksProxyConnectivity VPC_ENDPOINT_SERVICE.");
  }
  const credential = input.XksProxyAuthenticationCredential as { AccessKeyId: string; RawSecretAccessKey: string };
  const scope = { id: newCustomKeyStoreId(), accountId: ctx.accountId, region: ctx.region };
  const record: NewCustomKeyStoreRecord = {
    ...scope,
    name,
    type,
    connectionState: "DISCONNECTED",
    createdAtMs: ctx.nowMs,
    xks: {
      uriEndpoint: input.XksProxyUriEndpoint as string,
      uriPath: input.XksProxyUriPath as string,
      connectivity: "PUBLIC_ENDPOINT",
      accessKeyId: credential.AccessKeyId,
      wrappedSecret: wrapStoreSecret(ctx, scope, "xks-proxy-secret", credential.RawSecretAccessKey),
    },
  };
  // A taken name or address is refused before the proxy is called.
  await refuseTaken(ctx, record);
  const xks = record.xks as NonNullable<typeof record.xks>;
  await callProxy("key-store", () => ctx.services.xks.health(proxyTarget(ctx.services, scope, xks), requestMetadata(ctx, "CreateCustomKeyStore")));
  const outcome = await ctx.services.store.customKeyStores.insert(record);
  if (outcome !== "created") throw conflictError(outcome, record);
  return { CustomKeyStoreId: record.id };
};

const CLOUDHSM_MEMBERS = ["CloudHsmClusterId", "TrustAnchorCertificate", "KeyStorePassword"] as const;


/** Every parameter a store type needs must be there. */
function requireMembers(input: CreateCustomKeyStoreRequest, members: readonly (keyof CreateCustomKeyStoreRequest)[], type: string): void {
  const missing = members.find((member) => input[member] === undefined);
  if (missing) throw new ValidationException(`${missing} is required for a custom key store of type ${type}.`);
}

/** A store on a configured cluster (a PKCS#11 token); its kmsuser password is checked when it connects, as AWS does. */
async function createCloudHsmStore(ctx: RequestContext, input: CreateCustomKeyStoreRequest, name: string): Promise<{ CustomKeyStoreId: string }> {
  const clusterId = input.CloudHsmClusterId as string;
  const cluster = ctx.services.hsmClusters.get(clusterId);
  if (!cluster) throw clusterNotFound(clusterId);
  if (!isTrustAnchorOf(cluster, input.TrustAnchorCertificate as string)) {
    throw new IncorrectTrustAnchorException(`The TrustAnchorCertificate is not the trust anchor certificate of CloudHSM cluster ${clusterId}.`);
  }
  const scope = { id: newCustomKeyStoreId(), accountId: ctx.accountId, region: ctx.region };
  const record: NewCustomKeyStoreRecord = {
    ...scope,
    name,
    type: "AWS_CLOUDHSM",
    connectionState: "DISCONNECTED",
    createdAtMs: ctx.nowMs,
    cloudHsm: {
      clusterId,
      trustAnchorCertificate: input.TrustAnchorCertificate as string,
      wrappedPassword: wrapStoreSecret(ctx, scope, "kmsuser-password", input.KeyStorePassword as string),
    },
  };
  const outcome = await ctx.services.store.customKeyStores.insert(record);
  if (outcome !== "created") throw conflictError(outcome, record);
  return { CustomKeyStoreId: record.id };
}

/** Name and proxy address must be free in the account and Region (the insert checks again, atomically). */
async function refuseTaken(ctx: RequestContext, record: NewCustomKeyStoreRecord): Promise<void> {
  if (await ctx.services.store.customKeyStores.getByName(ctx.accountId, ctx.region, record.name)) throw conflictError("name-in-use", record);
}
