/**
 * Helpers for the key lifecycle suite: keys for imported material, wrapping key material
 * on the client side exactly as AWS documents it (independently of the server's code),
 * the server clock, and one storage-level helper that makes a rotation fall due while
 * the server is down (the dev clock offset is not persisted across restarts).
 */
import { constants, createCipheriv, createPublicKey, generateKeyPairSync, publicEncrypt, randomBytes, type KeyObject } from "node:crypto";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import {
  CreateKeyCommand,
  GetParametersForImportCommand,
  ImportKeyMaterialCommand,
  ListKeyRotationsCommand,
  type AlgorithmSpec,
  type CreateKeyCommandInput,
  type ExpirationModelType,
  type ImportKeyMaterialCommandOutput,
  type ImportType,
  type KMSClient,
  type RotationsListEntry,
  type WrappingKeySpec,
} from "@aws-sdk/client-kms";
import type { CreatedKey } from "./e2e.ts";
import type { Kmsd } from "./kmsd.ts";

export const DAY_SECONDS = 86_400;
export const DAY_MS = DAY_SECONDS * 1000;

/** The wrapping algorithms AWS offers today. */
export type WrappingAlgorithm = Extract<
  AlgorithmSpec,
  "RSAES_OAEP_SHA_1" | "RSAES_OAEP_SHA_256" | "RSA_AES_KEY_WRAP_SHA_1" | "RSA_AES_KEY_WRAP_SHA_256"
>;

/** Creates a key with Origin EXTERNAL (no material yet). */
export async function createExternalKey(kms: KMSClient, input: CreateKeyCommandInput = {}): Promise<CreatedKey> {
  const { KeyMetadata: metadata } = await kms.send(new CreateKeyCommand({ ...input, Origin: "EXTERNAL" }));
  if (!metadata?.KeyId || !metadata.Arn) throw new Error("CreateKey returned no KeyId/Arn");
  return { ...metadata, KeyId: metadata.KeyId, Arn: metadata.Arn };
}

/** The RFC 5649 (AES Key Wrap with Padding) alternative initial value. */
const KWP_IV = Buffer.from("A65959A6", "hex");

/**
 * Wraps key material for ImportKeyMaterial as the AWS developer guide describes it:
 * RSAES-OAEP (MGF1 with the same hash) directly, or for RSA_AES_KEY_WRAP an ephemeral
 * AES-256 key wrapped with RSAES-OAEP followed by the material under AES-KWP.
 */
export function wrapKeyMaterial(publicKeyDer: Uint8Array, algorithm: WrappingAlgorithm, material: Buffer): Buffer {
  const publicKey = createPublicKey({ key: Buffer.from(publicKeyDer), format: "der", type: "spki" });
  const oaepHash = algorithm.endsWith("SHA_1") ? "sha1" : "sha256";
  const oaep = (data: Buffer) => publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash }, data);
  if (algorithm === "RSAES_OAEP_SHA_1" || algorithm === "RSAES_OAEP_SHA_256") return oaep(material);
  const aesKey = randomBytes(32);
  const cipher = createCipheriv("id-aes256-wrap-pad", aesKey, KWP_IV);
  return Buffer.concat([oaep(aesKey), cipher.update(material), cipher.final()]);
}

/** How to import: wrapping parameters and the ImportKeyMaterial options. */
export interface ImportOptions {
  wrappingAlgorithm?: WrappingAlgorithm;
  wrappingKeySpec?: WrappingKeySpec;
  /** Default KEY_MATERIAL_DOES_NOT_EXPIRE (AWS's own default needs a ValidTo). */
  expirationModel?: ExpirationModelType;
  validTo?: Date;
  importType?: ImportType;
  keyMaterialDescription?: string;
}

/** GetParametersForImport, wrap, ImportKeyMaterial. */
export async function importKeyMaterial(
  kms: KMSClient,
  keyId: string,
  material: Buffer,
  options: ImportOptions = {},
): Promise<ImportKeyMaterialCommandOutput> {
  const wrappingAlgorithm = options.wrappingAlgorithm ?? "RSAES_OAEP_SHA_256";
  const parameters = await kms.send(
    new GetParametersForImportCommand({ KeyId: keyId, WrappingAlgorithm: wrappingAlgorithm, WrappingKeySpec: options.wrappingKeySpec ?? "RSA_2048" }),
  );
  if (!parameters.PublicKey || !parameters.ImportToken) throw new Error("GetParametersForImport returned no PublicKey/ImportToken");
  return kms.send(
    new ImportKeyMaterialCommand({
      KeyId: keyId,
      ImportToken: parameters.ImportToken,
      EncryptedKeyMaterial: wrapKeyMaterial(parameters.PublicKey, wrappingAlgorithm, material),
      ExpirationModel: options.expirationModel ?? "KEY_MATERIAL_DOES_NOT_EXPIRE",
      ValidTo: options.validTo,
      ImportType: options.importType,
      KeyMaterialDescription: options.keyMaterialDescription,
    }),
  );
}

/** The server clock (the dev clock, moved by nothing). */
export async function serverNowMs(kmsd: Kmsd): Promise<number> {
  return Math.round((await kmsd.advanceClock(0)).epochSeconds * 1000);
}

/** Every entry of ListKeyRotations, page by page (with the given page size). */
export async function allRotations(kms: KMSClient, keyId: string, limit?: number): Promise<RotationsListEntry[]> {
  const entries: RotationsListEntry[] = [];
  let marker: string | undefined;
  do {
    const page = await kms.send(new ListKeyRotationsCommand({ KeyId: keyId, Limit: limit, Marker: marker }));
    entries.push(...(page.Rotations ?? []));
    marker = page.Truncated ? page.NextMarker : undefined;
  } while (marker);
  return entries;
}

/** A private key of an asymmetric key spec as PKCS#8 DER (what AWS imports), with its key object. */
export function generatePrivateKey(keySpec: "RSA_2048" | "ECC_NIST_P256"): { pkcs8: Buffer; publicKey: KeyObject } {
  const pair =
    keySpec === "RSA_2048" ? generateKeyPairSync("rsa", { modulusLength: 2048 }) : generateKeyPairSync("ec", { namedCurve: "P-256" });
  return { pkcs8: pair.privateKey.export({ format: "der", type: "pkcs8" }), publicKey: pair.publicKey };
}

/**
 * Makes a key's automatic rotation due `ms` earlier, by editing its stored record while
 * the server is stopped. The dev clock's offset lives only in the server process, so a
 * rotation "due while the server was down" cannot be arranged through the API; this is
 * the one place a test reaches into the data directory (the `keys` table of kmsd.db: a
 * JSON record plus the indexed `due_at` the scheduler reads).
 */
export function backdateRotation(dataDir: string, keyId: string, ms: number): void {
  const db = new DatabaseSync(join(dataDir, "kmsd.db"));
  try {
    const row = db.prepare("SELECT record FROM keys WHERE key_id = ?").get(keyId) as { record: string } | undefined;
    if (!row) throw new Error(`key ${keyId} is not in the store`);
    const record = JSON.parse(row.record) as { rotation?: { periodInDays: number; sinceMs: number } };
    if (!record.rotation) throw new Error(`key ${keyId} has no automatic rotation`);
    record.rotation.sinceMs -= ms;
    const dueMs = record.rotation.sinceMs + record.rotation.periodInDays * DAY_MS;
    db.prepare("UPDATE keys SET record = ?, due_at = ? WHERE key_id = ?").run(JSON.stringify(record), dueMs, keyId);
  } finally {
    db.close();
  }
}

/** Polls `check` until it returns true or `timeoutMs` passes; returns the last answer. */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 3000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
