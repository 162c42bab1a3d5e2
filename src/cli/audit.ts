/**
 * `kmsd audit`: the audit trail of a data directory, offline or next to a running server.
 *
 *   verify     --data-dir DIR [--account ID] [--region R] [--start TIME] [--end TIME] [--json]
 *              like `aws cloudtrail validate-logs`: exit 1 if any file or record is not valid
 *   export     --data-dir DIR [--out DIR]   delivers pending events into log and digest files,
 *              then copies them (and the public key) to --out
 *   public-key --data-dir DIR               prints the digest signing key (PEM)
 */
import { cp, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { LogDelivery } from "../audit/delivery.ts";
import { auditDir } from "../audit/logPaths.ts";
import { loadOrCreateSigner, readPublicKey } from "../audit/signingKey.ts";
import { verifyAuditTrail, type VerifyReport } from "../audit/verify.ts";
import { auditDbPath, openSqliteAuditStore } from "../store/sqlite/sqliteAuditStore.ts";
import { checkAccountId, dataDirOf } from "../config.ts";
import { FileRootKey } from "../crypto/rootKey.ts";
import { fileModeRootKeyPath } from "../dataDir.ts";

const USAGE = `usage: kmsd audit verify --data-dir DIR [--account ID] [--region R] [--start TIME] [--end TIME] [--json]
       kmsd audit export --data-dir DIR [--out DIR]
       kmsd audit public-key --data-dir DIR`;

/** The file name of the public key `export --out` writes next to the logs. */
export const PUBLIC_KEY_FILE = "kmsd-digest-public-key.pem";

/** Runs an `audit` subcommand; returns the exit status. */
export async function audit(args: string[]): Promise<number> {
  const [subcommand, ...rest] = args;
  switch (subcommand) {
    case "verify":
      return verify(rest);
    case "export":
      return exportLogs(rest);
    case "public-key":
      return publicKey(rest);
    default:
      throw new Error(USAGE);
  }
}

async function verify(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      "data-dir": { type: "string" },
      account: { type: "string" },
      region: { type: "string" },
      start: { type: "string" },
      end: { type: "string" },
      json: { type: "boolean" },
    },
    strict: true,
  });
  if (values.account !== undefined) checkAccountId(values.account);
  const startMs = parseTime(values.start, "--start");
  const endMs = parseTime(values.end, "--end");
  if (startMs !== undefined && endMs !== undefined && startMs > endMs) throw new Error("--start is after --end");
  const dataDir = dataDirOf(values["data-dir"]);
  const report = await verifyAuditTrail({ dataDir, accountId: values.account, region: values.region, startMs, endMs });
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : describe(report, dataDir));
  return report.ok ? 0 : 1;
}

async function exportLogs(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { "data-dir": { type: "string" }, out: { type: "string" } }, strict: true });
  const dataDir = dataDirOf(values["data-dir"]);
  const dbPath = auditDbPath(dataDir);
  if (!existsSync(dbPath)) throw new Error(`no audit database (${dbPath})`);
  // Digests are signed with a key the root key wraps: offline, only the file mode has it.
  const rootKey = FileRootKey.load(fileModeRootKeyPath(dataDir));
  const store = openSqliteAuditStore(dbPath);
  try {
    const signer = await loadOrCreateSigner(store, rootKey);
    const dir = auditDir(dataDir);
    const result = await new LogDelivery(store, dir, signer).deliver(Date.now());
    process.stdout.write(`delivered ${result.logFiles.length} log file(s) and ${result.digests.length} digest file(s) into ${dir}\n`);
    if (values.out !== undefined) {
      if (existsSync(join(dir, "AWSLogs"))) await cp(join(dir, "AWSLogs"), join(values.out, "AWSLogs"), { recursive: true, force: true });
      await writeFile(join(values.out, PUBLIC_KEY_FILE), signer.publicKeyPem);
      process.stdout.write(`copied the log and digest files and ${PUBLIC_KEY_FILE} to ${values.out}\n`);
    }
  } finally {
    await store.close();
  }
  return 0;
}

async function publicKey(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { "data-dir": { type: "string" } }, strict: true });
  const dbPath = auditDbPath(dataDirOf(values["data-dir"]));
  if (!existsSync(dbPath)) throw new Error(`no audit database (${dbPath})`);
  const store = openSqliteAuditStore(dbPath, { readOnly: true });
  try {
    const key = await readPublicKey(store);
    if (!key) throw new Error("no digest signing key yet (it is made when the server first starts)");
    process.stdout.write(key.publicKeyPem.endsWith("\n") ? key.publicKeyPem : `${key.publicKeyPem}\n`);
  } finally {
    await store.close();
  }
  return 0;
}

/** The report in the style of `aws cloudtrail validate-logs`: one line per file and per changed record, then totals. */
function describe(report: VerifyReport, dataDir: string): string {
  const lines = [`Validating the audit trail in ${auditDir(dataDir)} (${report.chains.map((chain) => `${chain.accountId}/${chain.region}`).join(", ") || "no chains"})`, ""];
  for (const file of report.files) {
    const label = file.kind === "digest" ? "Digest file" : "Log file";
    const state = file.status === "valid" ? "valid" : `INVALID: ${file.status}${file.detail ? ` (${file.detail})` : ""}`;
    lines.push(`${label}\t${file.path}\t${state}`);
  }
  for (const record of report.records) {
    const where = record.where === "database" ? "audit.db" : `log file ${record.file ?? ""}`;
    const id = [record.seq === undefined ? undefined : `seq ${record.seq}`, record.eventId && `eventID ${record.eventId}`].filter(Boolean).join(", ");
    lines.push(`Record\t${record.accountId}/${record.region} ${id} in ${where}\tINVALID: ${record.status}${record.detail ? ` (${record.detail})` : ""}`);
  }
  const count = (kind: "digest" | "log") => {
    const files = report.files.filter((file) => file.kind === kind);
    const invalid = files.filter((file) => file.status !== "valid").length;
    return `${files.length - invalid}/${files.length} ${kind} files valid${invalid ? `, ${invalid}/${files.length} INVALID` : ""}`;
  };
  lines.push("", `${count("digest")}; ${count("log")}; ${report.records.length} record(s) changed`, report.ok ? "OK" : "TAMPERING DETECTED", "");
  return lines.join("\n");
}

function parseTime(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = /^\d+$/.test(value) ? Number(value) * 1000 : Date.parse(value);
  if (!Number.isFinite(ms)) throw new Error(`${flag} must be an ISO 8601 time or epoch seconds, not '${value}'`);
  return ms;
}
