/**
 * CloudHSM-type custom key stores on PKCS#11 tokens. There is no AWS CloudHSM here: a
 * "cluster" is a PKCS#11 token that kmsd's configuration names by a cluster id
 * (--cloudhsm-clusters, a JSON file: `{ "cluster-...": { "module": ..., "tokenLabel": ... } }`),
 * SoftHSM2 in tests, a real HSM in production. The store's KeyStorePassword is the token's
 * user PIN (AWS's kmsuser). Each KMS key of the store has an AES-256 key made by the token
 * (sensitive, never extractable), labelled with the KMS key's id; kmsd's second layer of
 * encryption is made by the token on each call. The PKCS#11 session handling is the
 * pkcs11 seal's (seal/pkcs11Seal.ts).
 *
 * A CloudHSM cluster's trust anchor is the certificate its owner made when initializing it
 * (customerCA.crt: the CA that signed the cluster's certificate), and CreateCustomKeyStore's
 * TrustAnchorCertificate must be that certificate. A token has no such certificate of its own,
 * so the cluster's entry names it: `trustAnchorCertificate`, a PEM file (the CA the token's
 * operator trusts for it, or any certificate the operator chose to stand for the cluster).
 */
import { randomBytes, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { findKey, gcm, withToken } from "../seal/pkcs11Seal.ts";
import type { XksEncrypted } from "../xks/proxyClient.ts";

/** One configured cluster: the token that stands for it, and its trust anchor. */
export interface HsmCluster {
  module: string;
  tokenLabel: string;
  /** The cluster's trust anchor certificate (PEM). */
  trustAnchor: X509Certificate;
}

/** The configured clusters, by cluster id. */
export type HsmClusters = ReadonlyMap<string, HsmCluster>;

const TAG_BYTES = 16;

/** Reads --cloudhsm-clusters (no file: no clusters). */
export function hsmClustersFromFile(path: string | undefined): HsmClusters {
  if (!path) return new Map();
  const parsed = JSON.parse(readFileSync(path, "utf8")) as Record<string, { module?: unknown; tokenLabel?: unknown; trustAnchorCertificate?: unknown }>;
  const clusters = new Map<string, HsmCluster>();
  for (const [id, cluster] of Object.entries(parsed)) {
    if (typeof cluster.module !== "string" || typeof cluster.tokenLabel !== "string" || typeof cluster.trustAnchorCertificate !== "string") {
      throw new Error(`${path}: cluster ${id} needs module, tokenLabel and trustAnchorCertificate (a PEM file)`);
    }
    const trustAnchor = parseCertificate(readFileSync(cluster.trustAnchorCertificate, "utf8"));
    if (!trustAnchor) throw new Error(`${path}: cluster ${id}: ${cluster.trustAnchorCertificate} holds no PEM certificate`);
    clusters.set(id, { module: cluster.module, tokenLabel: cluster.tokenLabel, trustAnchor });
  }
  return clusters;
}

/** Whether `pem` (CreateCustomKeyStore's TrustAnchorCertificate) is one well-formed PEM certificate, the cluster's own. */
export function isTrustAnchorOf(cluster: HsmCluster, pem: string): boolean {
  return parseCertificate(pem)?.raw.equals(cluster.trustAnchor.raw) === true;
}

/** One PEM certificate, or undefined if `pem` is anything else (several certificates, a key, garbage). */
function parseCertificate(pem: string): X509Certificate | undefined {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----/g) ?? [];
  if (blocks.length !== 1) return undefined;
  try {
    return new X509Certificate(pem);
  } catch {
    return undefined;
  }
}

/** Why a token refused: a wrong PIN is the kmsuser's credentials, anything else the cluster. */
export function loginFailureCode(error: unknown): "INVALID_CREDENTIALS" | "USER_LOCKED_OUT" | "NETWORK_ERRORS" {
  const text = String(error instanceof Error ? error.message : error);
  if (/PIN_INCORRECT|PIN_INVALID|PIN_LEN_RANGE/.test(text)) return "INVALID_CREDENTIALS";
  if (/PIN_LOCKED/.test(text)) return "USER_LOCKED_OUT";
  return "NETWORK_ERRORS";
}

/** Logs in to the cluster's token as the kmsuser (ConnectCustomKeyStore); throws the token's error. */
export async function logIn(cluster: HsmCluster, password: string): Promise<void> {
  await withToken({ ...cluster, keyLabel: "", pin: password }, () => undefined);
}

/** Has the token make the AES-256 key of a new KMS key. */
export async function generateTokenKey(cluster: HsmCluster, password: string, label: string): Promise<void> {
  await withToken({ ...cluster, keyLabel: label, pin: password }, (token) => findKey(token, label, true));
}

/** Encrypts with the token's key of a KMS key (AES-GCM, the token makes the ciphertext and tag). */
export async function tokenEncrypt(cluster: HsmCluster, password: string, label: string, plaintext: Buffer, aad: Buffer): Promise<XksEncrypted> {
  const iv = randomBytes(12);
  const sealed = await withToken({ ...cluster, keyLabel: label, pin: password }, (token) => {
    token.pkcs11.C_EncryptInit(token.session, gcm(token.binding, iv, aad), findKey(token, label, false));
    return Buffer.from(token.pkcs11.C_Encrypt(token.session, plaintext, Buffer.alloc(plaintext.length + TAG_BYTES)));
  });
  return { ciphertext: sealed.subarray(0, sealed.length - TAG_BYTES), tag: sealed.subarray(sealed.length - TAG_BYTES), iv, ciphertextMetadata: Buffer.alloc(0) };
}

/** Decrypts with the token's key of a KMS key; throws if the token refuses (altered ciphertext). */
export async function tokenDecrypt(cluster: HsmCluster, password: string, label: string, encrypted: XksEncrypted, aad: Buffer): Promise<Buffer> {
  return withToken({ ...cluster, keyLabel: label, pin: password }, (token) => {
    token.pkcs11.C_DecryptInit(token.session, gcm(token.binding, encrypted.iv, aad), findKey(token, label, false));
    const sealed = Buffer.concat([encrypted.ciphertext, encrypted.tag]);
    return Buffer.from(token.pkcs11.C_Decrypt(token.session, sealed, Buffer.alloc(sealed.length)));
  });
}
