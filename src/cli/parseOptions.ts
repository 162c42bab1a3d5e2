/**
 * Turns a command's arguments, the environment and the `--config` file into values, through
 * the option definitions of config.ts: the flag wins over its KMSD_* variable, which wins
 * over the file, which wins over the default. Every mistake is a UsageError naming the flag,
 * variable or file line at fault.
 */
import { parseArgs } from "node:util";
import type { OptionDefinition, OptionSet, OptionValues } from "../config.ts";
import { closest } from "./closest.ts";
import { readConfigFile, type ConfigEntry } from "./configFile.ts";
import { UsageError } from "./usageError.ts";

export { UsageError };

/** Where a value came from, as a message names it: a flag, a variable, a line of the config file. */
type Source = `--${string}` | `KMSD_${string}` | `${string}:${number}: ${string}`;

/** Where each value came from (`kmsd config print` shows it): the flag, variable or file line, or "default". */
export type ValueSources = Record<string, string>;

/** Parses `args` (no positional arguments allowed), `env` and the config file (if `options` has `config`) against `options`. */
export function parseOptions<S extends OptionSet>(options: S, args: readonly string[], env: NodeJS.ProcessEnv): OptionValues<S> {
  return parseOptionsWithSources(options, args, env).values;
}

/** parseOptions, also saying where each value came from. */
export function parseOptionsWithSources<S extends OptionSet>(
  options: S,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): { values: OptionValues<S>; sources: ValueSources } {
  const given = flagValues(Object.values(options), args);
  const fromFlagOrEnv = (definition: OptionDefinition): { text: string; source: Source } | undefined => {
    const flag = given.get(definition.flag);
    if (flag !== undefined) return { text: flag, source: `--${definition.flag}` };
    const fromEnv = definition.env === undefined ? undefined : envValue(env, definition.env);
    return fromEnv !== undefined && definition.env !== undefined ? { text: fromEnv, source: definition.env } : undefined;
  };
  const configPath = options.config === undefined ? undefined : fromFlagOrEnv(options.config)?.text;
  const file = configPath === undefined ? new Map<string, ConfigEntry>() : readConfigFile(configPath);
  checkFileKeys(file, options, configPath ?? "");
  // Every line of the file is checked, also one a flag or variable overrides: a file that
  // starts only because of today's command line would fail tomorrow without it.
  const fromFile = new Map<string, string | number | boolean>();
  for (const [key, entry] of file) fromFile.set(key, convertFileValue(options[key] as OptionDefinition, entry, `${configPath ?? ""}:${entry.line}: ${key}`));
  const values: Record<string, unknown> = {};
  const sources: ValueSources = {};
  for (const [key, definition] of Object.entries(options)) {
    const given = fromFlagOrEnv(definition);
    const inFile = fromFile.get(key);
    if (given !== undefined) {
      values[key] = convert(definition, given.text, given.source);
      sources[key] = given.source;
    } else if (inFile !== undefined) {
      values[key] = inFile;
      sources[key] = `${configPath ?? ""}:${file.get(key)?.line ?? 0}`;
    } else {
      values[key] = typeof definition.default === "function" ? definition.default() : definition.default;
      sources[key] = "default";
    }
  }
  return { values: values as OptionValues<S>, sources };
}

/** Every key of the file must be an option of the command; `config` itself cannot name another file. */
function checkFileKeys(file: Map<string, ConfigEntry>, options: OptionSet, path: string): void {
  const known = Object.keys(options).filter((key) => key !== "config");
  for (const [key, entry] of file) {
    if (known.includes(key)) continue;
    const suggestion = closest(key, known);
    throw new UsageError(`${path}:${entry.line}: unknown option '${key}'${suggestion ? ` (did you mean ${suggestion}?)` : ""}`);
  }
}

/**
 * A value of the file, which YAML has already typed: a number must be a number, a flag a
 * boolean, text a string (`port: "8080"` and `dev: yes` are mistakes, not guesses). The
 * checks beyond the type are the flag's own.
 */
function convertFileValue(definition: OptionDefinition, entry: ConfigEntry, source: Source): string | number | boolean {
  const { value } = entry;
  const expected: Record<OptionDefinition["kind"], string> = {
    boolean: "boolean",
    integer: "number",
    "positive-number": "number",
    choice: "string",
    string: "string",
    time: typeof value === "number" ? "number" : "string",
  };
  const type = expected[definition.kind];
  if (typeof value !== type) {
    const what = typeof value === "object" ? value.notScalar : `the ${typeof value} ${JSON.stringify(value)}`;
    // `defaultAccount: 012345678901` is a number to YAML (and loses its leading zero): say how to write text.
    const hint = type === "string" && typeof value !== "object" ? " (put it in quotes)" : "";
    throw new UsageError(`${source} must be a ${type === "boolean" ? "boolean (true or false)" : type}${hint}, not ${what}`);
  }
  return convert(definition, String(value), source);
}

/**
 * The text of each flag given, by flag name (a boolean's as "true"/"false"); the last one
 * wins when a flag is repeated. parseArgs runs non-strict so that kmsd, not parseArgs,
 * words the errors: an unknown flag names the closest known one.
 */
function flagValues(definitions: readonly OptionDefinition[], args: readonly string[]): Map<string, string> {
  const byFlag = new Map(definitions.map((definition) => [definition.flag, definition]));
  const { tokens } = parseArgs({
    args: [...args],
    options: Object.fromEntries(definitions.map((d) => [d.flag, { type: d.kind === "boolean" ? "boolean" : "string" }] as const)),
    strict: false,
    allowPositionals: true,
    allowNegative: true,
    tokens: true,
  });
  const given = new Map<string, string>();
  for (const token of tokens) {
    if (token.kind === "positional") throw new UsageError(`unexpected argument '${token.value}'`);
    if (token.kind !== "option") continue;
    const definition = byFlag.get(token.name);
    const negated = token.rawName.startsWith("--no-") && !byFlag.has(token.rawName.slice(2));
    if (!definition || (negated && definition.kind !== "boolean")) throw unknownOption(token.rawName, definitions);
    if (definition.kind === "boolean") given.set(token.name, negated ? "false" : (token.value ?? "true"));
    else if (token.value === undefined) throw new UsageError(`${token.rawName} needs a value`);
    else given.set(token.name, token.value);
  }
  return given;
}

function unknownOption(rawName: string, definitions: readonly OptionDefinition[]): UsageError {
  const known = [...definitions.map((definition) => `--${definition.flag}`), "--help"];
  const suggestion = rawName.startsWith("--") ? closest(rawName, known) : undefined;
  return new UsageError(`unknown option '${rawName}'${suggestion ? ` (did you mean ${suggestion}?)` : ""}`);
}

/** The value of one option from its text, validated as its definition says. */
function convert(definition: OptionDefinition, text: string, source: Source): string | number | boolean {
  const fail = (what: string) => new UsageError(definition.secret ? `${source} must be ${what}` : `${source} must be ${what}, not '${text}'`);
  switch (definition.kind) {
    case "boolean": {
      const value = text.toLowerCase();
      if (value === "true" || value === "1") return true;
      if (value === "false" || value === "0") return false;
      throw fail("true or false");
    }
    case "integer": {
      const value = /^-?[0-9]+$/.test(text) ? Number(text) : NaN;
      const min = definition.min ?? Number.MIN_SAFE_INTEGER;
      const max = definition.max ?? Number.MAX_SAFE_INTEGER;
      if (!(value >= min && value <= max)) throw fail(max === Number.MAX_SAFE_INTEGER ? `a whole number of at least ${min}` : `a whole number from ${min} to ${max}`);
      return value;
    }
    case "positive-number": {
      const value = text.trim() === "" ? NaN : Number(text);
      if (!(Number.isFinite(value) && value > 0)) throw fail("a number greater than 0");
      return value;
    }
    case "choice": {
      const value = text.toLowerCase();
      const choices = definition.choices ?? [];
      if (!choices.includes(value)) throw fail(`one of ${choices.join(", ")}`);
      return value;
    }
    case "time": {
      const ms = /^[0-9]+$/.test(text) ? Number(text) * 1000 : Date.parse(text);
      if (!Number.isFinite(ms)) throw fail("an ISO 8601 time or epoch seconds");
      return ms;
    }
    case "string":
      if (definition.pattern && !definition.pattern.regex.test(text)) throw fail(definition.pattern.means);
      return text;
  }
}

/**
 * A KMSD_* environment variable, undefined when it is unset or empty: `KMSD_HOST=` must not
 * make the server listen on every interface, nor `KMSD_PORT=` pick a random port.
 */
export function envValue(env: NodeJS.ProcessEnv, name: `KMSD_${string}`): string | undefined {
  const value = env[name];
  return value === "" ? undefined : value;
}
