/**
 * The ciphertext blob of a KMS key in an external key store: double encryption, as AWS
 * does it. kmsd first seals the plaintext under the key's own material (the usual blob,
 * crypto/ciphertext.ts); the external key then encrypts that blob's body through the
 * proxy, with the blob's header and the SHA-256 of the encryption context's canonical
 * encoding (crypto/encryptionContext.ts) as additional authenticated data, so the proxy refuses a
 * wrong context as AWS's does (a CloudHSM-type store's token: the header only). Neither kmsd's material
 * nor the external key alone can decrypt, and the proxy never sees the plaintext.
 *
 *   offset    size  field
 *   0         78    the inner blob's header (format, key id, material id, nonce, IV): unchanged,
 *                   so Decrypt finds the key as for any blob
 *   78        1     m: length of the proxy's ciphertextMetadata (0 to 20)
 *   79        m     ciphertextMetadata
 *   79+m      1     v: length of the proxy's IV (12 or 16)
 *   80+m      v     IV
 *   80+m+v    16    authentication tag
 *   96+m+v    n     the proxy's ciphertext of the inner body (n = inner blob length - 78)
 *
 * Every read checks the length first; any malformed blob is InvalidCiphertextException.
 */
import { HEADER_LENGTH } from "../crypto/ciphertext.ts";
import { InvalidCiphertextException } from "../errors.ts";
import { GCM_IV_BYTES, GCM_TAG_BYTES, MAX_CIPHERTEXT_METADATA_BYTES } from "./proxyApi.ts";
import type { XksEncrypted } from "./proxyClient.ts";

/** An external key store blob taken apart: the inner header and the proxy's encryption of the inner body. */
export interface XksBlob {
  header: Buffer;
  outer: XksEncrypted;
}

/** The outer blob from the inner blob's header and the proxy's answer. */
export function writeXksBlob(header: Uint8Array, outer: XksEncrypted): Buffer {
  return Buffer.concat([
    header,
    Buffer.of(outer.ciphertextMetadata.length),
    outer.ciphertextMetadata,
    Buffer.of(outer.iv.length),
    outer.iv,
    outer.tag,
    outer.ciphertext,
  ]);
}

/** Takes an outer blob apart, checking every length. */
export function readXksBlob(blob: Uint8Array): XksBlob {
  const bytes = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  let offset = HEADER_LENGTH;
  const take = (length: number): Buffer => {
    if (bytes.length < offset + length) throw new InvalidCiphertextException();
    const part = bytes.subarray(offset, offset + length);
    offset += length;
    return part;
  };
  if (bytes.length < HEADER_LENGTH) throw new InvalidCiphertextException();
  const header = bytes.subarray(0, HEADER_LENGTH);
  const metadataLength = take(1)[0] as number;
  if (metadataLength > MAX_CIPHERTEXT_METADATA_BYTES) throw new InvalidCiphertextException();
  const ciphertextMetadata = take(metadataLength);
  const ivLength = take(1)[0] as number;
  if (!GCM_IV_BYTES.includes(ivLength)) throw new InvalidCiphertextException();
  const iv = take(ivLength);
  const tag = take(GCM_TAG_BYTES);
  // The inner body is at least kmsd's own 16-byte tag.
  const ciphertext = take(bytes.length - offset);
  if (ciphertext.length < GCM_TAG_BYTES) throw new InvalidCiphertextException();
  return { header, outer: { ciphertextMetadata, iv, tag, ciphertext } };
}
