/**
 * AWS KMS's resource quotas, with AWS's default values ("Resource quotas" in the AWS KMS
 * Developer Guide): a request that would create a resource past its quota fails with
 * LimitExceededException and changes nothing. AWS managed keys and their aliases do not
 * count, as on AWS.
 */

/** Every resource quota, by the name an operator sets it with. */
export interface ResourceQuotas {
  /** Customer managed keys per account and Region, whatever their state. */
  readonly keys: number;
  /** Aliases pointing at one key. */
  readonly aliasesPerKey: number;
  /** Grants on one key. */
  readonly grantsPerKey: number;
  /** Grants on one key with the same grantee principal. */
  readonly grantsPerPrincipalPerKey: number;
  /** The largest key policy document, in bytes of UTF-8. */
  readonly keyPolicyBytes: number;
}

/** AWS's defaults. */
export const AWS_RESOURCE_QUOTAS: ResourceQuotas = {
  keys: 100_000,
  aliasesPerKey: 50,
  grantsPerKey: 50_000,
  grantsPerPrincipalPerKey: 500,
  keyPolicyBytes: 32_768,
};

/** Parses `NAME=COUNT,NAME=COUNT` (the --resource-quotas option) over AWS's defaults. */
export function parseResourceQuotas(text: string | undefined): ResourceQuotas {
  const quotas: Record<string, number> = { ...AWS_RESOURCE_QUOTAS };
  for (const entry of (text ?? "").split(",").map((part) => part.trim()).filter((part) => part !== "")) {
    const [name = "", value = ""] = entry.split("=", 2).map((part) => part.trim());
    if (!Object.hasOwn(AWS_RESOURCE_QUOTAS, name)) {
      throw new Error(`unknown resource quota "${name}" (one of: ${Object.keys(AWS_RESOURCE_QUOTAS).join(", ")})`);
    }
    const count = Number(value);
    if (!Number.isSafeInteger(count) || count < 1) throw new Error(`resource quota ${name} must be a whole number from 1, not "${value}"`);
    quotas[name] = count;
  }
  return quotas as unknown as ResourceQuotas;
}
