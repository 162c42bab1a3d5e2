// docs/secrets.md, docs/cost.md and docs/testing.md run as a reader would run them: every marked command of
// the pages, taken from the markdown (test/support/walkthrough.ts), against a built
// `kmsd serve --dev`, with `kmsd` and the AWS CLI on the PATH and the AWS_* variables the
// pages' setup exports.
import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { startKmsd, type Kmsd } from "./support/kmsd.ts";
import { parseWalkthrough, runBlocks, walkthroughContext } from "./support/walkthrough.ts";

void describe("documentation pages that run", () => {
  let kmsd: Kmsd;
  const dirs: string[] = [];

  before(async () => {
    kmsd = await startKmsd({ dev: true });
  });
  after(async () => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    await kmsd.dispose();
  });

  for (const page of ["docs/secrets.md", "docs/cost.md", "docs/testing.md"]) {
    void it(`${page}: every command runs and prints what the page shows`, () => {
      const blocks = parseWalkthrough(readFileSync(new URL(`../${page}`, import.meta.url), "utf8"));
      assert.ok(blocks.some((block) => block.kind === "step"), "the page has steps");
      const context = walkthroughContext(kmsd, blocks);
      dirs.push(context.dir);
      runBlocks(blocks, context);
    });
  }
});
