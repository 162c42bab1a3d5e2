/**
 * `kmsd cost --data-dir DIR [--month YYYY-MM] [--account ID] [--format table|json|csv] [--prices FILE]`:
 * what the usage kmsd recorded would cost on AWS KMS. It reads the data directory's
 * stores (safe next to a running server) and changes nothing.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { checkAccountId, dataDirOf } from "../config.ts";
import { auditDbPath, openSqliteAuditStore } from "../store/sqlite/sqliteAuditStore.ts";
import { SqliteStore } from "../store/sqlite/sqliteStore.ts";
import { computeCost, monthWindow } from "./cost/compute.ts";
import { COST_FORMATS, formatCost, type CostFormat } from "./cost/format.ts";
import { loadPrices } from "./cost/prices.ts";
import { readUsage } from "./cost/usage.ts";

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

/** `kmsd cost` from its arguments. */
export async function costCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { "data-dir": { type: "string" }, month: { type: "string" }, account: { type: "string" }, format: { type: "string" }, prices: { type: "string" } },
    strict: true,
  });
  if (values.account !== undefined) checkAccountId(values.account);
  const format = values.format ?? "table";
  if (!(COST_FORMATS as readonly string[]).includes(format)) throw new Error(`--format must be one of ${COST_FORMATS.join(", ")}, not '${format}'`);
  await reportCost({ dataDir: dataDirOf(values["data-dir"]), month: values.month, accountId: values.account, format: format as CostFormat, pricesPath: values.prices });
}
