/**
 * `kmsd backup` and `kmsd restore`: the command-line side of backup/backup.ts (required
 * options, a progress line on a terminal, the summary a person reads).
 */
import { createBackup, restoreBackup, type Progress } from "../backup/backup.ts";
import { UsageError } from "./parseOptions.ts";

export async function backup(options: { dataDir: string; out: string | undefined }): Promise<number> {
  if (options.out === undefined) throw new UsageError("--out FILE is required");
  const manifest = await createBackup(options.dataDir, options.out, progressBar("backing up"));
  const bytes = manifest.files.reduce((sum, file) => sum + file.size, 0);
  process.stdout.write(
    `backed up ${options.dataDir} to ${options.out} (${manifest.files.length} files, ${bytes} bytes)\n` +
      `the root key is not in the backup: keep ${options.dataDir}/root.key safe, and apart from it\n`,
  );
  return 0;
}

export async function restore(options: { from: string | undefined; dataDir: string; rootKey: string | undefined }): Promise<number> {
  if (options.from === undefined) throw new UsageError("--from FILE is required");
  const manifest = await restoreBackup(options.from, options.dataDir, options.rootKey, progressBar("restoring"));
  process.stdout.write(`restored the backup of ${manifest.createdAt} into ${options.dataDir} (${manifest.files.length} files)\n`);
  if (options.rootKey === undefined) {
    process.stdout.write(`copy the root key it was made with to ${options.dataDir}/root.key before starting kmsd on it\n`);
  }
  return 0;
}

/** A progress line on stderr when it is a terminal; nothing otherwise (logs and pipes stay clean). */
function progressBar(label: string): Progress {
  if (!process.stderr.isTTY) return () => undefined;
  return (done, total) => {
    const share = total === 0 ? 1 : done / total;
    const width = 30;
    const filled = Math.round(share * width);
    process.stderr.write(`\r${label} [${"#".repeat(filled)}${" ".repeat(width - filled)}] ${Math.round(share * 100)}%${done === total ? "\n" : ""}`);
  };
}
