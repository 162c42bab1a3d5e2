/**
 * The README works as written: its two set-up commands are the ones CI and a newcomer run
 * (each in a block of its own), and its quick start, taken from the markdown, runs against a
 * kmsd started as `npm start` starts it (no --dev: the credentials it wrote on its first start).
 */
import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { startKmsd, type Kmsd } from "./support/kmsd.ts";
import { parseWalkthrough, runBlocks, walkthroughContext } from "./support/walkthrough.ts";

const README = readFileSync(new URL("../README.md", import.meta.url), "utf8");

/** The fenced sh blocks of a markdown text, in order. */
function shBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((match) => (match[1] ?? "").trim());
}

describe("README", () => {
  let kmsd: Kmsd;
  let dir: string | undefined;
  before(async () => {
    kmsd = await startKmsd();
  });
  after(async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    await kmsd.dispose();
  });

  it("starts with the two set-up commands, each in its own block, and CI runs the test one", () => {
    const [start, test] = shBlocks(README);
    assert.equal(start, "npm ci && npm start");
    assert.equal(test, "npm ci && npm test");
    const ci = readFileSync(new URL("../.ci/run", import.meta.url), "utf8");
    assert.match(ci, /^npm test$/m);
    const scripts = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { scripts: Record<string, string> }).scripts;
    assert.match(scripts.start ?? "", /kmsd\.mjs serve$/, "npm start serves on the embedded default");
  });

  it("its quick start runs as written: the CLI round trip and the SDK's envelope encryption", () => {
    const blocks = parseWalkthrough(README);
    assert.deepEqual(
      blocks.filter((block) => block.kind === "step").map((block) => block.kind === "step" && block.name),
      ["cli", "sdk"],
    );
    const context = walkthroughContext(kmsd, blocks);
    dir = context.dir;
    runBlocks(blocks, context);
  });
});
