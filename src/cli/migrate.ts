/**
 * `kmsd migrate --from DATA_DIR --to postgres://...`: moves a SQLite deployment into an empty
 * PostgreSQL database (store/copyToPostgres.ts), then checks the copy: every table's row
 * count in the target, and the audit trail verified there as `kmsd audit verify --database`
 * would. The data directory stays the deployment's: its root key (which every node needs)
 * and its delivered audit files. Run it with the server stopped.
 */
import { auditDir } from "../audit/logPaths.ts";
import { verifyStoredTrail } from "../audit/verify.ts";
import { COPIED_TABLES, copySqliteToPostgres, countPostgresRows, type CopyProgress } from "../store/copyToPostgres.ts";
import { openAuditStoreAt, redactedUrl } from "../store/open.ts";
import { UsageError } from "./parseOptions.ts";

/** Runs `kmsd migrate`; exit status 1 if the copy does not check out. */
export async function migrate(options: { from: string | undefined; to: string | undefined }): Promise<number> {
  const { from, to } = options;
  if (from === undefined) throw new UsageError("--from is required (the data directory to copy)");
  if (to === undefined) throw new UsageError("--to is required (the PostgreSQL database to copy into)");
  const copied = await copySqliteToPostgres(from, to, progressReporter());
  const found = await countPostgresRows(to, COPIED_TABLES.filter((table) => table in copied));
  const differing = Object.keys(copied).filter((table) => copied[table] !== found[table]);
  const rows = Object.values(copied).reduce((sum, n) => sum + n, 0);
  process.stdout.write(`copied ${rows} rows of ${Object.keys(copied).length} tables from ${from} to ${redactedUrl(to)}\n`);
  for (const table of differing) process.stdout.write(`count MISMATCH in ${table}: copied ${copied[table]}, found ${found[table]}\n`);
  const audit = await openAuditStoreAt(to);
  try {
    const report = await verifyStoredTrail(audit, auditDir(from), {});
    process.stdout.write(`audit verify on the target: ${report.ok ? "intact" : "NOT INTACT"} (${report.chains.length} chain(s), ${report.files.length} file(s))\n`);
    return differing.length === 0 && report.ok ? 0 : 1;
  } finally {
    await audit.close();
  }
}

/** A progress bar on a terminal; elsewhere (a log, a pipe) one line per table. */
function progressReporter(): CopyProgress {
  const tty = process.stderr.isTTY;
  let lastTable = "";
  return (done, total, table) => {
    if (tty) {
      const width = 30;
      const filled = total === 0 ? width : Math.round((done / total) * width);
      process.stderr.write(`\r[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${total} rows (${table})\u001b[K${done === total ? "\n" : ""}`);
    } else if (table !== lastTable) {
      process.stderr.write(`copying ${table}\n`);
    }
    lastTable = table;
  };
}
