/**
 * End to end: the `--config` file. It holds options by their configuration names; a flag
 * beats its KMSD_* variable, which beats the file, which beats the default; an unknown key,
 * a value of the wrong type or out of range stops the command naming the file's line;
 * `kmsd config print` shows the effective configuration, each value's source, secrets
 * redacted. The options table of docs/configuration.md is generated from the definitions.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { renderEffectiveConfig, REDACTED } from "../src/cli/configPrint.ts";
import type { OptionSet } from "../src/config.ts";
import { runKmsdCli, startKmsd } from "./support/kmsd.ts";
import { CONFIGURATION_DOC, renderOptionsSection, withSection } from "../scripts/options-doc.ts";

const dir = mkdtempSync(join(tmpdir(), "kmsd-config-"));
let files = 0;

/** Writes a config file with these lines; returns its path. */
function configFile(...lines: string[]): string {
  const path = join(dir, `kmsd-${files++}.yaml`);
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}

/** `kmsd config print` with no KMSD_* variable from the developer's shell, plus `env`. */
async function configPrint(args: string[], env: Record<string, string> = {}) {
  const clean = Object.fromEntries(Object.keys(process.env).filter((name) => name.startsWith("KMSD_")).map((name) => [name, ""]));
  return runKmsdCli(["config", "print", ...args], { ...clean, ...env });
}

describe("the config file", () => {
  it("precedence: flag > environment > file > default, and config print names each source", async () => {
    const path = configFile("# kmsd for the test", "port: 9000", "host: 127.0.0.2", "keyCacheSize: 500", "dev: true");
    const { code, stdout, stderr } = await configPrint(["--config", path, "--port", "9100"], { KMSD_PORT: "9200", KMSD_HOST: "127.0.0.3" });
    assert.equal(code, 0, stderr);
    const effective = parse(stdout) as Record<string, unknown>;
    assert.equal(effective.port, 9100); // the flag beats the variable and the file
    assert.equal(effective.host, "127.0.0.3"); // the variable beats the file
    assert.equal(effective.keyCacheSize, 500); // the file beats the default
    assert.equal(effective.dev, true);
    assert.equal(effective.audit, "on"); // the default
    assert.match(stdout, /^port: 9100 {2}# --port$/m);
    assert.match(stdout, /^host: 127\.0\.0\.3 {2}# KMSD_HOST$/m);
    assert.match(stdout, new RegExp(`^keyCacheSize: 500  # ${path.replaceAll(".", "\\.")}:4$`, "m"));
    assert.match(stdout, /^audit: on {2}# default$/m);
    // Its output is itself a valid config file.
    const again = await configPrint(["--config", configFile(stdout)]);
    assert.equal(again.code, 0, again.stderr);
  });

  it("KMSD_CONFIG names the file too", async () => {
    const { stdout } = await configPrint([], { KMSD_CONFIG: configFile("workers: 3") });
    assert.equal((parse(stdout) as { workers: number }).workers, 3);
  });

  const mistakes: Array<{ name: string; lines: string[]; message: RegExp }> = [
    { name: "an unknown key, with a suggestion", lines: ["port: 1", "", "dataDri: /x"], message: /:3: unknown option 'dataDri' \(did you mean dataDir\?\)/ },
    { name: "a flag's name instead of the configuration name", lines: ["data-dir: /x"], message: /:1: unknown option 'data-dir' \(did you mean dataDir\?\)/ },
    { name: "a string where a number belongs", lines: ["host: 127.0.0.1", "port: '8080'"], message: /:2: port must be a number, not the string "8080"/ },
    { name: "a number where text belongs (an account id)", lines: ["defaultAccount: 111122223333"], message: /:1: defaultAccount must be a string \(put it in quotes\), not the number 111122223333/ },
    { name: "yes for a boolean", lines: ["dev: yes"], message: /:1: dev must be a boolean \(true or false\), not the string "yes"/ },
    { name: "a number out of range", lines: ["workers: 1", "port: 70000"], message: /:2: port must be a whole number from 0 to 65535, not '70000'/ },
    { name: "a choice not offered", lines: ["audit: maybe"], message: /:1: audit must be one of on, off, not 'maybe'/ },
    { name: "a list", lines: ["host:", "  - a", "  - b"], message: /:1: host must be a string, not a list/ },
    { name: "the file naming another", lines: ["config: other.yaml"], message: /:1: unknown option 'config'/ },
    { name: "a syntax error", lines: ["port: 1", "host: x: y"], message: /:2: Nested mappings are not allowed/ },
    { name: "a key given twice", lines: ["port: 1", "port: 2"], message: /:2: Map keys must be unique/ },
    { name: "a list at the top", lines: ["- port"], message: /:1: the config file must be a mapping/ },
  ];
  for (const mistake of mistakes) {
    it(`refuses ${mistake.name}, naming the line (exit 2, nothing created)`, async () => {
      const path = configFile(...mistake.lines);
      const dataDir = join(dir, `never-${files}`);
      const { code, stderr } = await runKmsdCli(["serve", "--config", path, "--data-dir", dataDir, "--port", "0"]);
      assert.equal(code, 2, stderr);
      assert.match(stderr, new RegExp(`^kmsd serve: ${path.replaceAll(".", "\\.")}`));
      assert.match(stderr, mistake.message);
      assert.throws(() => readFileSync(join(dataDir, "credentials")));
    });
  }

  it("a missing file is bad usage", async () => {
    const { code, stderr } = await configPrint(["--config", join(dir, "absent.yaml")]);
    assert.equal(code, 2);
    assert.match(stderr, /cannot read the config file .*absent\.yaml: ENOENT/);
  });

  it("kmsd serve runs with the file's values", async () => {
    const path = configFile("defaultAccount: '111122223333'", "shutdownTimeout: 3", "metricsPort: 0");
    const kmsd = await startKmsd({ args: ["--config", path] });
    try {
      assert.equal(kmsd.accountId, "111122223333");
      assert.match(kmsd.stderr(), /"metricsUrl":"http:\/\/127\.0\.0\.1:\d+\/metrics"/);
    } finally {
      await kmsd.dispose();
    }
  });

  it("config print redacts secret options", () => {
    const options = {
      host: { flag: "host", kind: "string", default: "127.0.0.1", description: "Address." },
      passphrase: { flag: "passphrase", env: "KMSD_TEST_PASSPHRASE", kind: "string", secret: true, description: "A secret." },
    } satisfies OptionSet;
    const text = renderEffectiveConfig(options, ["--passphrase", "hunter2"], {});
    assert.doesNotMatch(text, /hunter2/);
    assert.match(text, new RegExp(`^passphrase: ${REDACTED} {2}# --passphrase$`, "m"));
  });

  it("docs/configuration.md's options table is the one generated from the definitions", () => {
    const doc = readFileSync(CONFIGURATION_DOC, "utf8");
    assert.equal(withSection(doc, renderOptionsSection()), doc, "run npm run docs:options");
    for (const flag of ["--config FILE", "--tls-cert FILE", "--tls-key FILE", "--shutdown-timeout SECONDS", "--metrics-port PORT", "--metrics-host HOST"]) {
      assert.ok(doc.includes(`\`${flag}\``), flag);
    }
  });
});
