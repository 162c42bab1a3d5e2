/**
 * `kmsd config print`: the configuration `kmsd serve` would run with, given the same flags,
 * KMSD_* variables and `--config` file, as YAML that can itself serve as a config file.
 * Each line says where its value came from; secrets are redacted, and options without a
 * value are listed as comments so that the output names every option.
 */
import { stringify } from "yaml";
import type { OptionSet } from "../config.ts";
import { parseOptionsWithSources } from "./parseOptions.ts";

/** What a secret option's value prints as. */
export const REDACTED = "<redacted>";

/** The YAML text of the effective configuration of `options`. */
export function renderEffectiveConfig(options: OptionSet, args: readonly string[], env: NodeJS.ProcessEnv): string {
  const { values, sources } = parseOptionsWithSources(options, args, env);
  const lines: string[] = [];
  for (const [key, definition] of Object.entries(options)) {
    // The file does not name itself: `config` is shown as a comment, like an option without a value.
    const value = (values as Record<string, unknown>)[key];
    const source = sources[key] ?? "default";
    if (value === undefined || key === "config") {
      lines.push(`# ${key}: ${value === undefined ? "not set" : stringify(value).trim()}  (${source})`);
      continue;
    }
    const shown = definition.secret ? REDACTED : stringify(value).trim();
    lines.push(`${key}: ${shown}  # ${source}`);
  }
  return `${lines.join("\n")}\n`;
}

/** Prints the effective configuration on stdout. */
export function printConfig(options: OptionSet, args: readonly string[], env: NodeJS.ProcessEnv): number {
  process.stdout.write(renderEffectiveConfig(options, args, env));
  return 0;
}
