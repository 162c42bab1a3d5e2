/**
 * Server options, each from a flag or its KMSD_* environment variable (the flag wins).
 * Parsing is strict: an unknown flag or a bad value stops the command with a message.
 */
import { parseArgs } from "node:util";

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
    },
    strict: true,
  });
  const port = Number(values.port ?? env.KMSD_PORT ?? "8080");
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0-65535, not '${values.port ?? env.KMSD_PORT}'`);
  const defaultAccount = values["default-account"] ?? env.KMSD_DEFAULT_ACCOUNT;
  if (defaultAccount !== undefined) checkAccountId(defaultAccount);
  const keyCacheSize = Number(values["key-cache-size"] ?? env.KMSD_KEY_CACHE_SIZE ?? "100000");
  if (!Number.isInteger(keyCacheSize) || keyCacheSize < 1) throw new Error("--key-cache-size must be a positive whole number");
  return {
    host: values.host ?? env.KMSD_HOST ?? "127.0.0.1",
    port,
    dataDir: values["data-dir"] ?? env.KMSD_DATA_DIR ?? "./data",
    defaultAccount,
    dev: values.dev ?? isTrue(env.KMSD_DEV),
    keyCacheSize,
  };
}

/** Throws unless `accountId` is 12 digits. */
export function checkAccountId(accountId: string): void {
  if (!/^[0-9]{12}$/.test(accountId)) throw new Error(`an account id is 12 digits, not '${accountId}'`);
}

function isTrue(value: string | undefined): boolean {
  return value === "1" || value?.toLowerCase() === "true";
}
