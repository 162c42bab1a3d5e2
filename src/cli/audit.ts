/**
 * `kmsd audit verify|export|public-key`: the audit trail of a data directory, offline or
 * next to a running server (options and help in commands.ts).
 */
import { cp, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { LogDelivery } from "../audit/delivery.ts";
import { auditDir } from "../audit/logPaths.ts";
import { loadOrCreateSigner, readPublicKey } from "../audit/signingKey.ts";
import { verifyStoredTrail, type VerifyReport } from "../audit/verify.ts";
import type { AuditStore } from "../store/auditStore.ts";
import { auditLocation, openAuditStoreAt } from "../store/open.ts";
import { FileRootKey } from "../crypto/rootKey.ts";
import { fileModeRootKeyPath, openUnsealedDataDir } from "../dataDir.ts";
import { UsageError } from "./parseOptions.ts";

/** The file name of the public key `export --out` writes next to the logs. */
export const PUBLIC_KEY_FILE = "kmsd-digest-public-key.pem";

/** `kmsd audit verify`: exit status 1 if any file or record is not valid. */
export async function verify(options: {
  dataDir: string;
  databaseUrl: string | undefined;
  account: string | undefined;
  region: string | undefined;
  start: number | undefined;
  end: number | undefined;
  json: boolean;
}): Promise<number> {
  const { dataDir, start: startMs, end: endMs } = options;
  if (startMs !== undefined && endMs !== undefined && startMs > endMs) throw new UsageError("--start is after --end");
  const store = await openTrailStore(dataDir, options.databaseUrl, { readOnly: true });
  let report: VerifyReport;
  try {
    report = await verifyStoredTrail(store, auditDir(dataDir), { accountId: options.account, region: options.region, startMs, endMs });
  } finally {
    await store.close();
  }
  process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : describe(report, dataDir));
  return report.ok ? 0 : 1;
}

/** `kmsd audit export`: delivers pending events, then copies the files (and the public key) to `out` if given. */
export async function exportLogs(options: { dataDir: string; databaseUrl: string | undefined; out: string | undefined }): Promise<number> {
  const { dataDir, out } = options;
  // Digests are signed with a key the root key wraps: offline, only the file mode has it. The
  // keyring of its generation (from the database), so a signing key made here names it.
  const rootKey = await rootKeyringOf(dataDir, options.databaseUrl);
  const store = await openTrailStore(dataDir, options.databaseUrl, { readOnly: false });
  try {
    const signer = await loadOrCreateSigner(store, rootKey);
    const dir = auditDir(dataDir);
    const result = await new LogDelivery(store, dir, signer).deliver(Date.now());
    process.stdout.write(`delivered ${result.logFiles.length} log file(s) and ${result.digests.length} digest file(s) into ${dir}\n`);
    if (out !== undefined) {
      if (existsSync(join(dir, "AWSLogs"))) await cp(join(dir, "AWSLogs"), join(out, "AWSLogs"), { recursive: true, force: true });
      await writeFile(join(out, PUBLIC_KEY_FILE), signer.publicKeyPem);
      process.stdout.write(`copied the log and digest files and ${PUBLIC_KEY_FILE} to ${out}\n`);
    }
  } finally {
    await store.close();
  }
  return 0;
}

/** `kmsd audit public-key`: prints the digest signing key (PEM). */
export async function publicKey(options: { dataDir: string; databaseUrl: string | undefined }): Promise<number> {
  const store = await openTrailStore(options.dataDir, options.databaseUrl, { readOnly: true });
  try {
    const key = await readPublicKey(store);
    if (!key) throw new Error("no digest signing key yet (it is made when the server first starts)");
    process.stdout.write(key.publicKeyPem.endsWith("\n") ? key.publicKeyPem : `${key.publicKeyPem}\n`);
  } finally {
    await store.close();
  }
  return 0;
}

/** The root key of a `file` mode deployment as its database knows it (its generation after a rotate-root). */
async function rootKeyringOf(dataDir: string, databaseUrl: string | undefined) {
  const opened = await openUnsealedDataDir(dataDir, FileRootKey.load(fileModeRootKeyPath(dataDir)), databaseUrl);
  await opened.store.close();
  return opened.rootKey;
}

/** The audit store of a deployment: its PostgreSQL database, else audit.db in the data directory (which must exist). */
async function openTrailStore(dataDir: string, databaseUrl: string | undefined, options: { readOnly: boolean }): Promise<AuditStore> {
  const location = auditLocation(dataDir, databaseUrl);
  if (databaseUrl === undefined && !existsSync(location)) throw new Error(`no audit database (${location})`);
  return openAuditStoreAt(location, options);
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
    const where = record.where === "database" ? "the audit database" : `log file ${record.file ?? ""}`;
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
