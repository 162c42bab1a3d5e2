/**
 * `kmsd cost --data-dir DIR (or --database URL) [--month YYYY-MM] [--account ID] [--format table|json|csv]
 * [--prices FILE] [--cost-prices LIST] [--config FILE]`: what the usage kmsd recorded would cost on
 * AWS KMS. It reads the deployment's stores (the data directory's SQLite files, or the
 * PostgreSQL database; safe next to running servers) and changes nothing; it needs no root key.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { OptionValues } from "../config.ts";
import type { AuditStore } from "../store/auditStore.ts";
import { openPgAuditStore } from "../store/postgres/pgAuditStore.ts";
import { openPgStore } from "../store/postgres/pgStore.ts";
import { auditDbPath, openSqliteAuditStore } from "../store/sqlite/sqliteAuditStore.ts";
import { SqliteStore } from "../store/sqlite/sqliteStore.ts";
import type { Store } from "../store/store.ts";
import { monthWindow } from "./cost/compute.ts";
import { formatCost, type CostFormat } from "./cost/format.ts";
import { loadPrices } from "./cost/loadPrices.ts";
import { withOverrides } from "./cost/prices.ts";
import { storeUsageSource } from "./cost/storeUsage.ts";
import { monthReport } from "./cost/monthReport.ts";
import type { COST_OPTIONS } from "./options.ts";

/** What `kmsd cost` takes. */
export interface CostOptions {
  dataDir: string;
  /** The deployment's PostgreSQL database, instead of the data directory's SQLite files. */
  databaseUrl: string | undefined;
  /** YYYY-MM; the current month (UTC) if not given. */
  month: string | undefined;
  accountId: string | undefined;
  format: CostFormat;
  pricesPath: string | undefined;
  /** `NAME=AMOUNT,...` (--cost-prices, or costPrices in the config file), over the --prices file's. */
  priceOverrides: string | undefined;
}

/** Prints the cost report of a data directory. */
export async function reportCost(options: CostOptions): Promise<void> {
  const prices = withOverrides(await loadPrices(options.pricesPath), options.priceOverrides);
  const month = options.month ?? new Date().toISOString().slice(0, 7);
  monthWindow(month, 0); // refuses a malformed month before opening anything
  const { store, audit } = await openStores(options);
  try {
    const report = await monthReport(storeUsageSource(store, audit), month, prices, Date.now(), options.accountId);
    process.stdout.write(formatCost(report, options.format));
  } finally {
    await audit.close();
    await store.close();
  }
}

/** The deployment's key store and audit trail: in PostgreSQL with a database URL, else in the data directory. */
async function openStores(options: Pick<CostOptions, "dataDir" | "databaseUrl">): Promise<{ store: Store; audit: AuditStore }> {
  if (options.databaseUrl !== undefined) {
    const store = await openPgStore(options.databaseUrl);
    try {
      return { store, audit: await openPgAuditStore(options.databaseUrl) };
    } catch (error) {
      await store.close();
      throw error;
    }
  }
  const databasePath = join(options.dataDir, "kmsd.db");
  if (!existsSync(databasePath)) throw new Error(`no kmsd database in ${options.dataDir}`);
  if (!existsSync(auditDbPath(options.dataDir))) throw new Error(`no audit trail in ${options.dataDir} (kmsd cost computes from it)`);
  return { store: new SqliteStore(databasePath), audit: openSqliteAuditStore(auditDbPath(options.dataDir)) };
}

/** `kmsd cost`, with its options parsed by the CLI (cli/commands.ts). */
export async function costCommand(values: OptionValues<typeof COST_OPTIONS>): Promise<void> {
  await reportCost({
    dataDir: values.dataDir,
    databaseUrl: values.databaseUrl,
    month: values.month,
    accountId: values.account,
    format: values.format,
    pricesPath: values.prices,
    priceOverrides: values.costPrices,
  });
}
