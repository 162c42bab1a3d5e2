/**
 * Runs the commands of a documentation page, taken from the markdown itself, so the page
 * and its test cannot drift apart. The markers are those of the walk-throughs (HTML
 * comments, invisible in the rendered page), so either runner reads either page:
 *   <!-- step: NAME -->         the next ```sh block runs and must exit 0
 *   <!-- step: NAME, fails -->  the next ```sh block must exit non-zero
 *   <!-- file: NAME -->         the next block's text is saved as NAME in the working directory
 *   <!-- setup -->              the next ```sh block is not run (the harness provides what it sets up)
 * A ```text block right after a step is what the reader should see: each of its lines must
 * appear, in order, among the lines the step printed.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

/** One marked block of a page. */
export type DocBlock =
  | { kind: "step"; name: string; fails: boolean; script: string; expected?: string }
  | { kind: "file"; name: string; text: string }
  | { kind: "setup"; script: string };

const MARKER = /^<!--\s*(step|file|setup)\s*(?::\s*([^,\s]+)\s*(,\s*fails\s*)?)?-->\s*$/;
const FENCE = /^```(\w*)\s*$/;

/** The marked blocks of a markdown page, in order. */
export function parseDocBlocks(markdown: string): DocBlock[] {
  const lines = markdown.split("\n");
  const blocks: DocBlock[] = [];
  let pending: RegExpExecArray | undefined;
  let lastStep: Extract<DocBlock, { kind: "step" }> | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    const marker = MARKER.exec(line);
    if (marker) {
      pending = marker;
      continue;
    }
    const fence = FENCE.exec(line);
    if (!fence) continue;
    const start = i + 1;
    do i++;
    while (i < lines.length && lines[i] !== "```");
    const text = lines.slice(start, i).join("\n") + "\n";
    const [, kind, name = "", fails] = pending ?? [];
    const step = lastStep;
    pending = undefined;
    lastStep = undefined;
    if (kind === undefined) {
      if (fence[1] === "text" && step) step.expected = text;
    } else if (kind === "file") blocks.push({ kind, name, text });
    else if (kind === "setup") blocks.push({ kind, script: text });
    else {
      lastStep = { kind: "step", name, fails: fails !== undefined, script: text };
      blocks.push(lastStep);
    }
  }
  return blocks;
}

/** What went wrong in a page's steps (empty when everything ran as the page says). */
export function runDocSteps(blocks: readonly DocBlock[], options: { cwd: string; env: NodeJS.ProcessEnv }): string[] {
  const problems: string[] = [];
  for (const block of blocks) {
    if (block.kind === "file") writeFileSync(join(options.cwd, block.name), block.text);
    if (block.kind !== "step") continue;
    const run = spawnSync("bash", ["--norc", "--noprofile", "-euo", "pipefail", "-c", block.script], { cwd: options.cwd, env: options.env, encoding: "utf8", timeout: 60_000 });
    const output = `${run.stdout}${run.stderr}`;
    if (block.fails !== (run.status !== 0)) {
      problems.push(`step ${block.name}: exit ${run.status}${block.fails ? " (the page says it fails)" : ""}\n${output}`);
      continue;
    }
    if (block.expected !== undefined) {
      const printed = output.split("\n");
      let at = 0;
      for (const wanted of block.expected.trimEnd().split("\n")) {
        const found = printed.indexOf(wanted, at);
        if (found === -1) {
          problems.push(`step ${block.name}: does not print '${wanted}' (in this order)\n${output}`);
          break;
        }
        at = found + 1;
      }
    }
  }
  return problems;
}
