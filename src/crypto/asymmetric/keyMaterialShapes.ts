/**
 * How each asymmetric KeySpec looks as node:crypto key material: the key type and its
 * parameters. Key generation uses it to make keys; key preparation uses it to check that
 * stored or imported material really is of the spec it claims.
 */
import type { KeyObject } from "node:crypto";
import type { KeySpec } from "@aws-sdk/client-kms";

/** node:crypto's description of a key pair type, usable both to generate and to recognise one. */
export type KeyMaterialShape =
  | { readonly type: "rsa"; readonly modulusLength: number }
  | { readonly type: "ec"; readonly namedCurve: "prime256v1" | "secp384r1" | "secp521r1" | "secp256k1" }
  | { readonly type: "ed25519" }
  | { readonly type: "ml-dsa-44" | "ml-dsa-65" | "ml-dsa-87" }
  | { readonly type: "ml-kem-512" | "ml-kem-768" | "ml-kem-1024" };

/** The key specs whose material node:crypto can generate and use here (every non-China asymmetric spec). */
export type SupportedAsymmetricKeySpec =
  | "RSA_2048"
  | "RSA_3072"
  | "RSA_4096"
  | "ECC_NIST_P256"
  | "ECC_NIST_P384"
  | "ECC_NIST_P521"
  | "ECC_SECG_P256K1"
  | "ECC_NIST_EDWARDS25519"
  | "ML_DSA_44"
  | "ML_DSA_65"
  | "ML_DSA_87"
  | "ML_KEM_512"
  | "ML_KEM_768"
  | "ML_KEM_1024";

const KEY_MATERIAL_SHAPES: Readonly<Record<SupportedAsymmetricKeySpec, KeyMaterialShape>> = {
  RSA_2048: { type: "rsa", modulusLength: 2048 },
  RSA_3072: { type: "rsa", modulusLength: 3072 },
  RSA_4096: { type: "rsa", modulusLength: 4096 },
  ECC_NIST_P256: { type: "ec", namedCurve: "prime256v1" },
  ECC_NIST_P384: { type: "ec", namedCurve: "secp384r1" },
  ECC_NIST_P521: { type: "ec", namedCurve: "secp521r1" },
  ECC_SECG_P256K1: { type: "ec", namedCurve: "secp256k1" },
  ECC_NIST_EDWARDS25519: { type: "ed25519" },
  ML_DSA_44: { type: "ml-dsa-44" },
  ML_DSA_65: { type: "ml-dsa-65" },
  ML_DSA_87: { type: "ml-dsa-87" },
  ML_KEM_512: { type: "ml-kem-512" },
  ML_KEM_768: { type: "ml-kem-768" },
  ML_KEM_1024: { type: "ml-kem-1024" },
};

/** Whether node:crypto key material exists here for the key spec (false for SYMMETRIC_DEFAULT, HMAC and SM2). */
export function isSupportedAsymmetricKeySpec(spec: KeySpec | string): spec is SupportedAsymmetricKeySpec {
  return Object.hasOwn(KEY_MATERIAL_SHAPES, spec);
}

/** The node:crypto shape of a supported asymmetric key spec. */
export function keyMaterialShapeOf(spec: SupportedAsymmetricKeySpec): KeyMaterialShape {
  return KEY_MATERIAL_SHAPES[spec];
}

/** Whether a parsed node key (private or public) has exactly the shape the key spec requires. */
export function keyObjectMatchesShape(key: KeyObject, shape: KeyMaterialShape): boolean {
  if (key.asymmetricKeyType !== shape.type) return false;
  const details = key.asymmetricKeyDetails ?? {};
  switch (shape.type) {
    case "rsa":
      return details.modulusLength === shape.modulusLength;
    case "ec":
      return details.namedCurve === shape.namedCurve;
    default:
      return true;
  }
}
