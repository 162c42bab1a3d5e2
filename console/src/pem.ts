/** PEM armour for DER bytes (public keys, as GetPublicKey returns them). */
export function pem(label: string, der: Uint8Array): string {
  const lines = toBase64(der).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}\n-----END ${label}-----\n`;
}

/** Base64 of bytes (ciphertexts, signatures), for display and copy. */
export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Bytes of base64 text; throws a readable error for text that is not base64. */
export function fromBase64(text: string): Uint8Array {
  try {
    return Uint8Array.from(atob(text.trim()), (c) => c.charCodeAt(0));
  } catch {
    throw new Error("The text is not valid base64.");
  }
}

/** The DER bytes of PEM text (the first block), or undefined when `text` is not PEM. */
export function derFromPem(text: string): Uint8Array | undefined {
  const block = /-----BEGIN [A-Z ]+-----([\s\S]*?)-----END [A-Z ]+-----/.exec(text);
  return block ? fromBase64((block[1] ?? "").replace(/\s+/g, "")) : undefined;
}
