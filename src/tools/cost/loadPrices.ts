/**
 * `kmsd cost --prices FILE`: the default price table (prices.ts) with what a JSON file of the
 * same shape replaces. Node only (it reads a file), so prices.ts stays pure for the console.
 */
import { readFile } from "node:fs/promises";
import { AWS_KMS_PRICES, REQUEST_CLASSES, type Prices, type RequestClass } from "./prices.ts";

/** The default table with what `path` (a JSON file shaped like Prices, any subset) replaces. */
export async function loadPrices(path: string | undefined): Promise<Prices> {
  if (path === undefined) return AWS_KMS_PRICES;
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    throw new Error(`--prices ${path}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (!isRecord(parsed)) throw new Error(`--prices ${path}: not a JSON object`);
  const prices: Prices = { ...AWS_KMS_PRICES, per10kRequests: { ...AWS_KMS_PRICES.per10kRequests } };
  for (const [name, value] of Object.entries(parsed)) {
    if (name === "per10kRequests" && isRecord(value)) {
      for (const [requestClass, price] of Object.entries(value)) {
        if (!(REQUEST_CLASSES as readonly string[]).includes(requestClass)) throw new Error(`--prices ${path}: no request class '${requestClass}'`);
        prices.per10kRequests[requestClass as RequestClass] = amount(price, `per10kRequests.${requestClass}`, path);
      }
    } else if (name === "asOf" || name === "source") {
      if (typeof value !== "string") throw new Error(`--prices ${path}: ${name} must be a string`);
      prices[name] = value;
    } else if (name === "keyMonth" || name === "rotationMonth" || name === "chargedRotations" || name === "freeRequestsPerMonth") {
      prices[name] = amount(value, name, path);
    } else throw new Error(`--prices ${path}: unknown price '${name}'`);
  }
  return prices;
}

function amount(value: unknown, name: string, path: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) throw new Error(`--prices ${path}: ${name} must be a number of at least 0`);
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
