/**
 * Turns a command's arguments and the environment into values, through the option
 * definitions of config.ts: the flag wins over its KMSD_* variable, which wins over the
 * default. Every mistake is a UsageError naming the flag or variable at fault.
 */
import { parseArgs } from "node:util";
import type { OptionDefinition, OptionSet, OptionValues } from "../config.ts";
import { closest } from "./closest.ts";

/** A mistake in the command line or a KMSD_* variable: kmsd prints it on one line and exits 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** Where a value came from, as a message names it. */
type Source = `--${string}` | `KMSD_${string}`;

/** Parses `args` (no positional arguments allowed) and `env` against `options`. */
export function parseOptions<S extends OptionSet>(options: S, args: readonly string[], env: NodeJS.ProcessEnv): OptionValues<S> {
  const given = flagValues(Object.values(options), args);
  const values: Record<string, unknown> = {};
  for (const [key, definition] of Object.entries(options)) {
    const flag = given.get(definition.flag);
    const fromEnv = definition.env === undefined ? undefined : envValue(env, definition.env);
    if (flag !== undefined) values[key] = convert(definition, flag, `--${definition.flag}`);
    else if (fromEnv !== undefined && definition.env !== undefined) values[key] = convert(definition, fromEnv, definition.env);
    else values[key] = typeof definition.default === "function" ? definition.default() : definition.default;
  }
  return values as OptionValues<S>;
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
  const fail = (what: string) => new UsageError(definition.sensitive ? `${source} must be ${what}` : `${source} must be ${what}, not '${text}'`);
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
