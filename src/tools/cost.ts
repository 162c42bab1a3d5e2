/**
 * `kmsd cost --data-dir DIR [--month YYYY-MM] [--account ID] [--format table|json|csv] [--prices FILE]`:
 * what the usage kmsd recorded would cost on AWS KMS. It reads the data directory's
 * stores (safe next to a running server) and changes nothing.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { OptionValues } from "../config.ts";
import { auditDbPath, openSqliteAuditStore } from "../store/sqlite/sqliteAuditStore.ts";
import { SqliteStore } from "../store/sqlite/sqliteStore.ts";
import { computeCost, monthWindow } from "./cost/compute.ts";
import { formatCost, type CostFormat } from "./cost/format.ts";
import { loadPrices } from "./cost/prices.ts";
import { readUsage } from "./cost/usage.ts";
import type { COST_OPTIONS } from "./options.ts";

/** What `kmsd cost` takes. */
export interface CostOptions {
  dataDir: string;
  /** YYYY-MM; the current month (UTC) if not given. */
  month: string | undefined;
  accountId: string | undefined;
  format: CostFormat;
  pricesPath: string | undefined;
}

/** Prints the cost report of a data directory. */
export async function reportCost(options: CostOptions): Promise<void> {
  const databasePath = join(options.dataDir, "kmsd.db");
  if (!existsSync(databasePath)) throw new Error(`no kmsd database in ${options.dataDir}`);
  if (!existsSync(auditDbPath(options.dataDir))) throw new Error(`no audit trail in ${options.dataDir} (kmsd cost computes from it)`);
  const prices = await loadPrices(options.pricesPath);
  const month = options.month ?? new Date().toISOString().slice(0, 7);
  const bounds = monthWindow(month, 0);
  const store = new SqliteStore(databasePath);
  const audit = openSqliteAuditStore(auditDbPath(options.dataDir));
  try {
    const usage = await readUsage(store, audit, bounds.startMs, bounds.endMs - 1);
    // The records reach now, or further when the server clock was moved ahead (--dev).
    const window = monthWindow(month, Math.max(Date.now(), usage.newestEventMs ?? 0));
    process.stdout.write(formatCost(computeCost(usage, window, prices, options.accountId), options.format));
  } finally {
    await audit.close();
    await store.close();
  }
}

/** `kmsd cost`, with its options parsed by the CLI (cli/commands.ts). */
export async function costCommand(values: OptionValues<typeof COST_OPTIONS>): Promise<void> {
  await reportCost({ dataDir: values.dataDir, month: values.month, accountId: values.account, format: values.format, pricesPath: values.prices });
}
