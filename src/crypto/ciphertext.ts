/**
 * The symmetric ciphertext blob: versioned and self-describing, so Decrypt finds the
 * key and key version without a KeyId. Layout (docs/ciphertext-format.md):
 *
 *   offset  size  field
 *   0       1     format version (0x01)
 *   1       1     key id kind (0x00 UUID, 0x01 multi-Region "mrk-" id)
 *   2       16    key id (the UUID's or the mrk id's 16 bytes)
 *   18      32    key material id (which version of the key's material)
 *   50      16    KDF nonce (derives this message's AES key from the key material)
 *   66      12    AES-GCM IV
 *   78      n     ciphertext
 *   78+n    16    AES-GCM tag
 *
 * The first 78 bytes (the header) are authenticated as additional data together with
 * the canonical encryption context, so changing any byte fails decryption.
 */
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from "node:crypto";
import { InvalidCiphertextException } from "../errors.ts";
import { deriveKeyCounterMode } from "./kdf.ts";
import { fillPublicRandom } from "./randomPool.ts";
import { preparedKey } from "./keyObjects.ts";
import { encodeEncryptionContext } from "./encryptionContext.ts";

const FORMAT_V1 = 0x01;
const KIND_UUID = 0x00;
const KIND_MRK = 0x01;
const KEY_ID_OFFSET = 2;
const MATERIAL_ID_OFFSET = 18;
const NONCE_OFFSET = 50;
const IV_OFFSET = 66;
/** Bytes before the ciphertext body. */
export const HEADER_LENGTH = 78;
const TAG_LENGTH = 16;
/** Bytes a ciphertext blob adds to its plaintext. */
export const CIPHERTEXT_OVERHEAD = HEADER_LENGTH + TAG_LENGTH;
const KDF_LABEL = Buffer.from("kmsd symmetric v1", "utf8");

/** What a ciphertext blob names: the key and the version of its material. */
export interface CiphertextHeader {
  keyId: string;
  /** 64 hex characters. */
  keyMaterialId: string;
}

/** Encrypts under one version of a symmetric key's material. */
export function sealSymmetric(
  header: CiphertextHeader,
  material: Buffer,
  plaintext: Uint8Array,
  context: Record<string, string> | undefined,
): Buffer {
  const out = Buffer.allocUnsafe(CIPHERTEXT_OVERHEAD + plaintext.length);
  writeHeader(out, header);
  fillPublicRandom(out, NONCE_OFFSET, HEADER_LENGTH - NONCE_OFFSET); // nonce (16) and IV (12)
  const cipher = createCipheriv("aes-256-gcm", messageKey(material, out), out.subarray(IV_OFFSET, HEADER_LENGTH));
  cipher.setAAD(additionalData(out, context));
  let offset = HEADER_LENGTH + cipher.update(plaintext).copy(out, HEADER_LENGTH);
  offset += cipher.final().copy(out, offset);
  cipher.getAuthTag().copy(out, offset);
  return out;
}

/** Reads the header of a blob; any malformation is an (opaque) InvalidCiphertextException. */
export function parseHeader(blob: Uint8Array): CiphertextHeader {
  if (blob.length < CIPHERTEXT_OVERHEAD || blob[0] !== FORMAT_V1) throw new InvalidCiphertextException();
  const kind = blob[1];
  const idBytes = Buffer.from(blob.buffer, blob.byteOffset + KEY_ID_OFFSET, 16);
  let keyId: string;
  if (kind === KIND_UUID) keyId = formatUuid(idBytes.toString("hex"));
  else if (kind === KIND_MRK) keyId = `mrk-${idBytes.toString("hex")}`;
  else throw new InvalidCiphertextException();
  const keyMaterialId = Buffer.from(blob.buffer, blob.byteOffset + MATERIAL_ID_OFFSET, 32).toString("hex");
  return { keyId, keyMaterialId };
}

/** Decrypts a blob whose header was parsed and whose key material was found. */
export function openSymmetric(material: Buffer, blob: Uint8Array, context: Record<string, string> | undefined): Buffer {
  const bytes = Buffer.from(blob.buffer, blob.byteOffset, blob.length);
  if (bytes.length < CIPHERTEXT_OVERHEAD) throw new InvalidCiphertextException();
  try {
    const decipher = createDecipheriv("aes-256-gcm", messageKey(material, bytes), bytes.subarray(IV_OFFSET, HEADER_LENGTH));
    decipher.setAAD(additionalData(bytes, context));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_LENGTH));
    return Buffer.concat([decipher.update(bytes.subarray(HEADER_LENGTH, bytes.length - TAG_LENGTH)), decipher.final()]);
  } catch {
    throw new InvalidCiphertextException();
  }
}

/** This message's AES key. Prepared as a key object: cheaper for createCipheriv than a raw Buffer. */
function messageKey(material: Buffer, blob: Buffer): KeyObject {
  return createSecretKey(deriveKeyCounterMode(preparedKey(material), KDF_LABEL, blob.subarray(0, IV_OFFSET)));
}

function additionalData(blob: Buffer, context: Record<string, string> | undefined): Buffer {
  return Buffer.concat([blob.subarray(0, HEADER_LENGTH), encodeEncryptionContext(context)]);
}

function writeHeader(out: Buffer, header: CiphertextHeader): void {
  out[0] = FORMAT_V1;
  if (header.keyId.startsWith("mrk-")) {
    out[1] = KIND_MRK;
    out.write(header.keyId.slice(4), KEY_ID_OFFSET, 16, "hex");
  } else {
    out[1] = KIND_UUID;
    out.write(header.keyId.replaceAll("-", ""), KEY_ID_OFFSET, 16, "hex");
  }
  out.write(header.keyMaterialId, MATERIAL_ID_OFFSET, 32, "hex");
}

function formatUuid(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
