/**
 * The options table of docs/configuration.md is generated from the option definitions
 * (npm run docs:options): this fails when the committed docs differ from the code, so
 * neither can drift from the other.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { OPTIONS, type OptionDefinition } from "../src/config.ts";
import { COMMANDS, type Command, type CommandGroup } from "../src/cli/commands.ts";
import { CONFIGURATION_DOC, renderOptionsSection, withSection } from "../scripts/options-doc.ts";

describe("docs/configuration.md", () => {
  it("its options section is what the definitions generate (run npm run docs:options after changing an option)", () => {
    const doc = readFileSync(CONFIGURATION_DOC, "utf8");
    assert.equal(withSection(doc, renderOptionsSection()), doc);
  });

  it("every option's environment variable is KMSD_ and its flag in capitals", () => {
    // The one exception, as issue 12 names it: --database's variable says it holds a URL,
    // like the DATABASE_URL deployment tools already set.
    const named: Record<string, string> = { database: "KMSD_DATABASE_URL" };
    for (const option of Object.values(OPTIONS)) {
      if ("env" in option) assert.equal(option.env, named[option.flag] ?? `KMSD_${option.flag.toUpperCase().replaceAll("-", "_")}`);
    }
  });

  it("a flag with an environment variable is one definition; a flag with several meanings (--to, --out) has none and its commands differ", () => {
    const byFlag = new Map<string, Set<OptionDefinition>>();
    for (const option of Object.values(OPTIONS) as OptionDefinition[]) byFlag.set(option.flag, (byFlag.get(option.flag) ?? new Set()).add(option));
    for (const [flag, definitions] of byFlag) {
      if (definitions.size > 1) assert.ok([...definitions].every((option) => option.env === undefined), `--${flag} has several definitions and an environment variable`);
    }
    for (const command of commandsOf(COMMANDS)) {
      const flags = Object.values(command.options).map((option) => option.flag);
      assert.deepEqual(flags.filter((flag, i) => flags.indexOf(flag) !== i), [], `kmsd ${command.name} takes a flag twice`);
    }
  });
});

/** Every command of the tree, groups flattened. */
function commandsOf(tree: ReadonlyArray<Command | CommandGroup>): Command[] {
  return tree.flatMap((entry) => ("subcommands" in entry ? entry.subcommands : [entry]));
}
