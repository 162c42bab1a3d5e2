/**
 * A month's cost report from a usage source, the one way both `kmsd cost` (from the stores)
 * and the web console (from the public APIs) compute it. Pure.
 */
import { computeCost, monthWindow, type CostReport } from "./compute.ts";
import type { Prices } from "./prices.ts";
import { readUsage, type UsageSource } from "./usage.ts";

/** The report of `month` (YYYY-MM) at `prices`, for every account of the source or only `accountId`. */
export async function monthReport(source: UsageSource, month: string, prices: Prices, nowMs: number, accountId?: string): Promise<CostReport> {
  const bounds = monthWindow(month, 0);
  const usage = await readUsage(source, bounds.startMs, bounds.endMs - 1);
  // The records reach now, or further when the server clock was moved ahead (--dev).
  const window = monthWindow(month, Math.max(nowMs, usage.newestEventMs ?? 0));
  return computeCost(usage, window, prices, accountId);
}
