/**
 * The node's "listening" log line as machines read it (JSON logs): `kmsd serve` writes it
 * (announce.ts), and whoever starts kmsd as a child process (kmsd/testing, the test
 * harness, the benchmark) reads where it listens from it.
 */

/** The fields of the JSON "listening" line. */
export interface ListeningLine {
  /** `kmsd 0.1.0 listening on http://127.0.0.1:8080 (data ..., default account ..., N workers)`. */
  message: string;
  url: string;
  host: string;
  port: number;
  dataDir: string;
  /** The PostgreSQL database it serves from, password hidden (absent on SQLite). */
  database?: string | undefined;
  /** Absent while the node is sealed: the account is in the database the root key unlocks. */
  defaultAccount?: string | undefined;
  workers: number;
  version: string;
  /** The seal mode (docs/root-of-trust.md): file, shamir, kms or pkcs11. */
  seal: string;
  /** Whether the node listens sealed, serving nothing until it is unsealed. */
  sealed: boolean;
}

/** The line parsed, if `line` (one whole line of JSON logs) is the listening line. */
export function parseListeningLine(line: string): ListeningLine | undefined {
  if (!line.startsWith("{") || !line.includes(" listening on http")) return undefined;
  const parsed = JSON.parse(line) as Partial<ListeningLine>;
  return parsed.url !== undefined && parsed.message?.startsWith("kmsd ") ? (parsed as ListeningLine) : undefined;
}
