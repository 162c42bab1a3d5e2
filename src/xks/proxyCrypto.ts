/**
 * The cryptography behind kmsd's XKS proxy: AES-256-GCM under a key derived from a kmsd
 * key's material (its own label, so the material never serves two schemes directly), with
 * the spec's external-HSM additional data (2-byte AAD length, AAD, 1-byte metadata length,
 * metadata), so a ciphertextMetadata moved between messages fails. The ciphertextMetadata
 * names the material version: a format byte and the first 16 bytes of its material id.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { deriveKeyCounterMode } from "../crypto/kdf.ts";
import { GCM_TAG_BYTES } from "./proxyApi.ts";
import type { XksEncrypted } from "./proxyClient.ts";

const LABEL = Buffer.from("kmsd xks proxy v1", "utf8");
const METADATA_FORMAT = 0x01;
const MATERIAL_PREFIX_BYTES = 16;

/** The ciphertextMetadata naming one material version. */
export function metadataFor(keyMaterialId: string): Buffer {
  return Buffer.concat([Buffer.of(METADATA_FORMAT), Buffer.from(keyMaterialId, "hex").subarray(0, MATERIAL_PREFIX_BYTES)]);
}

/** The material id prefix (hex) a ciphertextMetadata names, or undefined if it is not one of ours. */
export function materialPrefixOf(metadata: Buffer): string | undefined {
  if (metadata.length !== 1 + MATERIAL_PREFIX_BYTES || metadata[0] !== METADATA_FORMAT) return undefined;
  return metadata.subarray(1).toString("hex");
}

/** The additional data given to AES-GCM: both lengths included, as the spec asks. */
export function hsmAad(aad: Buffer, metadata: Buffer): Buffer {
  const aadLength = Buffer.alloc(2);
  aadLength.writeUInt16BE(aad.length);
  return Buffer.concat([aadLength, aad, Buffer.of(metadata.length), metadata]);
}

/** Encrypts under a kmsd key's material version. */
export function xksEncrypt(material: Buffer, keyMaterialId: string, plaintext: Buffer, aad: Buffer): XksEncrypted {
  const ciphertextMetadata = metadataFor(keyMaterialId);
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", proxyKey(material, keyMaterialId), iv);
  cipher.setAAD(hsmAad(aad, ciphertextMetadata));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { ciphertext, ciphertextMetadata, iv, tag: cipher.getAuthTag() };
}

/** Decrypts; throws if anything was altered (the caller answers InvalidCiphertextException). */
export function xksDecrypt(material: Buffer, keyMaterialId: string, encrypted: XksEncrypted, aad: Buffer): Buffer {
  if (encrypted.tag.length !== GCM_TAG_BYTES) throw new Error("tag length");
  const decipher = createDecipheriv("aes-256-gcm", proxyKey(material, keyMaterialId), encrypted.iv);
  decipher.setAAD(hsmAad(aad, encrypted.ciphertextMetadata));
  decipher.setAuthTag(encrypted.tag);
  return Buffer.concat([decipher.update(encrypted.ciphertext), decipher.final()]);
}

function proxyKey(material: Buffer, keyMaterialId: string): Buffer {
  return deriveKeyCounterMode(material, LABEL, Buffer.from(keyMaterialId, "hex"));
}
