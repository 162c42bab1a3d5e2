/**
 * Key material a seed file fixes: base64 for symmetric and HMAC keys, a PEM private key for
 * asymmetric ones. It is checked as ImportKeyMaterial checks imported material (length, or a
 * private key of the spec's type), and gets a material id that depends only on the key id and
 * the material, so a ciphertext made under the seeded key in one deployment names the same
 * material in every other deployment seeded from the same file (the usual id is keyed by the
 * root key, which differs).
 */
import { createHash, createPrivateKey } from "node:crypto";
import type { KeySpec } from "@aws-sdk/client-kms";
import { ValidationException } from "../errors.ts";
import { checkImportedMaterial } from "../services/kms/importRules.ts";
import type { ChosenKey } from "../services/kms/operations/CreateKey.ts";

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const MATERIAL_ID_LABEL = "kmsd seed key material v1\n";

/** The key's material from its text in the seed file; ValidationException when it does not fit the key spec. */
export function fixedMaterial(keyId: string, keySpec: string, text: string): NonNullable<ChosenKey["material"]> {
  const bytes = keySpec === "SYMMETRIC_DEFAULT" || keySpec.startsWith("HMAC_") ? fromBase64(text, keySpec) : fromPem(text, keySpec);
  checkImportedMaterial(keySpec as KeySpec, bytes);
  return { bytes, keyMaterialId: fixedMaterialId(keyId, bytes) };
}

/** The material id of seeded material: 64 hex digits, like every material id. */
export function fixedMaterialId(keyId: string, material: Buffer): string {
  return createHash("sha256").update(MATERIAL_ID_LABEL).update(`${keyId}\n`).update(material).digest("hex");
}

function fromBase64(text: string, keySpec: string): Buffer {
  const compact = text.replace(/\s+/g, "");
  if (!BASE64.test(compact)) throw new ValidationException(`The key material of a ${keySpec} key must be base64.`);
  return Buffer.from(compact, "base64");
}

/** A PEM private key (PKCS#8, or PKCS#1/SEC 1) as the PKCS#8 DER kmsd keeps. */
function fromPem(text: string, keySpec: string): Buffer {
  try {
    return createPrivateKey({ key: text, format: "pem" }).export({ format: "der", type: "pkcs8" });
  } catch {
    throw new ValidationException(`The key material of a ${keySpec} key must be a PEM private key.`);
  }
}
