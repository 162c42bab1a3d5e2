/**
 * Every option of the kmsd command, declared once: its flag, its KMSD_* environment
 * variable, default, meaning and validation. The parser (cli/parseOptions.ts), `--help`
 * (cli/help.ts) and the table in docs/configuration.md (scripts/options-doc.ts) are all
 * derived from these records. They are plain data keyed by the name the configuration file
 * uses (`--config`, cli/configFile.ts), which is read through the same definitions.
 */
import { availableParallelism } from "node:os";
import { LOG_LEVELS } from "./server/log.ts";

/** How an option's text becomes a value, and what it must satisfy. */
export type OptionKind =
  /** Any text (`pattern` may restrict it). */
  | "string"
  /** A whole number from `min` to `max`. */
  | "integer"
  /** A number greater than zero. */
  | "positive-number"
  /** One of `choices`. */
  | "choice"
  /** A flag: `--dev`, `--no-dev`, `--dev=false`; `true`/`false`/`1`/`0` in the environment. */
  | "boolean"
  /** An ISO 8601 time or epoch seconds, parsed to epoch milliseconds. */
  | "time";

/** One option of one or more commands. */
export interface OptionDefinition {
  /** The flag without its dashes (`data-dir`). */
  readonly flag: string;
  /** The environment variable read when the flag is not given; an empty value counts as unset. */
  readonly env?: `KMSD_${string}`;
  readonly kind: OptionKind;
  /** The placeholder for the value in usage lines (`DIR`). */
  readonly valueName?: string;
  readonly choices?: readonly string[];
  readonly min?: number;
  readonly max?: number;
  /** A pattern the whole value must match, and how to say it in a message ("12 digits"). */
  readonly pattern?: { readonly regex: RegExp; readonly means: string };
  /** The value when neither flag nor variable is given: a constant, or computed at parse time. */
  readonly default?: string | number | boolean | (() => string | number | boolean);
  /** How the default reads in help and docs, when the value itself would not say it (or there is none). */
  readonly defaultText?: string;
  /** One line for `--help` and the docs table. */
  readonly description: string;
  /** More for the docs table only. */
  readonly details?: string;
  /** A secret (a passphrase, a token): `kmsd config print` shows it as `<redacted>`. */
  readonly secret?: boolean;
}

const ACCOUNT_ID = { regex: /^[0-9]{12}$/, means: "12 digits" } as const;

/** Every option, keyed by its configuration name. Commands pick theirs (cli/commands.ts). */
export const OPTIONS = {
  host: {
    flag: "host",
    env: "KMSD_HOST",
    kind: "string",
    valueName: "HOST",
    default: "127.0.0.1",
    description: "Address to listen on.",
    details: "Loopback by default: expose kmsd deliberately.",
  },
  port: {
    flag: "port",
    env: "KMSD_PORT",
    kind: "integer",
    min: 0,
    max: 65535,
    valueName: "PORT",
    default: 8080,
    description: "TCP port; 0 picks a free one (the listening line names it).",
  },
  dataDir: {
    flag: "data-dir",
    env: "KMSD_DATA_DIR",
    kind: "string",
    valueName: "DIR",
    default: "./data",
    description: "Directory with the root key, database, audit trail and credentials.",
    details: "Created with mode 0700 on the first start.",
  },
  defaultAccount: {
    flag: "default-account",
    env: "KMSD_DEFAULT_ACCOUNT",
    kind: "string",
    pattern: ACCOUNT_ID,
    valueName: "ID",
    defaultText: "random",
    description: "12-digit id of the account created on the first start (ignored afterwards).",
  },
  dev: {
    flag: "dev",
    env: "KMSD_DEV",
    kind: "boolean",
    default: false,
    description: "Development mode: unknown access keys act as the default account's root, and the server clock can be moved.",
    details: "The clock moves with `POST /kmsd/dev/clock`. Never in production.",
  },
  keyCacheSize: {
    flag: "key-cache-size",
    env: "KMSD_KEY_CACHE_SIZE",
    kind: "integer",
    min: 1,
    max: Number.MAX_SAFE_INTEGER,
    valueName: "N",
    default: 100000,
    description: "How many keys (metadata and unwrapped material) the in-memory cache holds.",
  },
  workers: {
    flag: "workers",
    env: "KMSD_WORKERS",
    kind: "integer",
    min: 1,
    max: 256,
    valueName: "N",
    default: () => availableParallelism(),
    defaultText: "number of cores",
    description: "Worker processes sharing the port and the data directory (1 serves in the kmsd process itself).",
    details:
      "A change made through one worker is applied by all before it is acknowledged (a worker that does not answer within 1 s is not waited for longer).",
  },
  audit: {
    flag: "audit",
    env: "KMSD_AUDIT",
    kind: "choice",
    choices: ["on", "off"],
    default: "on",
    description: "Record every request in the audit trail; off only to measure what it costs.",
    details: "See [audit.md](audit.md).",
  },
  auditRetentionDays: {
    flag: "audit-retention-days",
    env: "KMSD_AUDIT_RETENTION_DAYS",
    kind: "positive-number",
    valueName: "DAYS",
    defaultText: "keep everything",
    description: "Prune audit events and log files older than this many days.",
  },
  logFormat: {
    flag: "log-format",
    env: "KMSD_LOG_FORMAT",
    kind: "choice",
    choices: ["text", "json"],
    default: () => (process.stderr.isTTY ? "text" : "json"),
    defaultText: "text on a terminal, else json",
    description: "How log lines on stderr read: text for people, one JSON object per line for machines.",
  },
  logLevel: {
    flag: "log-level",
    env: "KMSD_LOG_LEVEL",
    kind: "choice",
    choices: LOG_LEVELS,
    default: "info",
    description: "The least severe log lines written.",
    details: "`debug` adds what is routine for a server but may explain a client's trouble: each worker's own listening line, requests the HTTP parser refused or a client abandoned mid-body.",
  },
  config: {
    flag: "config",
    env: "KMSD_CONFIG",
    kind: "string",
    valueName: "FILE",
    defaultText: "none",
    description: "A YAML file holding options by their configuration names (`dataDir: /var/lib/kmsd`); flags and KMSD_* variables override it.",
    details: "See [operations.md](operations.md#configuration-file). An unknown key or a value of the wrong type stops the start, naming the line.",
  },
  tlsCert: {
    flag: "tls-cert",
    env: "KMSD_TLS_CERT",
    kind: "string",
    valueName: "FILE",
    defaultText: "none (plain HTTP)",
    description: "PEM certificate chain: with --tls-key, kmsd serves HTTPS only.",
    details: "SIGHUP reloads the certificate and key from their files; open connections keep theirs.",
  },
  tlsKey: {
    flag: "tls-key",
    env: "KMSD_TLS_KEY",
    kind: "string",
    valueName: "FILE",
    defaultText: "none",
    description: "PEM private key of --tls-cert.",
  },
  shutdownTimeout: {
    flag: "shutdown-timeout",
    env: "KMSD_SHUTDOWN_TIMEOUT",
    kind: "positive-number",
    valueName: "SECONDS",
    default: 10,
    description: "On SIGTERM/SIGINT, how long requests in flight may take to finish before their connections are closed.",
    details: "New connections are refused at once; the audit trail is flushed and the databases closed after.",
  },
  metricsPort: {
    flag: "metrics-port",
    env: "KMSD_METRICS_PORT",
    kind: "integer",
    min: 0,
    max: 65535,
    valueName: "PORT",
    defaultText: "off",
    description: "Serve Prometheus metrics on this port (`GET /metrics`), on a listener of its own; 0 picks a free one.",
    details: "See [operations.md](operations.md#metrics) for the names.",
  },
  metricsHost: {
    flag: "metrics-host",
    env: "KMSD_METRICS_HOST",
    kind: "string",
    valueName: "HOST",
    default: "127.0.0.1",
    description: "Address of the metrics listener.",
  },
  quietCredentials: {
    flag: "quiet-credentials",
    env: "KMSD_QUIET_CREDENTIALS",
    kind: "boolean",
    default: false,
    description: "On the first start, write the new credentials only to the credentials file, not to stdout.",
  },
  accountId: {
    flag: "id",
    kind: "string",
    pattern: ACCOUNT_ID,
    valueName: "ID",
    defaultText: "random",
    description: "The new account's 12-digit id.",
  },
  auditAccount: {
    flag: "account",
    kind: "string",
    pattern: ACCOUNT_ID,
    valueName: "ID",
    defaultText: "every account",
    description: "Only this account's trail.",
  },
  auditRegion: {
    flag: "region",
    kind: "string",
    valueName: "REGION",
    defaultText: "every region",
    description: "Only this region's trail.",
  },
  auditStart: {
    flag: "start",
    kind: "time",
    valueName: "TIME",
    defaultText: "the beginning",
    description: "Only files and records from this time (ISO 8601 or epoch seconds).",
  },
  auditEnd: {
    flag: "end",
    kind: "time",
    valueName: "TIME",
    defaultText: "now",
    description: "Only files and records up to this time (ISO 8601 or epoch seconds).",
  },
  exportOut: {
    flag: "out",
    kind: "string",
    valueName: "DIR",
    defaultText: "none",
    description: "Also copy the log and digest files, and the public key, to this directory.",
  },
  json: {
    flag: "json",
    kind: "boolean",
    default: false,
    description: "Print the result as JSON.",
  },
} as const satisfies Record<string, OptionDefinition>;

/** A set of option definitions, keyed by configuration name. */
export type OptionSet = Record<string, OptionDefinition>;

/** The value an option definition yields. */
type ValueOf<D extends OptionDefinition> = D["kind"] extends "boolean"
  ? boolean
  : D["kind"] extends "integer" | "positive-number" | "time"
    ? number
    : D["choices"] extends readonly string[]
      ? D["choices"][number]
      : string;

/** The parsed values of a set of options: optional where an option has no default. */
export type OptionValues<S extends OptionSet> = {
  -readonly [K in keyof S]: S[K] extends { default: unknown } ? ValueOf<S[K]> : ValueOf<S[K]> | undefined;
};

/** The options of `kmsd serve`. */
export const SERVE_OPTIONS = {
  host: OPTIONS.host,
  port: OPTIONS.port,
  dataDir: OPTIONS.dataDir,
  defaultAccount: OPTIONS.defaultAccount,
  dev: OPTIONS.dev,
  workers: OPTIONS.workers,
  keyCacheSize: OPTIONS.keyCacheSize,
  audit: OPTIONS.audit,
  auditRetentionDays: OPTIONS.auditRetentionDays,
  logFormat: OPTIONS.logFormat,
  logLevel: OPTIONS.logLevel,
  quietCredentials: OPTIONS.quietCredentials,
  tlsCert: OPTIONS.tlsCert,
  tlsKey: OPTIONS.tlsKey,
  shutdownTimeout: OPTIONS.shutdownTimeout,
  metricsPort: OPTIONS.metricsPort,
  metricsHost: OPTIONS.metricsHost,
  config: OPTIONS.config,
} as const;

/** The configuration `kmsd serve` runs with. */
export type ServeConfig = OptionValues<typeof SERVE_OPTIONS>;
