/**
 * The external layer of a KMS key in an external key store (xks/xksCiphertext.ts says
 * the layout): the blob kmsd sealed under the key's own material is encrypted again by the
 * external key through the store's proxy, and decrypted by it first. Only while the store
 * is CONNECTED; a proxy failure is AWS's KMSInvalidStateException with the spec's message.
 */
import { HEADER_LENGTH } from "../../crypto/ciphertext.ts";
import {
  CustomKeyStoreInvalidStateException,
  KMSInvalidStateException,
  UnsupportedOperationException,
  ValidationException,
  XksKeyAlreadyInUseException,
  XksKeyInvalidConfigurationException,
} from "../../errors.ts";
import type { CustomKeyStoreRecord } from "../../keys/customKeyStores.ts";
import { keyArn, type KeyRecord } from "../../keys/records.ts";
import type { RequestContext } from "../../server/context.ts";
import { readXksBlob, writeXksBlob } from "../../xks/xksCiphertext.ts";
import { callProxy, findCustomKeyStore, proxyTarget, requestMetadata } from "./customKeyStores.ts";
import type { KmsOperation } from "./registry.ts";

/** AWS's message for a key whose store is not connected. */
export const STORE_NOT_CONNECTED =
  "This KMS key is in a custom key store that is not connected to its external key store proxy. Connect the external key store and try the request again.";

/** Encrypts kmsd's blob of `key` under its external key. */
export async function encryptExternally(ctx: RequestContext, operation: KmsOperation, key: KeyRecord, inner: Buffer): Promise<Buffer> {
  const { store, xks } = await connectedStore(ctx, key);
  const header = inner.subarray(0, HEADER_LENGTH);
  const outer = await callProxy("cryptographic", () =>
    ctx.services.xks.encrypt(proxyTarget(ctx, store, xks), key.xksKeyId ?? "", requestMetadata(ctx, operation, keyArn(key)), inner.subarray(HEADER_LENGTH), header),
  );
  return writeXksBlob(header, outer);
}

/** Decrypts the external layer of a blob of `key`, giving back kmsd's own blob. */
export async function decryptExternally(ctx: RequestContext, operation: KmsOperation, key: KeyRecord, blob: Uint8Array): Promise<Buffer> {
  const { header, outer } = readXksBlob(blob);
  const { store, xks } = await connectedStore(ctx, key);
  const body = await callProxy("cryptographic", () =>
    ctx.services.xks.decrypt(proxyTarget(ctx, store, xks), key.xksKeyId ?? "", requestMetadata(ctx, operation, keyArn(key)), outer, header),
  );
  return Buffer.concat([header, body]);
}

async function connectedStore(ctx: RequestContext, key: KeyRecord): Promise<{ store: CustomKeyStoreRecord; xks: NonNullable<CustomKeyStoreRecord["xks"]> }> {
  const store = key.customKeyStoreId === undefined ? undefined : await ctx.services.store.customKeyStores.get(key.accountId, key.region, key.customKeyStoreId);
  if (!store?.xks || store.connectionState !== "CONNECTED") throw new KMSInvalidStateException(STORE_NOT_CONNECTED);
  return { store, xks: store.xks };
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
): Promise<{ customKeyStoreId: string; xksKeyId?: string }> {
  if (customKeyStoreId === undefined) throw new ValidationException(`CustomKeyStoreId is required for a KMS key with Origin ${origin}.`);
  const store = await findCustomKeyStore(ctx, customKeyStoreId);
  const expectedType = origin === "EXTERNAL_KEY_STORE" ? "EXTERNAL_KEY_STORE" : "AWS_CLOUDHSM";
  if (store.type !== expectedType) {
    throw new UnsupportedOperationException(`Custom key store ${customKeyStoreId} is of type ${store.type}, which does not hold keys with Origin ${origin}.`);
  }
  if (store.connectionState !== "CONNECTED") throw new CustomKeyStoreInvalidStateException(STORE_NOT_CONNECTED);
  if (origin === "AWS_CLOUDHSM" || !store.xks) return { customKeyStoreId };
  if (xksKeyId === undefined) throw new ValidationException("XksKeyId is required for a KMS key with Origin EXTERNAL_KEY_STORE.");
  if (await ctx.services.store.customKeyStores.xksKeyInUse(store, xksKeyId)) {
    throw new XksKeyAlreadyInUseException(`External key ${xksKeyId} is already associated with a KMS key in custom key store ${customKeyStoreId}.`);
  }
  const xks = store.xks;
  const metadata = await callProxy("create-key", () => ctx.services.xks.keyMetadata(proxyTarget(ctx, store, xks), xksKeyId, requestMetadata(ctx, "CreateKey")));
  if (metadata.keySpec !== "AES_256" || !metadata.keyUsage.includes("ENCRYPT") || !metadata.keyUsage.includes("DECRYPT") || metadata.keyStatus !== "ENABLED") {
    throw new XksKeyInvalidConfigurationException(
      `External key ${xksKeyId} must be an enabled AES_256 key that supports ENCRYPT and DECRYPT; the proxy reports ${metadata.keySpec}, [${metadata.keyUsage.join(", ")}], ${metadata.keyStatus}.`,
    );
  }
  return { customKeyStoreId, xksKeyId };
}
