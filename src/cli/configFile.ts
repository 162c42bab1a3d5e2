/**
 * The `--config` file: a YAML mapping of options by their configuration names (the keys of
 * OPTIONS in config.ts: `dataDir: /var/lib/kmsd`). This module only reads the file into
 * scalars with their line numbers; parseOptions.ts checks each against its definition, so
 * a value in the file is validated exactly like the same value given as a flag.
 */
import { readFileSync } from "node:fs";
import { isMap, isScalar, LineCounter, parseDocument } from "yaml";
import { UsageError } from "./usageError.ts";

/** One `key: value` of the file. */
export interface ConfigEntry {
  /** A string, number or boolean as YAML typed it; anything else (a list, a mapping, null) as `typeof` names it. */
  value: string | number | boolean | { notScalar: string };
  /** 1-based. */
  line: number;
}

/** Reads the file at `path`: its top-level keys and their values. Every mistake is a UsageError naming the line. */
export function readConfigFile(path: string): Map<string, ConfigEntry> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read the config file ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const syntax = doc.errors[0];
  if (syntax) throw new UsageError(`${path}:${lines.linePos(syntax.pos[0]).line}: ${syntax.message.split("\n")[0] ?? "not valid YAML"}`);
  const entries = new Map<string, ConfigEntry>();
  if (doc.contents === null) return entries; // an empty file, or comments only
  if (!isMap(doc.contents)) throw new UsageError(`${path}:1: the config file must be a mapping of option names to values`);
  for (const pair of doc.contents.items) {
    const line = isScalar(pair.key) && pair.key.range ? lines.linePos(pair.key.range[0]).line : 1;
    if (!isScalar(pair.key) || typeof pair.key.value !== "string") throw new UsageError(`${path}:${line}: a key must be an option name`);
    const value = pair.value;
    const scalar = isScalar(value) ? value.value : undefined;
    entries.set(pair.key.value, {
      line,
      value:
        typeof scalar === "string" || typeof scalar === "number" || typeof scalar === "boolean"
          ? scalar
          : { notScalar: value === null || scalar === null ? "empty" : isMap(value) ? "a mapping" : "a list" },
    });
  }
  return entries;
}
