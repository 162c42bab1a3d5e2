/**
 * End to end: the kmsd command line helps: `--help` on every command and group (exit 0),
 * every option listed with its KMSD_* variable and default, `--version`, and mistakes
 * answered with the closest known name and exit status 2.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { allCommands, COMMANDS } from "../src/cli/commands.ts";
import { runKmsdCli } from "./support/kmsd.ts";

const VERSION = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;

describe("kmsd command line: help", () => {
  for (const args of [["--help"], ["-h"], ["help"]]) {
    it(`kmsd ${args.join(" ")} lists every command and the exit statuses, exit 0`, async () => {
      const { code, stdout, stderr } = await runKmsdCli(args);
      assert.equal(code, 0, stderr);
      for (const command of allCommands()) assert.match(stdout, new RegExp(`\\n  ${command.name} `), command.name);
      assert.match(stdout, /exit status:\n {2}0 .*\n {2}1 .*\n {2}2 /);
    });
  }

  for (const group of COMMANDS.filter((entry) => "subcommands" in entry)) {
    it(`kmsd ${group.name} --help lists its subcommands, exit 0`, async () => {
      const { code, stdout } = await runKmsdCli([group.name, "--help"]);
      assert.equal(code, 0);
      for (const command of group.subcommands) assert.match(stdout, new RegExp(command.name));
    });
  }

  for (const command of allCommands()) {
    for (const flag of ["--help", "-h"]) {
      it(`kmsd ${command.name} ${flag} lists every option with its variable and default, exit 0`, async () => {
        // Help wins over the other arguments, even bad ones.
        const { code, stdout } = await runKmsdCli([...command.name.split(" "), "--port", "99999", flag]);
        assert.equal(code, 0);
        assert.match(stdout, new RegExp(`^usage: kmsd ${command.name} \\[options\\]`));
        for (const option of Object.values(command.options)) {
          const line = stdout.split("\n").findIndex((text) => text.startsWith(`  --${option.flag}`));
          assert.notEqual(line, -1, `--${option.flag} listed`);
          const facts = stdout.split("\n")[line + 1] ?? "";
          if (option.env) assert.match(facts, new RegExp(`\\b${option.env}\\b`), `${option.env} named under --${option.flag}`);
          if (option.default !== undefined || option.defaultText !== undefined) assert.match(facts, /default /, `--${option.flag}'s default`);
        }
      });
    }
  }

  it("kmsd help audit verify is kmsd audit verify --help", async () => {
    const viaHelp = await runKmsdCli(["help", "audit", "verify"]);
    const viaFlag = await runKmsdCli(["audit", "verify", "--help"]);
    assert.equal(viaHelp.code, 0);
    assert.equal(viaHelp.stdout, viaFlag.stdout);
  });

  it("kmsd --version prints the package's version, exit 0", async () => {
    const { code, stdout } = await runKmsdCli(["--version"]);
    assert.equal(code, 0);
    assert.equal(stdout, `kmsd ${VERSION}\n`);
  });
});

describe("kmsd command line: mistakes", () => {
  const cases: Array<{ args: string[]; env?: Record<string, string>; message: RegExp }> = [
    { args: ["serve", "--prot", "8080"], message: /^kmsd serve: unknown option '--prot' \(did you mean --port\?\)\nRun 'kmsd serve --help' for usage\.\n$/ },
    { args: ["serve", "--data-dri", "x"], message: /unknown option '--data-dri' \(did you mean --data-dir\?\)/ },
    { args: ["serve", "--wrokers", "2"], message: /unknown option '--wrokers' \(did you mean --workers\?\)/ },
    { args: ["serve", "--frobnicate"], message: /^kmsd serve: unknown option '--frobnicate'\n/ },
    { args: ["serve", "--no-port"], message: /unknown option '--no-port'/ },
    { args: ["serve", "-p", "80"], message: /unknown option '-p'/ },
    { args: ["serve", "extra"], message: /unexpected argument 'extra'/ },
    { args: ["serve", "--port"], message: /--port needs a value/ },
    { args: ["serve", "--dev=maybe"], message: /--dev must be true or false, not 'maybe'/ },
    { args: ["serve", "--log-level", "verbose"], message: /--log-level must be one of debug, info, warn, error, not 'verbose'/ },
    { args: ["serve", "--log-format", "xml"], message: /--log-format must be one of text, json, not 'xml'/ },
    { args: ["serve", "--workers", "0"], message: /--workers must be a whole number from 1 to 256, not '0'/ },
    { args: ["serve", "--audit-retention-days", "-1"], message: /--audit-retention-days must be a number greater than 0, not '-1'/ },
    { args: ["serve"], env: { KMSD_DEV: "yes" }, message: /^kmsd serve: KMSD_DEV must be true or false, not 'yes'\n/ },
    { args: ["serve"], env: { KMSD_PORT: "http" }, message: /KMSD_PORT must be a whole number from 0 to 65535, not 'http'/ },
    { args: ["serv"], message: /^kmsd: unknown command 'serv' \(did you mean 'serve'\?\)\nRun 'kmsd --help' for usage\.\n$/ },
    { args: [], message: /^kmsd: no command given\n/ },
    { args: ["account"], message: /^kmsd account: no command given\nRun 'kmsd account --help' for usage\.\n$/ },
    { args: ["account", "craete"], message: /unknown command 'craete' \(did you mean 'create'\?\)/ },
    { args: ["account", "create", "--id", "12"], message: /--id must be 12 digits, not '12'/ },
    { args: ["audit", "verify", "--start", "yesterday"], message: /--start must be an ISO 8601 time or epoch seconds, not 'yesterday'/ },
    { args: ["audit", "verify", "--start", "2026-02-01T00:00:00Z", "--end", "2026-01-01T00:00:00Z"], message: /--start is after --end/ },
    { args: ["audit", "export", "--json"], message: /unknown option '--json'/ },
  ];
  for (const { args, env, message } of cases) {
    it(`kmsd ${args.join(" ")}${env ? ` with ${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(" ")}` : ""}: exit 2, ${message.source}`, async () => {
      const { code, stdout, stderr } = await runKmsdCli(args, env);
      assert.equal(code, 2, stderr);
      assert.match(stderr, message);
      assert.equal(stdout, "");
      assert.doesNotMatch(stderr, /\n\s+at /, "no stack trace");
    });
  }
});
