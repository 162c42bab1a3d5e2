/**
 * Server options, each from a flag or its KMSD_* environment variable (the flag wins).
 * Parsing is strict: an unknown flag or a bad value stops the command with a message.
 */
import { availableParallelism } from "node:os";
import { parseArgs } from "node:util";
import { SEAL_MODES, type SealMode } from "./seal/sealFile.ts";

/** Options of `kmsd serve`. */
export interface ServeConfig {
  host: string;
  port: number;
  dataDir: string;
  /** The account created on first start (12 digits); random if not given. */
  defaultAccount: string | undefined;
  dev: boolean;
  /** How many keys the in-memory cache holds. */
  keyCacheSize: number;
  /** Worker processes sharing the port and the data directory (1: serve in this process). */
  workers: number;
  /** Record every request in the audit trail (on by default; off only to measure what it costs). */
  audit: boolean;
  /** Days audit events and log files are kept; undefined keeps everything (the default). */
  auditRetentionDays: number | undefined;
  /** --seal: how the root key is protected (src/seal/); undefined: as the data directory says. */
  seal: SealMode | undefined;
  /** --seal-key-id, --seal-endpoint, --seal-region: the `kms` seal's key and service. */
  kms: { keyId: string | undefined; endpoint: string | undefined; region: string | undefined };
  /** --pkcs11-module, --pkcs11-token-label, --pkcs11-key-label: the `pkcs11` seal's token (its PIN: KMSD_PKCS11_PIN). */
  pkcs11: { module: string | undefined; tokenLabel: string | undefined; keyLabel: string | undefined };
}

/** Parses `kmsd serve` arguments and the environment. */
export function parseServeConfig(args: string[], env: NodeJS.ProcessEnv): ServeConfig {
  const { values } = parseArgs({
    args,
    options: {
      host: { type: "string" },
      port: { type: "string" },
      "data-dir": { type: "string" },
      "default-account": { type: "string" },
      dev: { type: "boolean" },
      "key-cache-size": { type: "string" },
      audit: { type: "string" },
      workers: { type: "string" },
      "audit-retention-days": { type: "string" },
      seal: { type: "string" },
      "seal-key-id": { type: "string" },
      "seal-endpoint": { type: "string" },
      "seal-region": { type: "string" },
      "pkcs11-module": { type: "string" },
      "pkcs11-token-label": { type: "string" },
      "pkcs11-key-label": { type: "string" },
    },
    strict: true,
  });
  const port = Number(values.port ?? envValue(env, "KMSD_PORT") ?? "8080");
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0-65535, not '${values.port ?? envValue(env, "KMSD_PORT")}'`);
  const defaultAccount = values["default-account"] ?? envValue(env, "KMSD_DEFAULT_ACCOUNT");
  if (defaultAccount !== undefined) checkAccountId(defaultAccount);
  const keyCacheSize = Number(values["key-cache-size"] ?? envValue(env, "KMSD_KEY_CACHE_SIZE") ?? "100000");
  if (!Number.isInteger(keyCacheSize) || keyCacheSize < 1) throw new Error("--key-cache-size must be a positive whole number");
  const workers = Number(values.workers ?? envValue(env, "KMSD_WORKERS") ?? String(availableParallelism()));
  if (!Number.isInteger(workers) || workers < 1 || workers > 256) {
    throw new Error(`--workers must be a whole number from 1 to 256, not '${values.workers ?? envValue(env, "KMSD_WORKERS")}'`);
  }
  const audit = (values.audit ?? envValue(env, "KMSD_AUDIT") ?? "on").toLowerCase();
  if (audit !== "on" && audit !== "off") throw new Error(`--audit must be on or off, not '${audit}'`);
  const retention = values["audit-retention-days"] ?? envValue(env, "KMSD_AUDIT_RETENTION_DAYS");
  const auditRetentionDays = retention === undefined || retention === "" ? undefined : Number(retention);
  if (auditRetentionDays !== undefined && !(Number.isFinite(auditRetentionDays) && auditRetentionDays > 0)) {
    throw new Error(`--audit-retention-days must be a positive number of days, not '${retention}'`);
  }
  const seal = values.seal ?? envValue(env, "KMSD_SEAL");
  if (seal !== undefined && !(SEAL_MODES as readonly string[]).includes(seal)) throw new Error(`--seal must be one of ${SEAL_MODES.join(", ")}, not '${seal}'`);
  return {
    host: values.host ?? envValue(env, "KMSD_HOST") ?? "127.0.0.1",
    port,
    dataDir: dataDirOf(values["data-dir"], env),
    defaultAccount,
    dev: values.dev ?? isTrue(envValue(env, "KMSD_DEV")),
    keyCacheSize,
    workers,
    audit: audit === "on",
    auditRetentionDays,
    seal: seal as SealMode | undefined,
    kms: {
      keyId: values["seal-key-id"] ?? envValue(env, "KMSD_SEAL_KEY_ID"),
      endpoint: values["seal-endpoint"] ?? envValue(env, "KMSD_SEAL_ENDPOINT"),
      region: values["seal-region"] ?? envValue(env, "KMSD_SEAL_REGION"),
    },
    pkcs11: {
      module: values["pkcs11-module"] ?? envValue(env, "KMSD_PKCS11_MODULE"),
      tokenLabel: values["pkcs11-token-label"] ?? envValue(env, "KMSD_PKCS11_TOKEN_LABEL"),
      keyLabel: values["pkcs11-key-label"] ?? envValue(env, "KMSD_PKCS11_KEY_LABEL"),
    },
  };
}

/** The data directory of a command: its --data-dir flag, else KMSD_DATA_DIR, else ./data. */
export function dataDirOf(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag ?? envValue(env, "KMSD_DATA_DIR") ?? "./data";
}

/** Throws unless `accountId` is 12 digits. */
export function checkAccountId(accountId: string): void {
  if (!/^[0-9]{12}$/.test(accountId)) throw new Error(`an account id is 12 digits, not '${accountId}'`);
}

/**
 * A KMSD_* environment variable, undefined when it is unset or empty: `KMSD_HOST=` must not
 * make the server listen on every interface, nor `KMSD_PORT=` pick a random port.
 */
export function envValue(env: NodeJS.ProcessEnv, name: `KMSD_${string}`): string | undefined {
  const value = env[name];
  return value === "" ? undefined : value;
}

function isTrue(value: string | undefined): boolean {
  return value === "1" || value?.toLowerCase() === "true";
}
