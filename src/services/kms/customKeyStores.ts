/**
 * The steps the custom key store operations share: finding a store of the caller's
 * account and Region, the proxy target of an external key store (its secret unwrapped
 * only for the call), the health check that Create, Update and Connect make, and writing
 * a store from its stored state (compare-and-set, retried from a fresh read when another
 * writer committed first).
 */
import type { CustomKeyStoresListEntry } from "@aws-sdk/client-kms";
import {
  CustomKeyStoreNameInUseException,
  CustomKeyStoreNotFoundException,
  CloudHsmClusterInUseException,
  CloudHsmClusterNotFoundException,
  KMSInternalException,
  ValidationException,
  XksProxyUriInUseException,
  XksProxyVpcEndpointServiceNotFoundException,
} from "../../errors.ts";
import { customKeyStoreSecretAad, proxyUri, type CustomKeyStoreRecord, type XksProxySettings } from "../../keys/customKeyStores.ts";
import type { KeyRecord } from "../../keys/records.ts";
import type { RequestContext, Services } from "../../server/context.ts";
import type { HsmCluster } from "../../hsm/hsmClusters.ts";
import type { CustomKeyStoreConflict } from "../../store/customKeyStoreTable.ts";
import type { RequestMetadata } from "../../xks/proxyApi.ts";
import type { XksProxyTarget } from "../../xks/proxyClient.ts";
import { kmsErrorFor, XksProxyFailure, type XksCaller } from "../../xks/proxyFailure.ts";
import type { KmsOperation } from "./registry.ts";

/** The caller's store with this id; CustomKeyStoreNotFoundException otherwise. */
export async function findCustomKeyStore(ctx: RequestContext, id: string): Promise<CustomKeyStoreRecord> {
  const store = await ctx.services.store.customKeyStores.get(ctx.accountId, ctx.region, id);
  if (!store) throw notFound(id);
  return store;
}

/**
 * The key as AWS describes it: a key whose custom key store is not connected is in the
 * Unavailable state (unless it is pending deletion), while its stored state, Enabled or
 * Disabled, is kept for when the store connects again.
 */
export async function withStoreAvailability(ctx: RequestContext, key: KeyRecord): Promise<KeyRecord> {
  if (key.customKeyStoreId === undefined || (key.state !== "Enabled" && key.state !== "Disabled")) return key;
  const store = await storeOfKey(ctx, key);
  return store?.connectionState === "CONNECTED" ? key : { ...key, state: "Unavailable" };
}

/** The stores a request read, by request: its key-state check and its proxy or token call share one read. */
const storesReadBy = new WeakMap<RequestContext, Map<string, Promise<CustomKeyStoreRecord | undefined>>>();

/** The custom key store of `key`, read once per request. */
export function storeOfKey(ctx: RequestContext, key: KeyRecord): Promise<CustomKeyStoreRecord | undefined> {
  const id = key.customKeyStoreId;
  if (id === undefined) return Promise.resolve(undefined);
  let read = storesReadBy.get(ctx);
  if (!read) storesReadBy.set(ctx, (read = new Map()));
  let store = read.get(id);
  if (!store) read.set(id, (store = ctx.services.store.customKeyStores.get(key.accountId, key.region, id)));
  return store;
}

/** AWS's answer for a store id or name the account does not have. */
export function notFound(idOrName: string): Error {
  return new CustomKeyStoreNotFoundException(`Custom key store '${idOrName}' does not exist`);
}

/** A cluster id that no --cloudhsm-clusters entry names. */
export function clusterNotFound(clusterId: string): Error {
  return new CloudHsmClusterNotFoundException(`No CloudHSM cluster with ID ${clusterId} is configured in this kmsd (--cloudhsm-clusters).`);
}

/** The configured cluster of a CloudHSM-type store and its kmsuser password, unwrapped for this call. */
export function hsmAccess(ctx: RequestContext, store: CustomKeyStoreRecord): { cluster: HsmCluster; password: string } {
  const settings = store.cloudHsm;
  const cluster = settings ? ctx.services.hsmClusters.get(settings.clusterId) : undefined;
  if (!settings || !cluster) throw clusterNotFound(settings?.clusterId ?? "");
  return { cluster, password: unwrapStoreSecret(ctx.services, store, "kmsuser-password", settings.wrappedPassword) };
}

/** There is no Amazon VPC around kmsd, so no VPC endpoint service can be found. */
export function noVpcEndpointServices(): Error {
  return new XksProxyVpcEndpointServiceNotFoundException(
    "kmsd has no Amazon VPC: external key stores connect to their proxy through a public endpoint (XksProxyConnectivity PUBLIC_ENDPOINT).",
  );
}

/** The AWS error for a uniqueness conflict on write. */
export function conflictError(conflict: CustomKeyStoreConflict, store: CustomKeyStoreRecord | Omit<CustomKeyStoreRecord, "revision">): Error {
  switch (conflict) {
    case "name-in-use":
      return new CustomKeyStoreNameInUseException(`Custom key store name '${store.name}' is already in use in this account and Region.`);
    case "uri-in-use":
      return new XksProxyUriInUseException(
        `The XksProxyUriEndpoint and XksProxyUriPath ${store.xks ? proxyUri(store.xks) : ""} are already associated with another external key store in this account and Region.`,
      );
    case "cluster-in-use":
      return new CloudHsmClusterInUseException(`CloudHSM cluster ${store.cloudHsm?.clusterId ?? ""} is already associated with a custom key store in this account and Region.`);
  }
}

/** Wraps a store's secret with the root key, bound to the store. */
export function wrapStoreSecret(ctx: RequestContext, store: Pick<CustomKeyStoreRecord, "id" | "accountId" | "region">, purpose: "xks-proxy-secret" | "kmsuser-password", secret: string): string {
  return ctx.services.rootKey.wrap(Buffer.from(secret, "utf8"), customKeyStoreSecretAad(store, purpose)).toString("base64");
}

/** Unwraps a store's secret; only for the call that needs it. */
export function unwrapStoreSecret(services: Pick<Services, "rootKey">, store: Pick<CustomKeyStoreRecord, "id" | "accountId" | "region">, purpose: "xks-proxy-secret" | "kmsuser-password", wrapped: string): string {
  return services.rootKey.unwrap(Buffer.from(wrapped, "base64"), customKeyStoreSecretAad(store, purpose)).toString("utf8");
}

/** Where an external key store's proxy is, with its secret unwrapped for this call (signed for the store's Region). */
export function proxyTarget(services: Pick<Services, "rootKey">, store: Pick<CustomKeyStoreRecord, "id" | "accountId" | "region">, xks: XksProxySettings): XksProxyTarget {
  return {
    uriEndpoint: xks.uriEndpoint,
    uriPath: xks.uriPath,
    accessKeyId: xks.accessKeyId,
    secretAccessKey: unwrapStoreSecret(services, store, "xks-proxy-secret", xks.wrappedSecret),
    region: store.region,
  };
}

/** The requestMetadata of a proxy call made for this request (and key, if any). */
export function requestMetadata(ctx: RequestContext, operation: KmsOperation, kmsKeyArn?: string): RequestMetadata {
  return {
    awsPrincipalArn: ctx.principal.arn,
    ...(kmsKeyArn === undefined ? {} : { kmsKeyArn }),
    kmsOperation: operation,
    kmsRequestId: ctx.requestId,
    ...(ctx.viaService === undefined ? {} : { kmsViaService: ctx.viaService }),
  };
}

/** Runs a proxy call; its failure becomes the AWS error for `caller`. */
export async function callProxy<T>(caller: XksCaller, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof XksProxyFailure) throw kmsErrorFor(error.failure, caller);
    throw error;
  }
}

/**
 * Writes a change to a store from its stored state: `change` gets the current record and
 * returns its successor (or throws the AWS error that refuses it); a write that lost to
 * another writer starts again from a fresh read.
 */
export async function changeCustomKeyStore(
  ctx: RequestContext,
  id: string,
  change: (current: CustomKeyStoreRecord) => Promise<CustomKeyStoreRecord> | CustomKeyStoreRecord,
): Promise<CustomKeyStoreRecord> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = await findCustomKeyStore(ctx, id);
    const next = { ...(await change(current)), revision: current.revision + 1 };
    const outcome = await ctx.services.store.customKeyStores.update(next);
    if (outcome === "updated") return next;
    if (outcome !== "lost") throw conflictError(outcome, next);
  }
  throw new KMSInternalException("The custom key store kept changing while it was being updated.");
}

/** The XKS proxy parameters of CreateCustomKeyStore and UpdateCustomKeyStore. */
export const XKS_MEMBERS = [
  "XksProxyUriEndpoint",
  "XksProxyUriPath",
  "XksProxyVpcEndpointServiceName",
  "XksProxyVpcEndpointServiceOwner",
  "XksProxyAuthenticationCredential",
  "XksProxyConnectivity",
] as const;

/** Parameters that belong to the other store type are refused, naming them. */
export function rejectMembers<T extends object>(input: T, members: readonly string[], type: string): void {
  const given = members.filter((member) => (input as Record<string, unknown>)[member] !== undefined);
  if (given.length > 0) throw new ValidationException(`${given.join(", ")} ${given.length === 1 ? "is" : "are"} not valid for a custom key store of type ${type}.`);
}

/** A store as DescribeCustomKeyStores lists it (no secret, wrapped or not). */
export function toListEntry(store: CustomKeyStoreRecord): CustomKeyStoresListEntry {
  return {
    CustomKeyStoreId: store.id,
    CustomKeyStoreName: store.name,
    CustomKeyStoreType: store.type,
    ConnectionState: store.connectionState,
    ...(store.connectionErrorCode === undefined ? {} : { ConnectionErrorCode: store.connectionErrorCode }),
    CreationDate: new Date(store.createdAtMs),
    ...(store.cloudHsm ? { CloudHsmClusterId: store.cloudHsm.clusterId, TrustAnchorCertificate: store.cloudHsm.trustAnchorCertificate } : {}),
    ...(store.xks
      ? {
          XksProxyConfiguration: {
            Connectivity: store.xks.connectivity,
            AccessKeyId: store.xks.accessKeyId,
            UriEndpoint: store.xks.uriEndpoint,
            UriPath: store.xks.uriPath,
          },
        }
      : {}),
  };
}
