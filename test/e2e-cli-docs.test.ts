/**
 * The options table of docs/configuration.md is generated from the option definitions
 * (npm run docs:options): this fails when the committed docs differ from the code, so
 * neither can drift from the other.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { OPTIONS } from "../src/config.ts";
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

  it("no two options share a flag unless they are one definition", () => {
    const byFlag = new Map<string, unknown>();
    for (const option of Object.values(OPTIONS)) {
      assert.equal(byFlag.has(option.flag), false, `--${option.flag} declared twice`);
      byFlag.set(option.flag, option);
    }
  });
});
