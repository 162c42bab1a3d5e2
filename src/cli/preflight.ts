/**
 * What `kmsd serve` checks before it creates anything, so that a start bound to fail
 * (port taken, data directory not writable) leaves no data directory, root key or account
 * behind: the common failures are found before the first file is written.
 */
import { accessSync, constants, statSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, resolve } from "node:path";
import { readTlsFiles, type TlsFiles } from "../server/tls.ts";
import { UsageError } from "./usageError.ts";

/** Throws a one-line Error unless kmsd can create or use `dataDir`, listen on host:port and read its TLS files. */
export async function checkBeforeStart(options: { dataDir: string; host: string; port: number; tlsCert?: string | undefined; tlsKey?: string | undefined }): Promise<void> {
  checkDataDir(options.dataDir);
  tlsFilesOf(options);
  await checkPortFree(options.host, options.port);
}

/** The certificate and key to serve HTTPS with, or undefined for HTTP; one without the other is bad usage. */
export function tlsFilesOf(options: { tlsCert?: string | undefined; tlsKey?: string | undefined }): TlsFiles | undefined {
  if (options.tlsCert === undefined && options.tlsKey === undefined) return undefined;
  if (options.tlsCert === undefined || options.tlsKey === undefined) throw new UsageError("--tls-cert and --tls-key go together: give both, or neither");
  try {
    return readTlsFiles(options.tlsCert, options.tlsKey);
  } catch (error) {
    throw new Error(`cannot use the TLS certificate ${options.tlsCert} and key ${options.tlsKey}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The directory must be a writable directory, or else creatable: its nearest existing ancestor a writable directory. */
function checkDataDir(dataDir: string): void {
  let path = resolve(dataDir);
  for (;;) {
    let isDirectory: boolean;
    try {
      isDirectory = statSync(path).isDirectory();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const parent = dirname(path);
      if ((code === "ENOENT" || code === "ENOTDIR") && parent !== path) {
        path = parent;
        continue;
      }
      throw new Error(`cannot use the data directory ${dataDir}: ${(error as Error).message}`);
    }
    const what = path === resolve(dataDir) ? "the data directory" : `${path} (where the data directory ${dataDir} would be created)`;
    if (!isDirectory) throw new Error(`cannot use ${what}: it is not a directory`);
    try {
      accessSync(path, constants.W_OK | constants.X_OK);
    } catch {
      throw new Error(`cannot use ${what}: not writable by this user`);
    }
    return;
  }
}

/** Binds the port for a moment (port 0 always finds one). */
async function checkPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  const probe = createServer();
  await new Promise<void>((resolveListen, reject) => {
    probe.once("error", (error: NodeJS.ErrnoException) => {
      const reason = error.code === "EADDRINUSE" ? "the port is already in use" : error.code === "EACCES" ? "permission denied" : error.message;
      reject(new Error(`cannot listen on ${host}:${port}: ${reason} (${error.code ?? "error"})`));
    });
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolveListen()));
  });
}
