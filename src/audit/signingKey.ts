/**
 * The RSA-2048 key that signs digest files (SHA256withRSA, as CloudTrail). It is made once
 * per data directory; its private key is stored in audit.db wrapped by the root key (bound
 * to its purpose by the additional data), its public key in the clear, so `kmsd audit
 * verify` and other tools can check digests without the root key.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from "node:crypto";
import type { RootKey } from "../crypto/rootKey.ts";
import type { AuditStore } from "../store/auditStore.ts";

/** Additional data that binds the wrapped digest signing key to its use. */
export const SIGNING_KEY_AAD = Buffer.from("kmsd/audit/digest-signing-key/v1", "utf8");

/** Signs digest files. */
export interface DigestSigner {
  /** The digest's digestPublicKeyFingerprint. */
  readonly fingerprint: string;
  readonly publicKeyPem: string;
  /** The hex SHA256withRSA signature of a string to sign. */
  sign(text: string): string;
}

/** The public half of the signing key, as a verifier has it. */
export interface DigestPublicKey {
  readonly fingerprint: string;
  readonly publicKeyPem: string;
}

/** Loads the signing key, creating it on first use (a concurrent creator's key wins if it was first). */
export async function loadOrCreateSigner(store: AuditStore, rootKey: RootKey): Promise<DigestSigner> {
  let stored = await store.signingKey();
  if (!stored) {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const der = privateKey.export({ format: "der", type: "pkcs8" });
    const wrappedPrivateKey = rootKey.wrap(der, SIGNING_KEY_AAD).toString("base64");
    der.fill(0);
    stored = await store.saveSigningKey({ wrappedPrivateKey, publicKeyPem: publicKey.export({ format: "pem", type: "spki" }).toString() });
  }
  const der = rootKey.unwrap(Buffer.from(stored.wrappedPrivateKey, "base64"), SIGNING_KEY_AAD);
  const privateKey = createPrivateKey({ key: der, format: "der", type: "pkcs8" });
  der.fill(0);
  const { publicKeyPem } = stored;
  return {
    fingerprint: fingerprintOf(publicKeyPem),
    publicKeyPem,
    sign: (text) => sign("sha256", Buffer.from(text, "utf8"), privateKey).toString("hex"),
  };
}

/** The public key of the data directory's signing key, if one was made. */
export async function readPublicKey(store: AuditStore): Promise<DigestPublicKey | undefined> {
  const stored = await store.signingKey();
  return stored && { publicKeyPem: stored.publicKeyPem, fingerprint: fingerprintOf(stored.publicKeyPem) };
}

/** Whether `signatureHex` is a valid SHA256withRSA signature of `text` by the key. */
export function verifySignature(publicKeyPem: string, text: string, signatureHex: string): boolean {
  if (!/^([0-9a-f]{2})+$/.test(signatureHex)) return false;
  try {
    return verify("sha256", Buffer.from(text, "utf8"), createPublicKey(publicKeyPem), Buffer.from(signatureHex, "hex"));
  } catch {
    return false;
  }
}

/**
 * The key's fingerprint: the first 16 bytes of SHA-256 over its DER (PKCS#1) public key,
 * in hex (32 characters, the length of CloudTrail's fingerprints). An identifier only.
 */
function fingerprintOf(publicKeyPem: string): string {
  const der = createPublicKey(publicKeyPem).export({ format: "der", type: "pkcs1" });
  return createHash("sha256").update(der).digest("hex").slice(0, 32);
}
