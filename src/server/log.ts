/**
 * Structured logs: one JSON object per line on stderr. Callers pass fields explicitly;
 * nothing here serialises request bodies, so plaintext and secrets cannot slip in by
 * accident (SecretBytes also redacts itself if it ever is passed).
 */

type Fields = Record<string, string | number | boolean | undefined>;

/** Writes one log line. */
function write(level: "debug" | "info" | "warn" | "error", message: string, fields: Fields = {}): void {
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level, message, ...fields })}\n`);
}

/** The process-wide logger. */
export const log = {
  /** What is routine for a server but may help explain a client's trouble (a connection it dropped mid-request). */
  debug: (message: string, fields?: Fields) => write("debug", message, fields),
  info: (message: string, fields?: Fields) => write("info", message, fields),
  warn: (message: string, fields?: Fields) => write("warn", message, fields),
  error: (message: string, fields?: Fields) => write("error", message, fields),
};
