/**
 * Structured logs on stderr: one JSON object per line, or one `time LEVEL message key=value`
 * line for people (`--log-format text`). Callers pass fields explicitly;
 * nothing here serialises request bodies, so plaintext and secrets cannot slip in by
 * accident (SecretBytes also redacts itself if it ever is passed).
 */

type Fields = Record<string, string | number | boolean | undefined>;

/** The levels, least severe first. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;

/** How lines are written: set once at start (`kmsd serve` configures it from its options). */
const settings = { format: "json" as "json" | "text", minimum: LOG_LEVELS.indexOf("info") };

/** Sets the line format and the least severe level written. */
export function configureLog(options: { format: "json" | "text"; level: (typeof LOG_LEVELS)[number] }): void {
  settings.format = options.format;
  settings.minimum = LOG_LEVELS.indexOf(options.level);
}

/**
 * Lines not yet written. stderr is synchronous for files and pipes on Linux, so a line per
 * request written at once would block every request on I/O: lines wait for the end of the
 * current turn of the event loop and go out in one write, and whatever is pending when the
 * process exits (even on an uncaught exception) is written then.
 */
let pending: string[] = [];

function flush(): void {
  if (pending.length === 0) return;
  const text = pending.join("");
  pending = [];
  process.stderr.write(text);
}

process.on("exit", flush);

/** Writes one log line. */
function write(level: "debug" | "info" | "warn" | "error", message: string, fields: Fields = {}): void {
  if (LOG_LEVELS.indexOf(level) < settings.minimum) return;
  const time = new Date().toISOString();
  if (pending.length === 0) setImmediate(flush);
  pending.push(settings.format === "json" ? `${JSON.stringify({ time, level, message, ...fields })}\n` : textLine(time, level, message, fields));
}

/** `2026-12-07T10:00:00.000Z INFO  message key=value key="a value"`: strings with spaces or quotes are JSON-quoted. */
function textLine(time: string, level: string, message: string, fields: Fields): string {
  const pairs = Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${typeof value === "string" && !/^[^\s"=]+$/.test(value) ? JSON.stringify(value) : String(value)}`);
  return `${[time, level.toUpperCase().padEnd(5), message, ...pairs].join(" ")}\n`;
}

/** The process-wide logger. */
export const log = {
  /** What is routine for a server but may help explain a client's trouble (a connection it dropped mid-request). */
  debug: (message: string, fields?: Fields) => write("debug", message, fields),
  info: (message: string, fields?: Fields) => write("info", message, fields),
  warn: (message: string, fields?: Fields) => write("warn", message, fields),
  error: (message: string, fields?: Fields) => write("error", message, fields),
};
