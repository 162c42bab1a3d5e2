/**
 * HTTPS: the certificate and key files of `--tls-cert`/`--tls-key`, read at start and again
 * on SIGHUP (a renewed certificate is served to new connections; open ones keep theirs),
 * and which addresses are loopback (serving anything else without TLS earns a warning).
 */
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { createSecureContext } from "node:tls";

/** The PEM texts the server presents. */
export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

/** Reads and checks the pair (a key that does not match the certificate fails here, not at the first handshake). */
export function readTlsFiles(certPath: string, keyPath: string): TlsFiles {
  const files = { cert: readFileSync(certPath), key: readFileSync(keyPath) };
  createSecureContext(files);
  return files;
}

/** Whether `host` is reached only from this machine: 127.0.0.0/8, ::1, localhost. */
export function isLoopbackHost(host: string): boolean {
  if (host === "localhost" || host === "::1") return true;
  return isIP(host) === 4 && host.startsWith("127.");
}
