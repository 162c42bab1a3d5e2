/**
 * The options of the tools (`encrypt`, `decrypt`, `env`, `exec`, `cost`), declared once
 * in the CLI's terms (config.ts's OptionDefinition): cli/commands.ts renders `--help` from
 * them and the tools parse their arguments with them. `--key-id` and `--context` may be
 * given several times, which the CLI's own parser does not do, hence parseToolArgs.
 */
import { parseArgs } from "node:util";
import { OPTIONS, type OptionDefinition, type OptionSet } from "../config.ts";
import { UsageError } from "../cli/parseOptions.ts";

const CLIENT = {
  endpointUrl: { flag: "endpoint-url", kind: "string", valueName: "URL", defaultText: "AWS_ENDPOINT_URL(_KMS), the profile's, or AWS's", description: "The KMS endpoint, as in the AWS CLI." },
  region: { flag: "region", kind: "string", valueName: "REGION", defaultText: "AWS_REGION, AWS_DEFAULT_REGION or the profile's", description: "The Region of keys not named by ARN." },
  profile: { flag: "profile", kind: "string", valueName: "PROFILE", defaultText: "AWS_PROFILE or default", description: "The shared config/credentials profile to use." },
} as const satisfies OptionSet;

const keyIdToEncrypt: OptionDefinition = { flag: "key-id", kind: "string", valueName: "KEY", description: "A key that can open the result (repeatable; the first generates the data key). Required." };
const keyIdToDecrypt: OptionDefinition = { flag: "key-id", kind: "string", valueName: "KEY", defaultText: "the keys the message names", description: "Strict mode: the only keys that may be used (repeatable)." };
const contextToBind: OptionDefinition = { flag: "context", kind: "string", valueName: "NAME=VALUE", description: "An encryption context pair to bind (repeatable)." };
const contextToRequire: OptionDefinition = { flag: "context", kind: "string", valueName: "NAME=VALUE", description: "An encryption context pair the message must carry (repeatable)." };

/** `kmsd encrypt`. */
export const ENCRYPT_OPTIONS = {
  keyId: keyIdToEncrypt,
  context: contextToBind,
  in: { flag: "in", kind: "string", valueName: "FILE", description: "The file to encrypt. Required." },
  out: { flag: "out", kind: "string", valueName: "FILE", description: "The message to write (appears only once complete). Required." },
  ...CLIENT,
} as const satisfies OptionSet;

/** `kmsd decrypt`. */
export const DECRYPT_OPTIONS = {
  keyId: keyIdToDecrypt,
  context: contextToRequire,
  in: { flag: "in", kind: "string", valueName: "FILE", description: "The message to decrypt. Required." },
  out: { flag: "out", kind: "string", valueName: "FILE", description: "The plaintext to write (mode 0600; appears only once the message checked out). Required." },
  ...CLIENT,
} as const satisfies OptionSet;

/** `kmsd env encrypt` (stdin to stdout). */
export const ENV_ENCRYPT_OPTIONS = { keyId: keyIdToEncrypt, context: contextToBind, ...CLIENT } as const satisfies OptionSet;

/** `kmsd env decrypt` (stdin to stdout). */
export const ENV_DECRYPT_OPTIONS = {
  keyId: keyIdToDecrypt,
  context: contextToRequire,
  force: { flag: "force", kind: "boolean", default: false, description: "Print the secrets even to a terminal." },
  ...CLIENT,
} as const satisfies OptionSet;

/** `kmsd exec ... -- COMMAND ARGS...`. */
export const EXEC_OPTIONS = {
  envFile: { flag: "env-file", kind: "string", valueName: "FILE", description: "The encrypted dotenv file. Required." },
  keyId: keyIdToDecrypt,
  context: contextToRequire,
  ...CLIENT,
} as const satisfies OptionSet;

/** `kmsd cost`. */
export const COST_OPTIONS = {
  dataDir: OPTIONS.dataDir,
  databaseUrl: OPTIONS.databaseUrl,
  month: { flag: "month", kind: "string", valueName: "YYYY-MM", pattern: { regex: /^[0-9]{4}-(0[1-9]|1[0-2])$/, means: "YYYY-MM" }, defaultText: "the current month (UTC)", description: "The calendar month to report." },
  account: { flag: "account", kind: "string", valueName: "ID", pattern: { regex: /^[0-9]{12}$/, means: "12 digits" }, defaultText: "every account", description: "Report one account only." },
  format: { flag: "format", kind: "choice", choices: ["table", "json", "csv"], default: "table", description: "table for people, json for programs, csv for spreadsheets." },
  prices: { flag: "prices", kind: "string", valueName: "FILE", defaultText: "AWS's, in src/tools/cost/prices.ts", description: "A JSON file replacing any of the prices." },
  costPrices: OPTIONS.costPrices,
  config: OPTIONS.config,
} as const satisfies OptionSet;

/** Repeatable flags: their values come as a list. */
const REPEATABLE = new Set(["key-id", "context"]);

/** Parsed tool arguments: each flag's text (a list for repeatable ones), by flag name. */
export type ToolArgs = Record<string, string | string[] | boolean | undefined>;

/** Parses `args` against a tool's options; a mistake is a UsageError (exit status 2). */
export function parseToolArgs(options: OptionSet, args: readonly string[]): ToolArgs {
  const config = Object.fromEntries(
    Object.values(options).map((definition) => [definition.flag, { type: definition.kind === "boolean" ? "boolean" : "string", multiple: REPEATABLE.has(definition.flag) }] as const),
  );
  try {
    return parseArgs({ args: [...args], options: config, strict: true }).values as ToolArgs;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message.split("\n", 1)[0] ?? "bad usage" : String(error));
  }
}

/** A flag's single value, if given. */
export function stringOf(values: ToolArgs, flag: string): string | undefined {
  const value = values[flag];
  return typeof value === "string" ? value : undefined;
}

/** A repeatable flag's values. */
export function listOf(values: ToolArgs, flag: string): string[] {
  const value = values[flag];
  return Array.isArray(value) ? value : [];
}
