/**
 * Every option of the kmsd command, declared once: its flag, its KMSD_* environment
 * variable, default, meaning and validation. The parser (cli/parseOptions.ts), `--help`
 * (cli/help.ts) and the table in docs/configuration.md (scripts/options-doc.ts) are all
 * derived from these records. They are plain data keyed by the name the configuration file
 * uses (`--config`, cli/configFile.ts), which is read through the same definitions.
 */
import { availableParallelism } from "node:os";
import { SEAL_MODES } from "./seal/sealFile.ts";
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
  /**
   * The value holds or may hold a secret (a passphrase, a password in a URL): error
   * messages never repeat it and `kmsd config print` shows it as `<redacted>`.
   */
  readonly secret?: boolean;
}

const ACCOUNT_ID = { regex: /^[0-9]{12}$/, means: "12 digits" } as const;
const POSTGRES_URL = { regex: /^postgres(ql)?:\/\/./i, means: "a postgres:// URL (postgres://user:password@host:port/database)" } as const;

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
  databaseUrl: {
    flag: "database",
    env: "KMSD_DATABASE_URL",
    kind: "string",
    pattern: POSTGRES_URL,
    secret: true,
    valueName: "URL",
    defaultText: "SQLite in the data directory",
    description: "PostgreSQL database that several kmsd nodes share, instead of SQLite files in the data directory.",
    details:
      "Every node of a deployment names the same database and holds the same root key (the same root.key in the file seal mode, the same seal otherwise; docs/root-of-trust.md). See [deployment.md](deployment.md).",
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
  ephemeral: {
    flag: "ephemeral",
    env: "KMSD_EPHEMERAL",
    kind: "boolean",
    default: false,
    description: "Keep everything in a new temporary directory, removed when kmsd stops (for tests and CI jobs); --data-dir is ignored.",
    details: "The first-start credentials are printed as usual. A process killed with SIGKILL cannot remove its directory: it stays under the system's temporary directory (`kmsd-ephemeral-*`).",
  },
  dev: {
    flag: "dev",
    env: "KMSD_DEV",
    kind: "boolean",
    default: false,
    description: "Development mode: unknown access keys act as the default account's root, and the server clock can be moved.",
    details: "The clock moves with `POST /kmsd/dev/clock`. Never in production.",
  },
  console: {
    flag: "console",
    env: "KMSD_CONSOLE",
    kind: "boolean",
    default: true,
    description: "Serve the web console at /console/ on the API's port; --no-console turns it off.",
    details: "The console signs its requests with the credentials typed into it, so it can do only what they may, and every call is audited.",
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
    // One core is left to what every worker brings besides its event loop (its audit writer thread,
    // libuv's pool, the primary) and to the clients on the same machine. On 2 cores 2 workers gave
    // 1.08-1.10x the throughput of 1, at 1.4-2.2x its p99 at half load and 1.14-1.27x its CPU per
    // request (issue 19, `node bench/pinned.ts --workers-curve`).
    default: () => Math.max(1, availableParallelism() - 1),
    defaultText: "number of cores - 1 (at least 1)",
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
  logRequests: {
    flag: "log-requests",
    env: "KMSD_LOG_REQUESTS",
    kind: "boolean",
    default: true,
    description: "Log one info line per API request: request id, caller, operation, key, outcome, duration.",
    details: "Identifiers only: never a request or response body, a message or a secret. `--log-requests=false` turns it off.",
  },
  throttling: {
    flag: "throttling",
    env: "KMSD_THROTTLING",
    kind: "choice",
    choices: ["on", "off"],
    default: "on",
    description: "Apply AWS KMS's request quotas (ThrottlingException over them); off lifts them all.",
    details:
      "On by default, --dev included, so client retry logic meets AWS's limits locally. The test harness turns it off. See [operations.md](operations.md).",
  },
  requestQuotas: {
    flag: "request-quotas",
    env: "KMSD_REQUEST_QUOTAS",
    kind: "string",
    pattern: { regex: /^\s*([A-Za-z0-9_.]+\s*=\s*[0-9.]+\s*(,\s*|$))*$/, means: "NAME=RATE pairs separated by commas" },
    valueName: "LIST",
    defaultText: "AWS's defaults",
    description: "Request quotas (requests per second per account and Region) that differ from AWS's: `CreateKey=50,symmetric=20000`.",
    details: "Names: `symmetric`, `rsa`, `ecc`, `mldsa`, `GenerateDataKeyPair.<KeyPairSpec>` and each management operation (`CreateKey`...).",
  },
  resourceQuotas: {
    flag: "resource-quotas",
    env: "KMSD_RESOURCE_QUOTAS",
    kind: "string",
    pattern: { regex: /^\s*([A-Za-z]+\s*=\s*[0-9]+\s*(,\s*|$))*$/, means: "NAME=COUNT pairs separated by commas" },
    valueName: "LIST",
    defaultText: "AWS's defaults",
    description: "Resource quotas (LimitExceededException past them) that differ from AWS's: `keys=1000,grantsPerKey=100`.",
    details: "Names: `keys` (per account and Region), `aliasesPerKey`, `grantsPerKey`, `grantsPerPrincipalPerKey`, `keyPolicyBytes`.",
  },
  init: {
    flag: "init",
    env: "KMSD_INIT",
    kind: "string",
    valueName: "FILE",
    defaultText: "none",
    description: "A seed file (YAML) of accounts, identities and KMS keys to create if missing; a resource that exists with another definition stops the start with a diff.",
    details: "Applied when the deployment opens (after the unseal on a sealed node), once per node, before any worker serves. See [seed-file.md](seed-file.md).",
  },
  seedCheck: {
    flag: "check",
    kind: "string",
    valueName: "FILE",
    defaultText: "required",
    description: "The seed file to check: read, then applied to a scratch deployment that is thrown away.",
  },
  costPrices: {
    flag: "cost-prices",
    env: "KMSD_COST_PRICES",
    kind: "string",
    pattern: { regex: /^\s*([A-Za-z0-9]+\s*=\s*[0-9.]+\s*(,\s*|$))*$/, means: "NAME=AMOUNT pairs separated by commas" },
    valueName: "LIST",
    defaultText: "AWS's, in src/tools/cost/prices.ts",
    description: "kmsd cost: prices (US dollars) that differ from AWS's: `keyMonth=0.9,standard=0.025`.",
    details:
      "Names: `keyMonth`, `rotationMonth`, `chargedRotations`, `freeRequestsPerMonth` and the request classes `standard`, `rsa2048`, `asymmetric`, `eccDataKeyPair`, `rsaDataKeyPair` (per 10,000 requests). `kmsd serve` ignores it: it is here so the deployment's config file can hold it. See [cost.md](cost.md).",
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
  out: {
    flag: "out",
    kind: "string",
    valueName: "PATH",
    defaultText: "none",
    description: "Where to write: `audit export` also copies the log and digest files and the public key to this directory; `backup` writes its file here (never over an existing one).",
  },
  restoreFrom: {
    flag: "from",
    kind: "string",
    valueName: "FILE",
    description: "The backup file to restore.",
  },
  restoreRootKey: {
    flag: "root-key",
    kind: "string",
    valueName: "FILE",
    defaultText: "none: copy root.key in before starting",
    description: "The root key file the backup was made with: checked against the backup, then copied in.",
  },
  migrateFrom: {
    flag: "from",
    kind: "string",
    valueName: "DIR",
    defaultText: "required",
    description: "The data directory whose SQLite databases are copied (the server stopped).",
  },
  migrateTo: {
    flag: "to",
    kind: "string",
    pattern: POSTGRES_URL,
    secret: true,
    valueName: "URL",
    defaultText: "required",
    description: "The empty PostgreSQL database to copy into.",
  },
  json: {
    flag: "json",
    kind: "boolean",
    default: false,
    description: "Print the result as JSON.",
  },
  seal: {
    flag: "seal",
    env: "KMSD_SEAL",
    kind: "choice",
    choices: SEAL_MODES,
    valueName: "MODE",
    defaultText: "the data directory's (file for a new one)",
    description: "Where the root key comes from: file, shamir, kms or pkcs11.",
    details:
      "file keeps it in plaintext in root.key (a start outside --dev warns about it); shamir, kms and pkcs11 keep it sealed (docs/root-of-trust.md). Must agree with the data directory's seal; kms and pkcs11 seal a new directory's root key on its first start.",
  },
  sealKeyId: {
    flag: "seal-key-id",
    env: "KMSD_SEAL_KEY_ID",
    kind: "string",
    valueName: "ARN",
    defaultText: "none",
    description: "--seal kms: the KMS key that encrypts the root key.",
    details: "Credentials for that KMS come from the AWS SDK's default chain (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, shared files, instance roles), never from a flag.",
  },
  sealEndpoint: {
    flag: "seal-endpoint",
    env: "KMSD_SEAL_ENDPOINT",
    kind: "string",
    valueName: "URL",
    defaultText: "AWS KMS in --seal-region",
    description: "--seal kms: the endpoint of that KMS (another kmsd, say).",
  },
  sealRegion: {
    flag: "seal-region",
    env: "KMSD_SEAL_REGION",
    kind: "string",
    valueName: "REGION",
    defaultText: "AWS_REGION",
    description: "--seal kms: the region of that KMS.",
  },
  pkcs11Module: {
    flag: "pkcs11-module",
    env: "KMSD_PKCS11_MODULE",
    kind: "string",
    valueName: "PATH",
    defaultText: "none",
    description: "--seal pkcs11: the token's PKCS#11 library.",
    details: "The token's user PIN is read from KMSD_PKCS11_PIN only, never a flag. The binding (pkcs11js) is an optional dependency loaded only in this mode.",
  },
  pkcs11TokenLabel: {
    flag: "pkcs11-token-label",
    env: "KMSD_PKCS11_TOKEN_LABEL",
    kind: "string",
    valueName: "LABEL",
    defaultText: "the data directory's",
    description: "--seal pkcs11: the label of the token.",
  },
  pkcs11KeyLabel: {
    flag: "pkcs11-key-label",
    env: "KMSD_PKCS11_KEY_LABEL",
    kind: "string",
    valueName: "LABEL",
    defaultText: "the data directory's",
    description: "--seal pkcs11: the label of the token's AES key (made on first use) that wraps the root key.",
  },
  shares: {
    flag: "shares",
    kind: "integer",
    min: 2,
    max: 255,
    valueName: "N",
    default: 5,
    description: "How many unseal shares to make.",
  },
  threshold: {
    flag: "threshold",
    kind: "integer",
    min: 2,
    max: 255,
    valueName: "T",
    default: 3,
    description: "How many of the shares unseal the node (at most --shares).",
  },
  endpoint: {
    flag: "endpoint",
    env: "KMSD_ENDPOINT",
    kind: "string",
    valueName: "URL",
    // No default in the definition: rotate-root runs offline when it is not given (cli/operator.ts applies DEFAULT_ENDPOINT for the others).
    defaultText: "http://127.0.0.1:8080 (rotate-root: none, offline on --data-dir)",
    description: "The kmsd node to talk to (rotate-root: the running node whose root key to rotate while it serves).",
  },
  sealMigrateTo: {
    flag: "to",
    kind: "choice",
    choices: ["shamir", "kms", "pkcs11"],
    valueName: "MODE",
    defaultText: "none (required)",
    description: "The seal mode to move the data directory to.",
  },
  xksPort: {
    flag: "xks-port",
    env: "KMSD_XKS_PORT",
    kind: "integer",
    min: 0,
    max: 65535,
    valueName: "PORT",
    defaultText: "off",
    description: "Also serve the XKS proxy API (HTTPS) on this port, backed by kmsd's keys (docs/custom-key-stores.md).",
    details: "Needs --xks-tls-cert, --xks-tls-key and --xks-proxy-users.",
  },
  xksTlsCert: {
    flag: "xks-tls-cert",
    env: "KMSD_XKS_TLS_CERT",
    kind: "string",
    valueName: "FILE",
    description: "PEM certificate chain of the XKS proxy listener.",
  },
  xksTlsKey: {
    flag: "xks-tls-key",
    env: "KMSD_XKS_TLS_KEY",
    kind: "string",
    valueName: "FILE",
    description: "PEM private key of the XKS proxy listener.",
  },
  xksClientCa: {
    flag: "xks-client-ca",
    env: "KMSD_XKS_CLIENT_CA",
    kind: "string",
    valueName: "FILE",
    description: "PEM CA: the XKS proxy listener then requires client certificates it signed (mutual TLS).",
  },
  xksProxyUsers: {
    flag: "xks-proxy-users",
    env: "KMSD_XKS_PROXY_USERS",
    kind: "string",
    valueName: "FILE",
    description: "JSON list of the XKS proxy's SigV4 credentials: accessKeyId, secretAccessKey, and the accountId and region whose keys each may use.",
  },
  xksProxyCa: {
    flag: "xks-proxy-ca",
    env: "KMSD_XKS_PROXY_CA",
    kind: "string",
    valueName: "FILE",
    description: "PEM CA certificates trusted, besides the system's, for the XKS proxies of external key stores.",
  },
  cloudHsmClusters: {
    flag: "cloudhsm-clusters",
    env: "KMSD_CLOUDHSM_CLUSTERS",
    kind: "string",
    valueName: "FILE",
    description: "JSON map of the CloudHSM cluster ids that AWS_CLOUDHSM custom key stores may name to PKCS#11 tokens: { \"cluster-...\": { \"module\": ..., \"tokenLabel\": ... } }.",
  },
  xksProxyConnectTo: {
    flag: "xks-proxy-connect-to",
    env: "KMSD_XKS_PROXY_CONNECT_TO",
    kind: "string",
    valueName: "HOST=ADDR:PORT,...",
    pattern: { regex: /^[A-Za-z0-9.-]+=[A-Za-z0-9.:[\]-]+:[0-9]{1,5}(,[A-Za-z0-9.-]+=[A-Za-z0-9.:[\]-]+:[0-9]{1,5})*$/, means: "HOST=ADDRESS:PORT pairs separated by commas" },
    description: "Reach an external key store's proxy host at another address and port (TLS still checks the host name).",
    details: "An XksProxyUriEndpoint names no port (AWS connects on 443): this reaches a self-hosted proxy elsewhere.",
  },
  credentialsFile: {
    flag: "credentials-file",
    kind: "string",
    valueName: "FILE",
    defaultText: "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
    description: "The default account root's credentials, in an AWS shared-credentials file (profile default).",
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

/** Where a sealed root key is unsealed from (--seal kms / pkcs11): serve and operator seal-migrate take the same. */
export const SEAL_SOURCE_OPTIONS = {
  sealKeyId: OPTIONS.sealKeyId,
  sealEndpoint: OPTIONS.sealEndpoint,
  sealRegion: OPTIONS.sealRegion,
  pkcs11Module: OPTIONS.pkcs11Module,
  pkcs11TokenLabel: OPTIONS.pkcs11TokenLabel,
  pkcs11KeyLabel: OPTIONS.pkcs11KeyLabel,
} as const;

/** The options of `kmsd serve`. */
export const SERVE_OPTIONS = {
  host: OPTIONS.host,
  port: OPTIONS.port,
  dataDir: OPTIONS.dataDir,
  ephemeral: OPTIONS.ephemeral,
  databaseUrl: OPTIONS.databaseUrl,
  defaultAccount: OPTIONS.defaultAccount,
  dev: OPTIONS.dev,
  console: OPTIONS.console,
  workers: OPTIONS.workers,
  keyCacheSize: OPTIONS.keyCacheSize,
  audit: OPTIONS.audit,
  auditRetentionDays: OPTIONS.auditRetentionDays,
  logFormat: OPTIONS.logFormat,
  logLevel: OPTIONS.logLevel,
  logRequests: OPTIONS.logRequests,
  quietCredentials: OPTIONS.quietCredentials,
  seal: OPTIONS.seal,
  ...SEAL_SOURCE_OPTIONS,
  throttling: OPTIONS.throttling,
  requestQuotas: OPTIONS.requestQuotas,
  resourceQuotas: OPTIONS.resourceQuotas,
  xksPort: OPTIONS.xksPort,
  xksTlsCert: OPTIONS.xksTlsCert,
  xksTlsKey: OPTIONS.xksTlsKey,
  xksClientCa: OPTIONS.xksClientCa,
  xksProxyUsers: OPTIONS.xksProxyUsers,
  xksProxyCa: OPTIONS.xksProxyCa,
  xksProxyConnectTo: OPTIONS.xksProxyConnectTo,
  cloudHsmClusters: OPTIONS.cloudHsmClusters,
  tlsCert: OPTIONS.tlsCert,
  tlsKey: OPTIONS.tlsKey,
  shutdownTimeout: OPTIONS.shutdownTimeout,
  metricsPort: OPTIONS.metricsPort,
  metricsHost: OPTIONS.metricsHost,
  init: OPTIONS.init,
  config: OPTIONS.config,
} as const;

/** The configuration `kmsd serve` runs with. */
export type ServeConfig = OptionValues<typeof SERVE_OPTIONS>;

/**
 * What a `--config` file may hold: the deployment's options, which `serve` reads, and
 * `costPrices`, which `kmsd cost` reads. Each command takes from the file the options it
 * has and leaves the others to the commands that have them.
 */
export const CONFIG_FILE_OPTIONS: OptionSet = { ...SERVE_OPTIONS, costPrices: OPTIONS.costPrices };
