/**
 * The capability table: for every KeySpec, the KeyUsages CreateKey accepts and, for each
 * (KeySpec, KeyUsage) pair, the algorithm lists DescribeKey/GetPublicKey show, in AWS's order.
 * This is the one place that answers "what can this key spec do"; everything else asks it.
 */
import type {
  EncapsulationAlgorithmSpec,
  EncryptionAlgorithmSpec,
  KeyAgreementAlgorithmSpec,
  KeySpec,
  KeyUsageType,
  MacAlgorithmSpec,
  SigningAlgorithmSpec,
} from "@aws-sdk/client-kms";
import { UnsupportedOperationException, ValidationException } from "../../errors.ts";

/** The algorithm lists DescribeKey shows for one (KeySpec, KeyUsage) pair; a list that does not apply is absent. */
export type KeyAlgorithms = {
  readonly EncryptionAlgorithms?: readonly EncryptionAlgorithmSpec[];
  readonly SigningAlgorithms?: readonly SigningAlgorithmSpec[];
  readonly MacAlgorithms?: readonly MacAlgorithmSpec[];
  readonly KeyAgreementAlgorithms?: readonly KeyAgreementAlgorithmSpec[];
  readonly EncapsulationAlgorithms?: readonly EncapsulationAlgorithmSpec[];
};

/** What one key spec can do. */
type KeySpecCapabilities = {
  /** The usages CreateKey accepts, each with the algorithms DescribeKey lists for it, in AWS's order of usages. */
  readonly usages: Partial<Record<KeyUsageType, KeyAlgorithms>>;
  /** False for specs AWS offers only in the China Regions (SM2); this server answers as a non-China Region. */
  readonly availableOutsideChina: boolean;
  /** Whether the spec is a key pair (GetPublicKey, GenerateDataKeyPair-style material). */
  readonly asymmetric: boolean;
};

const RSA_ENCRYPTION: KeyAlgorithms = { EncryptionAlgorithms: ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"] };
const RSA_SIGNING: KeyAlgorithms = {
  SigningAlgorithms: [
    "RSASSA_PKCS1_V1_5_SHA_256",
    "RSASSA_PKCS1_V1_5_SHA_384",
    "RSASSA_PKCS1_V1_5_SHA_512",
    "RSASSA_PSS_SHA_256",
    "RSASSA_PSS_SHA_384",
    "RSASSA_PSS_SHA_512",
  ],
};
const ECDH: KeyAlgorithms = { KeyAgreementAlgorithms: ["ECDH"] };
const ML_DSA_SIGNING: KeyAlgorithms = { SigningAlgorithms: ["ML_DSA_SHAKE_256"] };
const ML_KEM_ENCAPSULATION: KeyAlgorithms = { EncapsulationAlgorithms: ["ML_KEM"] };

const rsa: KeySpecCapabilities = {
  usages: { ENCRYPT_DECRYPT: RSA_ENCRYPTION, SIGN_VERIFY: RSA_SIGNING },
  availableOutsideChina: true,
  asymmetric: true,
};
const mlDsa: KeySpecCapabilities = { usages: { SIGN_VERIFY: ML_DSA_SIGNING }, availableOutsideChina: true, asymmetric: true };
const mlKem: KeySpecCapabilities = {
  usages: { ENCAPSULATE_DECAPSULATE: ML_KEM_ENCAPSULATION },
  availableOutsideChina: true,
  asymmetric: true,
};

/** Each NIST curve pairs with exactly one ECDSA hash in AWS (P-256/SHA-256, P-384/SHA-384, P-521/SHA-512). */
function nistCurve(signing: SigningAlgorithmSpec): KeySpecCapabilities {
  return {
    usages: { SIGN_VERIFY: { SigningAlgorithms: [signing] }, KEY_AGREEMENT: ECDH },
    availableOutsideChina: true,
    asymmetric: true,
  };
}

function hmac(algorithm: MacAlgorithmSpec): KeySpecCapabilities {
  return { usages: { GENERATE_VERIFY_MAC: { MacAlgorithms: [algorithm] } }, availableOutsideChina: true, asymmetric: false };
}

/** The capability table itself, keyed by every KeySpec of the current KMS model. */
const KEY_SPEC_CAPABILITIES: Readonly<Record<KeySpec, KeySpecCapabilities>> = {
  SYMMETRIC_DEFAULT: {
    usages: { ENCRYPT_DECRYPT: { EncryptionAlgorithms: ["SYMMETRIC_DEFAULT"] } },
    availableOutsideChina: true,
    asymmetric: false,
  },
  RSA_2048: rsa,
  RSA_3072: rsa,
  RSA_4096: rsa,
  ECC_NIST_P256: nistCurve("ECDSA_SHA_256"),
  ECC_NIST_P384: nistCurve("ECDSA_SHA_384"),
  ECC_NIST_P521: nistCurve("ECDSA_SHA_512"),
  ECC_SECG_P256K1: {
    usages: { SIGN_VERIFY: { SigningAlgorithms: ["ECDSA_SHA_256"] } },
    availableOutsideChina: true,
    asymmetric: true,
  },
  ECC_NIST_EDWARDS25519: {
    usages: { SIGN_VERIFY: { SigningAlgorithms: ["ED25519_SHA_512", "ED25519_PH_SHA_512"] } },
    availableOutsideChina: true,
    asymmetric: true,
  },
  ML_DSA_44: mlDsa,
  ML_DSA_65: mlDsa,
  ML_DSA_87: mlDsa,
  ML_KEM_512: mlKem,
  ML_KEM_768: mlKem,
  ML_KEM_1024: mlKem,
  HMAC_224: hmac("HMAC_SHA_224"),
  HMAC_256: hmac("HMAC_SHA_256"),
  HMAC_384: hmac("HMAC_SHA_384"),
  HMAC_512: hmac("HMAC_SHA_512"),
  SM2: {
    usages: {
      ENCRYPT_DECRYPT: { EncryptionAlgorithms: ["SM2PKE"] },
      SIGN_VERIFY: { SigningAlgorithms: ["SM2DSA"] },
      KEY_AGREEMENT: ECDH,
    },
    availableOutsideChina: false,
    asymmetric: true,
  },
};

/** Every KeySpec this table knows, in declaration order (handy for table-driven callers and tests). */
export const ALL_KEY_SPECS: readonly KeySpec[] = Object.keys(KEY_SPEC_CAPABILITIES) as KeySpec[];

const NO_ALGORITHMS: KeyAlgorithms = Object.freeze({});

/** Whether a string received from a client names a KeySpec of the current model. */
export function isKnownKeySpec(value: string): value is KeySpec {
  return Object.hasOwn(KEY_SPEC_CAPABILITIES, value);
}

/** The KeyUsages CreateKey accepts for a key spec. */
export function allowedKeyUsages(spec: KeySpec): readonly KeyUsageType[] {
  return Object.keys(KEY_SPEC_CAPABILITIES[spec].usages) as KeyUsageType[];
}

/** The algorithm lists DescribeKey shows for a key with this spec and usage (empty when the pair is invalid). */
export function algorithmsFor(spec: KeySpec, usage: KeyUsageType): KeyAlgorithms {
  return KEY_SPEC_CAPABILITIES[spec].usages[usage] ?? NO_ALGORITHMS;
}

/** The signing algorithms a key spec supports (empty if it cannot sign). */
export function signingAlgorithmsFor(spec: KeySpec): readonly SigningAlgorithmSpec[] {
  return algorithmsFor(spec, "SIGN_VERIFY").SigningAlgorithms ?? [];
}

/** The encryption algorithms a key spec supports (empty if it cannot encrypt). */
export function encryptionAlgorithmsFor(spec: KeySpec): readonly EncryptionAlgorithmSpec[] {
  return algorithmsFor(spec, "ENCRYPT_DECRYPT").EncryptionAlgorithms ?? [];
}

/** The MAC algorithms a key spec supports (empty unless it is an HMAC spec). */
export function macAlgorithmsFor(spec: KeySpec): readonly MacAlgorithmSpec[] {
  return algorithmsFor(spec, "GENERATE_VERIFY_MAC").MacAlgorithms ?? [];
}

/** Whether a key spec is a key pair (as opposed to SYMMETRIC_DEFAULT or HMAC). */
export function isAsymmetricKeySpec(spec: KeySpec): boolean {
  return KEY_SPEC_CAPABILITIES[spec].asymmetric;
}

/** Whether a key spec is an HMAC spec. */
export function isHmacKeySpec(spec: KeySpec): boolean {
  return macAlgorithmsFor(spec).length > 0;
}

/** Whether this server (a non-China Region) offers the key spec at all. */
export function isKeySpecAvailable(spec: KeySpec): boolean {
  return KEY_SPEC_CAPABILITIES[spec].availableOutsideChina;
}

/** Whether keys of this spec may be created with KeyUsage ENCRYPT_DECRYPT. */
export function canEncrypt(spec: KeySpec): boolean {
  return allowedKeyUsages(spec).includes("ENCRYPT_DECRYPT");
}

/** Whether keys of this spec may be created with KeyUsage SIGN_VERIFY. */
export function canSign(spec: KeySpec): boolean {
  return allowedKeyUsages(spec).includes("SIGN_VERIFY");
}

/** Whether keys of this spec may be created with KeyUsage GENERATE_VERIFY_MAC. */
export function canGenerateMac(spec: KeySpec): boolean {
  return allowedKeyUsages(spec).includes("GENERATE_VERIFY_MAC");
}

/** Whether keys of this spec may be created with KeyUsage KEY_AGREEMENT. */
export function canAgreeKeys(spec: KeySpec): boolean {
  return allowedKeyUsages(spec).includes("KEY_AGREEMENT");
}

/** Whether keys of this spec may be created with KeyUsage ENCAPSULATE_DECAPSULATE (ML-KEM). */
export function canEncapsulate(spec: KeySpec): boolean {
  return allowedKeyUsages(spec).includes("ENCAPSULATE_DECAPSULATE");
}

/** CreateKey's KeySpec and KeyUsage after defaults were applied and the pair was checked. */
export type ResolvedKeySpecAndUsage = { readonly keySpec: KeySpec; readonly keyUsage: KeyUsageType };

/**
 * Validates CreateKey's (KeySpec, KeyUsage) pair as AWS does and applies the defaults
 * (KeySpec SYMMETRIC_DEFAULT; KeyUsage ENCRYPT_DECRYPT, but only for symmetric keys).
 * Enum membership of the two strings is the protocol layer's job; this checks their combination.
 */
export function validateCreateKeySpecAndUsage(
  keySpec: KeySpec | undefined,
  keyUsage: KeyUsageType | undefined,
): ResolvedKeySpecAndUsage {
  const spec = keySpec ?? "SYMMETRIC_DEFAULT";
  if (keyUsage === undefined && spec !== "SYMMETRIC_DEFAULT") {
    throw new ValidationException("You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.");
  }
  const usage = keyUsage ?? "ENCRYPT_DECRYPT";
  if (!isKeySpecAvailable(spec)) {
    // What real AWS answers in a non-China Region (observed in us-east-1).
    throw new UnsupportedOperationException(`KeySpec ${spec} is not supported in this Region`);
  }
  if (!allowedKeyUsages(spec).includes(usage)) {
    // Recorded wording; AWS puts no full stop at the end of this one.
    throw new ValidationException(`KeyUsage ${usage} is not compatible with KeySpec ${spec}`);
  }
  return { keySpec: spec, keyUsage: usage };
}
