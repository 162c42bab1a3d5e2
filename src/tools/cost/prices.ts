/**
 * What AWS KMS charges, in one table: the only place the cost report takes a price from.
 * Read on 2026-12-07 from https://aws.amazon.com/kms/pricing/ (US East, N. Virginia; most
 * Regions charge the same). `kmsd cost --prices FILE` replaces any of these with the
 * values of a JSON file of the same shape (loadPrices.ts), and `--cost-prices` (or
 * `costPrices` in the config file) with `NAME=AMOUNT` pairs, over the file's. Pure, so the
 * web console bundles it too.
 */
/** AWS's request pricing classes, as its pricing page lists them. */
export const REQUEST_CLASSES = ["standard", "rsa2048", "asymmetric", "eccDataKeyPair", "rsaDataKeyPair"] as const;
export type RequestClass = (typeof REQUEST_CLASSES)[number];

/** A price table. Amounts in US dollars. */
export interface Prices {
  /** The day the prices were read, and from where. */
  asOf: string;
  source: string;
  /** One customer managed key (any spec or origin) for a month, prorated by the hour. */
  keyMonth: number;
  /** Each rotation of a key's material adds this per month from the rotation on, prorated by the hour... */
  rotationMonth: number;
  /** ...for the first this many rotations of the key; later rotations add nothing. */
  chargedRotations: number;
  /** Requests of the "standard" class free each month, per account, across all Regions. */
  freeRequestsPerMonth: number;
  /** Per 10,000 requests of each class. */
  per10kRequests: Record<RequestClass, number>;
}

/** The prices kmsd reports with unless told otherwise. */
export const AWS_KMS_PRICES: Prices = {
  asOf: "2026-12-07",
  source: "https://aws.amazon.com/kms/pricing/",
  keyMonth: 1,
  rotationMonth: 1,
  chargedRotations: 2,
  freeRequestsPerMonth: 20_000,
  per10kRequests: {
    // Every request not in another class (symmetric and HMAC keys, key management): the free tier applies to these only.
    standard: 0.03,
    // Encrypt, Decrypt, Sign, Verify, GetPublicKey... with an RSA 2048 key.
    rsa2048: 0.03,
    // The same with any other asymmetric key (other RSA sizes, ECC, ML-DSA, SM2).
    asymmetric: 0.15,
    // GenerateDataKeyPair(WithoutPlaintext) of an ECC key pair.
    eccDataKeyPair: 0.1,
    // GenerateDataKeyPair(WithoutPlaintext) of an RSA key pair.
    rsaDataKeyPair: 12,
  },
};

/** The scalar prices `withOverrides` names directly; request classes are named by their class. */
const SCALAR_PRICES = ["keyMonth", "rotationMonth", "chargedRotations", "freeRequestsPerMonth"] as const;

/**
 * `prices` with the `NAME=AMOUNT,...` pairs of `overrides` (the option's own pattern has
 * checked their shape): a scalar price by its name, a request class's price per 10,000
 * requests by the class. An unknown name is an error naming the known ones.
 */
export function withOverrides(prices: Prices, overrides: string | undefined): Prices {
  if (overrides === undefined || overrides.trim() === "") return prices;
  const result: Prices = { ...prices, per10kRequests: { ...prices.per10kRequests } };
  for (const pair of overrides.split(",")) {
    const [rawName = "", rawAmount = ""] = pair.split("=");
    const name = rawName.trim();
    const value = Number(rawAmount.trim());
    if (!Number.isFinite(value)) throw new Error(`--cost-prices: ${name} must be a number of at least 0, not '${rawAmount.trim()}'`);
    if ((SCALAR_PRICES as readonly string[]).includes(name)) result[name as (typeof SCALAR_PRICES)[number]] = value;
    else if ((REQUEST_CLASSES as readonly string[]).includes(name)) result.per10kRequests[name as RequestClass] = value;
    else throw new Error(`--cost-prices: no price '${name}' (known: ${[...SCALAR_PRICES, ...REQUEST_CLASSES].join(", ")})`);
  }
  return result;
}
