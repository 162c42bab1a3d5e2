/**
 * The external layer of a KMS key in an external key store (xks/xksCiphertext.ts says
 * the layout): the blob kmsd sealed under the key's own material is encrypted again by the
 * external key through the store's proxy, and decrypted by it first. Only while the store
 * is CONNECTED; a proxy failure is AWS's KMSInvalidStateException with the spec's message.
 */
import { createHash } from "node:crypto";
import { HEADER_LENGTH } from "../../crypto/ciphertext.ts";
import { encodeEncryptionContext } from "../../crypto/encryptionContext.ts";
import { generateTokenKey, tokenDecrypt, tokenEncrypt } from "../../hsm/hsmClusters.ts";
import { log } from "../../server/log.ts";
import {
  CloudHsmClusterInvalidConfigurationException,
  CustomKeyStoreInvalidStateException,
  InvalidCiphertextException,
  KMSInvalidStateException,
  UnsupportedOperationException,
  ValidationException,
  XksKeyAlreadyInUseException,
  XksKeyInvalidConfigurationException,
} from "../../errors.ts";
import { storeNotConnectedMessage, type CustomKeyStoreRecord } from "../../keys/customKeyStores.ts";
import { keyArn, type KeyRecord } from "../../keys/records.ts";
import type { RequestContext } from "../../server/context.ts";
import { readXksBlob, writeXksBlob } from "../../xks/xksCiphertext.ts";
import { XksKeyInUseError } from "../../store/customKeyStoreTable.ts";
import { callProxy, findCustomKeyStore, hsmAccess, proxyTarget, requestMetadata, storeOfKey } from "./customKeyStores.ts";
import type { KmsOperation } from "./registry.ts";

/** Whether a key's material is doubled by a custom key store's key (Origin EXTERNAL_KEY_STORE or AWS_CLOUDHSM). */
export function inCustomKeyStore(key: KeyRecord): boolean {
  return key.origin === "EXTERNAL_KEY_STORE" || key.origin === "AWS_CLOUDHSM";
}

/**
 * Encrypts kmsd's blob of `key` under the store's key: the external key through the proxy, or
 * the token's key. The proxy's additional data is the blob's header and the encryption context
 * (so a wrong context is refused by the proxy, as AWS's is); the token's, the header.
 */
export async function encryptExternally(ctx: RequestContext, operation: KmsOperation, key: KeyRecord, inner: Buffer, context: Record<string, string> | undefined): Promise<Buffer> {
  const store = await connectedStore(ctx, key);
  const header = inner.subarray(0, HEADER_LENGTH);
  const body = inner.subarray(HEADER_LENGTH);
  const xks = store.xks;
  const outer = xks
    ? await callProxy("cryptographic", () =>
        ctx.services.xks.encrypt(proxyTarget(ctx.services, store, xks), key.xksKeyId ?? "", requestMetadata(ctx, operation, keyArn(key)), body, proxyAad(header, context)),
      )
    : await withToken(ctx, store, ({ cluster, password }) => tokenEncrypt(cluster, password, key.keyId, body, header));
  return writeXksBlob(header, outer);
}

/** Decrypts the store's layer of a blob of `key`, giving back kmsd's own blob. */
export async function decryptExternally(ctx: RequestContext, operation: KmsOperation, key: KeyRecord, blob: Uint8Array, context: Record<string, string> | undefined): Promise<Buffer> {
  const { header, outer } = readXksBlob(blob);
  const store = await connectedStore(ctx, key);
  const xks = store.xks;
  const body = xks
    ? await callProxy("cryptographic", () =>
        ctx.services.xks.decrypt(proxyTarget(ctx.services, store, xks), key.xksKeyId ?? "", requestMetadata(ctx, operation, keyArn(key)), outer, proxyAad(header, context)),
      )
    : await withToken(ctx, store, ({ cluster, password }) => tokenDecrypt(cluster, password, key.keyId, outer, header), new InvalidCiphertextException());
  return Buffer.concat([header, body]);
}

/**
 * The additional authenticated data of a proxy call: the blob's header, then the SHA-256 of
 * the encryption context's canonical encoding (a digest, so the AAD stays far below a proxy's
 * size limits whatever the context).
 */
function proxyAad(header: Buffer, context: Record<string, string> | undefined): Buffer {
  return Buffer.concat([header, createHash("sha256").update(encodeEncryptionContext(context)).digest()]);
}

/** Runs a token call of a CloudHSM-type store; the token's refusal is `refusal` (default: the cluster cannot serve). */
async function withToken<T>(ctx: RequestContext, store: CustomKeyStoreRecord, call: (access: ReturnType<typeof hsmAccess>) => Promise<T>, refusal?: Error): Promise<T> {
  const access = hsmAccess(ctx, store);
  try {
    return await call(access);
  } catch (error) {
    log.info("custom key store token call failed", { requestId: ctx.requestId, customKeyStoreId: store.id, reason: String(error) });
    throw refusal ?? new KMSInvalidStateException(`The CloudHSM cluster of custom key store ${store.id} could not perform the operation.`);
  }
}

async function connectedStore(ctx: RequestContext, key: KeyRecord): Promise<CustomKeyStoreRecord> {
  const store = await storeOfKey(ctx, key);
  if (!store || store.connectionState !== "CONNECTED") throw new KMSInvalidStateException(storeNotConnectedMessage(key.origin === "AWS_CLOUDHSM" ? "AWS_CLOUDHSM" : "EXTERNAL_KEY_STORE"));
  return store;
}

/** Has the token of a CloudHSM-type store make the AES-256 key of a new KMS key, labelled with its id. */
export async function generateStoreKey(ctx: RequestContext, customKeyStoreId: string, keyId: string): Promise<void> {
  const store = await findCustomKeyStore(ctx, customKeyStoreId);
  await withToken(ctx, store, ({ cluster, password }) => generateTokenKey(cluster, password, keyId), new CloudHsmClusterInvalidConfigurationException(`The CloudHSM cluster of custom key store ${store.id} could not create a key.`));
}

/** AWS's answer for an external key that another KMS key of the store already uses. */
export function xksKeyTaken(customKeyStoreId: string, xksKeyId: string): Error {
  return new XksKeyAlreadyInUseException(`External key ${xksKeyId} is already associated with a KMS key in custom key store ${customKeyStoreId}.`);
}

/** The store's refusal of a key insert (another key took the external key meanwhile) as AWS's error; anything else as it is. */
export function asXksKeyTaken(error: unknown): unknown {
  return error instanceof XksKeyInUseError ? xksKeyTaken(error.customKeyStoreId, error.xksKeyId) : error;
}

/**
 * CreateKey's checks for a key in a custom key store: the store exists and is CONNECTED,
 * its type fits the origin, and (external key stores) the external key is free in the
 * store and usable: AES-256, ENCRYPT and DECRYPT, ENABLED at the proxy.
 */
export async function checkCustomKeyStoreForNewKey(
  ctx: RequestContext,
  origin: "EXTERNAL_KEY_STORE" | "AWS_CLOUDHSM",
  customKeyStoreId: string | undefined,
  xksKeyId: string | undefined,
): Promise<{ customKeyStoreId: string; xksKeyId?: string; cloudHsmClusterId?: string }> {
  if (customKeyStoreId === undefined) throw new ValidationException(`CustomKeyStoreId is required for a KMS key with Origin ${origin}.`);
  const store = await findCustomKeyStore(ctx, customKeyStoreId);
  const expectedType = origin === "EXTERNAL_KEY_STORE" ? "EXTERNAL_KEY_STORE" : "AWS_CLOUDHSM";
  if (store.type !== expectedType) {
    throw new UnsupportedOperationException(`Custom key store ${customKeyStoreId} is of type ${store.type}, which does not hold keys with Origin ${origin}.`);
  }
  if (store.connectionState !== "CONNECTED") throw new CustomKeyStoreInvalidStateException(storeNotConnectedMessage(origin));
  if (origin === "AWS_CLOUDHSM" || !store.xks) return { customKeyStoreId, ...(store.cloudHsm ? { cloudHsmClusterId: store.cloudHsm.clusterId } : {}) };
  if (xksKeyId === undefined) throw new ValidationException("XksKeyId is required for a KMS key with Origin EXTERNAL_KEY_STORE.");
  // Checked here to spare the proxy a call, and again atomically with the key's insert (xksKeyTaken).
  if (await ctx.services.store.customKeyStores.xksKeyInUse(store, xksKeyId)) throw xksKeyTaken(customKeyStoreId, xksKeyId);
  const xks = store.xks;
  const metadata = await callProxy("create-key", () => ctx.services.xks.keyMetadata(proxyTarget(ctx.services, store, xks), xksKeyId, requestMetadata(ctx, "CreateKey")));
  if (metadata.keySpec !== "AES_256" || !metadata.keyUsage.includes("ENCRYPT") || !metadata.keyUsage.includes("DECRYPT") || metadata.keyStatus !== "ENABLED") {
    throw new XksKeyInvalidConfigurationException(
      `External key ${xksKeyId} must be an enabled AES_256 key that supports ENCRYPT and DECRYPT; the proxy reports ${metadata.keySpec}, [${metadata.keyUsage.join(", ")}], ${metadata.keyStatus}.`,
    );
  }
  return { customKeyStoreId, xksKeyId };
}
