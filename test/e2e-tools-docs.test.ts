// docs/secrets.md and docs/cost.md run as a reader would run them: every marked command of
// the pages, taken from the markdown, against a built `kmsd serve --dev`, with `kmsd` and
// the AWS CLI on the PATH and the AWS_* variables the pages' setup exports.
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { awsCliEnv } from "./support/awsCli.ts";
import { parseDocBlocks, runDocSteps } from "./support/docSteps.ts";
import { startKmsd, type Kmsd } from "./support/kmsd.ts";

const ROOT = new URL("../", import.meta.url).pathname;

void describe("the tools' documentation pages", () => {
  let kmsd: Kmsd;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    kmsd = await startKmsd({ dev: true });
    dir = mkdtempSync(join(tmpdir(), "kmsd-tools-docs-"));
    // `kmsd` as an installed command would be: the built bin under this Node.js.
    const bin = join(dir, "bin");
    mkdirSync(bin);
    writeFileSync(join(bin, "kmsd"), `#!/bin/sh\nexec "${process.execPath}" "${join(ROOT, "bin/kmsd.mjs")}" "$@"\n`);
    chmodSync(join(bin, "kmsd"), 0o755);
    const cli = awsCliEnv(kmsd.credentials);
    env = { ...cli, PATH: `${bin}:${cli.PATH ?? ""}`, AWS_ENDPOINT_URL: kmsd.endpoint, AWS_REGION: "us-east-1", AWS_MAX_ATTEMPTS: "1", KMSD_DATA_DIR: kmsd.dataDir };
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await kmsd.dispose();
  });

  for (const page of ["docs/secrets.md", "docs/cost.md"]) {
    void it(`${page}: every command runs and prints what the page shows`, () => {
      const blocks = parseDocBlocks(readFileSync(join(ROOT, page), "utf8"));
      assert.ok(blocks.filter((block) => block.kind === "step").length >= 3, "the page has steps");
      const cwd = mkdtempSync(join(dir, "page-"));
      assert.deepEqual(runDocSteps(blocks, { cwd, env }), []);
    });
  }
});
