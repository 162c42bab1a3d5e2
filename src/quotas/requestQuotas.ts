/**
 * AWS KMS's request quotas, as data: which quota each request counts against, and each
 * quota's default rate (requests per second, per account and Region), from AWS's "Request
 * quotas" table. Cryptographic operations share one quota per kind of key (symmetric,
 * which includes HMAC; RSA; ECC and SM2; ML-DSA); GenerateDataKeyPair(WithoutPlaintext)
 * has one per key pair spec; every management operation has its own.
 */
import type { KeySpec } from "@aws-sdk/client-kms";

/** The quota of cryptographic operations on symmetric keys (and GenerateRandom). */
export const SYMMETRIC = "symmetric";

/** The symmetric quota depends on the Region; these are AWS's larger ones. */
const SYMMETRIC_BY_REGION: Readonly<Record<string, number>> = {
  "us-east-1": 100_000,
  "us-west-2": 100_000,
  "eu-west-1": 100_000,
  "us-east-2": 20_000,
  "ap-southeast-1": 20_000,
  "ap-southeast-2": 20_000,
  "ap-northeast-1": 20_000,
  "eu-central-1": 20_000,
  "eu-west-2": 20_000,
};
const SYMMETRIC_ELSEWHERE = 10_000;

/** Every quota but the symmetric one, with AWS's default rate. */
const FIXED_DEFAULTS: Readonly<Record<string, number>> = {
  rsa: 1000,
  ecc: 1000,
  mldsa: 1000,
  "GenerateDataKeyPair.ECC_NIST_P256": 100,
  "GenerateDataKeyPair.ECC_NIST_P384": 100,
  "GenerateDataKeyPair.ECC_NIST_P521": 100,
  "GenerateDataKeyPair.ECC_SECG_P256K1": 100,
  "GenerateDataKeyPair.ECC_NIST_EDWARDS25519": 100,
  "GenerateDataKeyPair.RSA_2048": 20,
  "GenerateDataKeyPair.RSA_3072": 4,
  "GenerateDataKeyPair.RSA_4096": 1,
  "GenerateDataKeyPair.SM2": 25,
  CancelKeyDeletion: 5,
  ConnectCustomKeyStore: 5,
  CreateAlias: 5,
  CreateCustomKeyStore: 5,
  CreateGrant: 50,
  CreateKey: 5,
  DeleteAlias: 15,
  DeleteCustomKeyStore: 5,
  DeleteImportedKeyMaterial: 15,
  DescribeCustomKeyStores: 5,
  DescribeKey: 2000,
  DisableKey: 5,
  DisableKeyRotation: 5,
  DisconnectCustomKeyStore: 5,
  EnableKey: 5,
  EnableKeyRotation: 15,
  GetKeyLastUsage: 5,
  GetKeyPolicy: 1000,
  GetKeyRotationStatus: 1000,
  GetParametersForImport: 1,
  GetPublicKey: 2000,
  ImportKeyMaterial: 15,
  ListAliases: 500,
  ListGrants: 100,
  ListKeyPolicies: 100,
  ListKeys: 500,
  ListKeyRotations: 100,
  ListResourceTags: 2000,
  ListRetirableGrants: 100,
  PutKeyPolicy: 15,
  ReplicateKey: 5,
  RetireGrant: 50,
  RevokeGrant: 50,
  RotateKeyOnDemand: 5,
  ScheduleKeyDeletion: 15,
  TagResource: 10,
  UntagResource: 5,
  UpdateAlias: 5,
  UpdateCustomKeyStore: 5,
  UpdateKeyDescription: 5,
  UpdatePrimaryRegion: 5,
};

/** Every quota name an operator may set. */
export const REQUEST_QUOTA_NAMES: readonly string[] = [SYMMETRIC, ...Object.keys(FIXED_DEFAULTS)];

/** Operations whose quota is the shared one of the kind of key they use, known once the key is. */
const KEY_TYPED_OPERATIONS: ReadonlySet<string> = new Set([
  "Decrypt",
  "DeriveSharedSecret",
  "Encrypt",
  "GenerateDataKey",
  "GenerateDataKeyWithoutPlaintext",
  "GenerateMac",
  "ReEncrypt",
  "Sign",
  "Verify",
  "VerifyMac",
]);

/** Whether the quota of `operation` depends on its key (so it is charged once the key is resolved). */
export function isKeyTypedOperation(operation: string): boolean {
  return KEY_TYPED_OPERATIONS.has(operation);
}

/** The shared quota a key-using cryptographic operation counts against, by the key's spec. */
export function keyTypeQuota(keySpec: KeySpec): string | undefined {
  if (keySpec === "SYMMETRIC_DEFAULT" || keySpec.startsWith("HMAC_")) return SYMMETRIC;
  if (keySpec.startsWith("RSA_")) return "rsa";
  if (keySpec.startsWith("ECC_") || keySpec === "SM2") return "ecc";
  if (keySpec.startsWith("ML_DSA_")) return "mldsa";
  // AWS's table names no quota for ML-KEM keys.
  return undefined;
}

/**
 * The quota a request counts against that its input alone decides, or undefined (no quota,
 * or one decided by its key: see isKeyTypedOperation).
 */
export function operationQuota(operation: string, input: Readonly<Record<string, unknown>>): string | undefined {
  if (operation === "GenerateRandom") return SYMMETRIC;
  if (operation === "GenerateDataKeyPair" || operation === "GenerateDataKeyPairWithoutPlaintext") {
    const name = `GenerateDataKeyPair.${String(input.KeyPairSpec)}`;
    return Object.hasOwn(FIXED_DEFAULTS, name) ? name : undefined;
  }
  return Object.hasOwn(FIXED_DEFAULTS, operation) ? operation : undefined;
}

/** The rates in force: AWS's defaults with the operator's overrides. */
export class RequestQuotaRates {
  readonly #overrides: ReadonlyMap<string, number>;

  constructor(overrides: ReadonlyMap<string, number>) {
    this.#overrides = overrides;
  }

  /** Requests per second `quota` allows one account in `region`. */
  rate(quota: string, region: string): number {
    const override = this.#overrides.get(quota);
    if (override !== undefined) return override;
    if (quota === SYMMETRIC) return SYMMETRIC_BY_REGION[region] ?? SYMMETRIC_ELSEWHERE;
    return FIXED_DEFAULTS[quota] ?? Number.POSITIVE_INFINITY;
  }
}

/**
 * Parses `NAME=RATE,NAME=RATE` (the --request-quotas option) into overrides; a name AWS's
 * table does not have, or a rate that is not a positive number, is an error saying which.
 */
export function parseRequestQuotaOverrides(text: string | undefined): Map<string, number> {
  const overrides = new Map<string, number>();
  for (const entry of (text ?? "").split(",").map((part) => part.trim()).filter((part) => part !== "")) {
    const [name = "", value = ""] = entry.split("=", 2).map((part) => part.trim());
    if (!REQUEST_QUOTA_NAMES.includes(name)) {
      throw new Error(`unknown request quota "${name}" (one of: ${REQUEST_QUOTA_NAMES.join(", ")})`);
    }
    const rate = Number(value);
    if (value === "" || !Number.isFinite(rate) || rate <= 0) throw new Error(`request quota ${name} must be a positive number of requests per second, not "${value}"`);
    overrides.set(name, rate);
  }
  return overrides;
}
