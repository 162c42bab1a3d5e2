/**
 * What kmsd stores about a custom key store (CreateCustomKeyStore): an external key store
 * (EXTERNAL_KEY_STORE, keys held behind an XKS proxy) or a CloudHSM-type store
 * (AWS_CLOUDHSM, keys held in a PKCS#11 token named by a cluster id). Secrets (the proxy
 * authentication credential's secret, the kmsuser password) are kept wrapped by the root
 * key, bound to the store's id; nothing here is ever unwrapped material.
 */
import { randomBytes } from "node:crypto";
import type { ConnectionErrorCodeType, ConnectionStateType, CustomKeyStoreType } from "@aws-sdk/client-kms";

/** A custom key store's record, as stored. */
export interface CustomKeyStoreRecord {
  /** `cks-` and 17 hexadecimal digits, as AWS's ids. */
  id: string;
  /** Changes every write; a write names the revision it read (compare-and-set, as key records). */
  revision: number;
  accountId: string;
  region: string;
  name: string;
  type: CustomKeyStoreType;
  connectionState: ConnectionStateType;
  /** Why the last connection attempt failed (ConnectionState FAILED only). */
  connectionErrorCode?: ConnectionErrorCodeType;
  createdAtMs: number;
  xks?: XksProxySettings;
  cloudHsm?: CloudHsmSettings;
}

/** How an external key store reaches its proxy. */
export interface XksProxySettings {
  /** `https://` and a host name, no port and no path (the model's pattern). */
  uriEndpoint: string;
  /** `[/prefix]/kms/xks/v1`. */
  uriPath: string;
  connectivity: "PUBLIC_ENDPOINT";
  accessKeyId: string;
  /** The proxy authentication credential's secret, wrapped by the root key (base64). */
  wrappedSecret: string;
}

/** A CloudHSM-type store's cluster (a PKCS#11 token in kmsd's configuration) and kmsuser password. */
export interface CloudHsmSettings {
  clusterId: string;
  trustAnchorCertificate: string;
  /** The kmsuser password (the token's user PIN), wrapped by the root key (base64). */
  wrappedPassword: string;
}

/** A store as its creator describes it: the store table gives it its first revision. */
export type NewCustomKeyStoreRecord = Omit<CustomKeyStoreRecord, "revision">;

/** A new custom key store id. */
export function newCustomKeyStoreId(): string {
  return `cks-${randomBytes(9).toString("hex").slice(0, 17)}`;
}

/** The additional data a store's wrapped secret is bound to: it cannot be moved to another store. */
export function customKeyStoreSecretAad(record: Pick<CustomKeyStoreRecord, "id" | "accountId" | "region">, purpose: "xks-proxy-secret" | "kmsuser-password"): Buffer {
  return Buffer.from(`kmsd custom key store ${purpose}\n${record.accountId}\n${record.region}\n${record.id}`, "utf8");
}

/** The proxy address that must be unique in an account and Region (endpoint and path together). */
export function proxyUri(settings: Pick<XksProxySettings, "uriEndpoint" | "uriPath">): string {
  return `${settings.uriEndpoint}${settings.uriPath}`;
}

/**
 * AWS's message for using a key whose custom key store is not connected (its key state is
 * Unavailable): the XKS proxy API spec's for an external key store; the same sentence naming
 * the cluster for a CloudHSM key store (kmsd's wording: AWS publishes none for that case).
 */
export function storeNotConnectedMessage(origin: "EXTERNAL_KEY_STORE" | "AWS_CLOUDHSM"): string {
  return origin === "EXTERNAL_KEY_STORE"
    ? "This KMS key is in a custom key store that is not connected to its external key store proxy. Connect the external key store and try the request again."
    : "This KMS key is in a custom key store that is not connected to its AWS CloudHSM cluster. Connect the custom key store and try the request again.";
}
