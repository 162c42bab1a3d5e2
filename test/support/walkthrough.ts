/**
 * Runs a documentation page (the walk-throughs, docs/secrets.md...) as the reader would: the fenced blocks the
 * document marks are extracted from the markdown itself and run in order with bash, so the
 * document and its test cannot drift apart.
 *
 * Markers (HTML comments, invisible in the rendered page) name what the next fenced block is:
 *   <!-- step: NAME -->         a ```sh block the test runs; it must exit 0
 *   <!-- step: NAME, fails -->  a ```sh block that must exit non-zero (a refusal the page shows)
 *   <!-- file: NAME -->         any block whose text is saved as NAME in the working directory
 *   <!-- setup -->              a ```sh block the test does not run (starting kmsd, exports of
 *                               where it listens); the harness provides each variable it exports
 * A ```text block after a step, before the next marker, is "what you should see": each of its
 * lines must appear, in order, among the lines the step printed. `<name>` stands for a value
 * that differs on every run (an account id, a key id): where the page first shows it, it matches
 * any run of non-blank characters, and from then on it must be that same value wherever the page
 * shows `<name>` again (so `<key-b>` in step 5 is the key step 1 created, not just any key).
 */
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { Kmsd } from "./kmsd.ts";

/** One marked block of a walk-through. */
export type Block =
  | { kind: "step"; name: string; fails: boolean; script: string; expected?: string; section: string }
  | { kind: "file"; name: string; text: string; section: string }
  | { kind: "setup"; script: string; section: string };

const MARKER = /^<!--\s*(step|file|setup)\s*(?::\s*([^,\s]+)\s*(,\s*fails\s*)?)?-->\s*$/;
const FENCE = /^```(\w*)\s*$/;

/** The marked blocks of a markdown document, in order, each with the `##` heading it is under. */
export function parseWalkthrough(markdown: string): Block[] {
  const lines = markdown.split("\n");
  const blocks: Block[] = [];
  let section = "";
  let pending: RegExpExecArray | undefined;
  // The step whose "what you should see" may still follow: only prose may come between them.
  let openStep: Extract<Block, { kind: "step" }> | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    if (line.startsWith("## ")) section = line.slice(3).trim();
    const marker = MARKER.exec(line);
    if (marker) {
      if (pending) throw new Error(`line ${i + 1}: marker follows a marker without a block between`);
      pending = marker;
      continue;
    }
    const fence = FENCE.exec(line);
    if (!fence) continue;
    const start = i + 1;
    do i++;
    while (i < lines.length && lines[i] !== "```");
    if (i >= lines.length) throw new Error(`line ${start}: fenced block never closed`);
    const text = lines.slice(start, i).join("\n") + "\n";
    const language = fence[1] ?? "";
    const marked = pending;
    const step = openStep;
    pending = undefined;
    openStep = undefined;
    if (!marked) {
      if (language === "text" && step) step.expected = text;
      continue;
    }
    const [, kind, name, fails] = marked;
    if (kind === "file") blocks.push({ kind, name: required(name, start), text, section });
    else if (language !== "sh") throw new Error(`line ${start}: a ${kind} block must be \`\`\`sh, not \`\`\`${language}`);
    else if (kind === "setup") blocks.push({ kind, script: text, section });
    else {
      openStep = { kind: "step", name: required(name, start), fails: fails !== undefined, script: text, section };
      blocks.push(openStep);
    }
  }
  if (pending) throw new Error("the last marker has no block after it");
  return blocks;
}

function required(name: string | undefined, line: number): string {
  if (!name) throw new Error(`line ${line}: the marker needs a name`);
  return name;
}

/** Reads and parses a walk-through of docs/walkthroughs/. */
export function loadWalkthrough(fileName: string): Block[] {
  return parseWalkthrough(readFileSync(new URL(`../../docs/walkthroughs/${fileName}`, import.meta.url), "utf8"));
}

/** The names a setup block exports (`export A=... B=...`). */
export function exportedNames(script: string): string[] {
  const names: string[] = [];
  for (const line of script.split("\n")) {
    const match = /^\s*export\s+(.*)$/.exec(line);
    if (match) for (const assignment of (match[1] ?? "").matchAll(/(?:^|\s)([A-Za-z_][A-Za-z0-9_]*)=/g)) names.push(assignment[1] ?? "");
  }
  return names;
}

/** What one step did. */
export interface StepResult {
  name: string;
  status: number | null;
  stdout: string;
  stderr: string;
}

// Shell variables a step sets are saved on exit and read by the next step, as they would
// live on in the reader's one terminal. Bash's own (readonly, special) variables are not.
const STATE_FILE = ".walkthrough-state.sh";
const SAVE_STATE = `__walkthrough_save() {
  local name
  for name in $(compgen -v); do
    case "$name" in BASH*|FUNCNAME|GROUPS|PIPESTATUS|PPID|SHELLOPTS|EUID|UID|SHLVL|PWD|OLDPWD|_|RANDOM|SECONDS|LINENO|SRANDOM|EPOCH*|COMP*|DIRSTACK|HIST*|IFS|OPTIND|OPTERR|PS*|HOSTNAME|HOSTTYPE|MACHTYPE|OSTYPE|__walkthrough*) continue ;; esac
    declare -p "$name" 2>/dev/null | grep -v '^declare -[a-zA-Z]*r' || true
  done > ${STATE_FILE}
}
trap __walkthrough_save EXIT
`;

/** Runs one step with bash in `dir`, after the state the previous steps left; `-e -o pipefail` so a broken command fails the step. */
export function runStep(step: Extract<Block, { kind: "step" }>, dir: string, env: NodeJS.ProcessEnv): StepResult {
  const script = `${SAVE_STATE}[ -f ${STATE_FILE} ] && source ${STATE_FILE}\nset -e -o pipefail\n${step.script}`;
  const result = spawnSync("bash", ["-c", script], { cwd: dir, env, encoding: "utf8", timeout: 180_000 });
  return { name: step.name, status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Saves a file block in `dir`. */
export function writeFileBlock(block: Extract<Block, { kind: "file" }>, dir: string): void {
  writeFileSync(join(dir, block.name), block.text);
}

/** The values the page's `<name>` placeholders took, by name, as a walk-through ran. */
export type PlaceholderValues = Map<string, string>;

const PLACEHOLDER = /(<[a-z0-9-]+>)/;

/**
 * Checks a step's output against the page's "what you should see": each expected line, in
 * order, must be one of the printed lines. A placeholder already in `values` must be its value
 * again; a new one matches any non-blank run and is added to `values`. Returns the first line
 * that did not match, or undefined.
 */
export function unmatchedExpectation(expected: string, printed: string, values: PlaceholderValues): string | undefined {
  const actual = printed.split("\n").map((line) => line.trim());
  let from = 0;
  for (const line of expected.split("\n").map((l) => l.trim()).filter((l) => l !== "")) {
    const pattern = expectedLinePattern(line, values);
    let match: RegExpExecArray | null = null;
    while (from < actual.length && !match) match = pattern.exec(actual[from++] ?? "");
    if (!match) return line;
    for (const [group, value] of Object.entries(match.groups ?? {})) values.set(placeholderName(group), value);
  }
  return undefined;
}

/** One expected line as a regular expression: text literally, placeholders as described above. */
function expectedLinePattern(line: string, values: PlaceholderValues): RegExp {
  const inThisLine = new Set<string>();
  // split() with a capturing group puts the placeholders at the odd indices.
  const parts = line.split(PLACEHOLDER).map((part, index) => {
    if (index % 2 === 0) return escapeRegExp(part);
    const name = part.slice(1, -1);
    const known = values.get(name);
    if (known !== undefined) return escapeRegExp(known);
    const group = groupName(name);
    if (inThisLine.has(name)) return `\\k<${group}>`;
    inThisLine.add(name);
    return `(?<${group}>\\S+?)`;
  });
  return new RegExp(`^${parts.join("")}$`);
}

// Capture group names must be identifiers; placeholder names have hyphens and may start with a digit.
function groupName(placeholder: string): string {
  return `p_${placeholder.replaceAll("-", "_")}`;
}

function placeholderName(group: string): string {
  return group.slice(2).replaceAll("_", "-");
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Where a walk-through runs: its working directory and the environment its steps see. */
export interface WalkthroughContext {
  dir: string;
  env: NodeJS.ProcessEnv;
}

/** What a walk-through run left: each step's result by name, and the values its placeholders took. */
export interface WalkthroughRun {
  steps: Map<string, StepResult>;
  values: PlaceholderValues;
}

/**
 * Runs `blocks` in order in `context.dir`: saves file blocks, runs steps, and throws (naming the
 * step, with its output) when a step exits otherwise than the page says or prints other than
 * its "what you should see". `values` carries placeholders bound by an earlier run on the same
 * page (a later section continuing where an earlier one stopped).
 */
export function runBlocks(blocks: Block[], context: WalkthroughContext, values: PlaceholderValues = new Map()): WalkthroughRun {
  const steps = new Map<string, StepResult>();
  for (const block of blocks) {
    if (block.kind === "file") writeFileBlock(block, context.dir);
    if (block.kind !== "step") continue;
    const result = runStep(block, context.dir, context.env);
    steps.set(block.name, result);
    const printed = `${result.stdout}\n${result.stderr}`;
    if ((result.status === 0) === block.fails) {
      throw new Error(`step ${block.name} exited ${result.status}, the page says it ${block.fails ? "fails" : "succeeds"}:\n${printed}`);
    }
    const missing = block.expected === undefined ? undefined : unmatchedExpectation(block.expected, printed, values);
    if (missing !== undefined) {
      const bound = [...values].map(([name, value]) => `<${name}> = ${value}`).join(", ");
      throw new Error(`step ${block.name} did not print "${missing}" (placeholders so far: ${bound || "none"}); it printed:\n${printed}`);
    }
  }
  return { steps, values };
}

/**
 * A fresh working directory for a walk-through against `kmsd`, as the page's setup leaves the
 * reader's: `kmsd` on the PATH (this checkout's), the SDK and `kmsd` importable (node_modules), and the
 * variables the setup blocks export set to where the harness's kmsd listens. Throws if a
 * setup block exports a variable the harness does not provide, so the page cannot ask the
 * reader for something the test never checked.
 */
export function walkthroughContext(kmsd: Kmsd, blocks: Block[]): WalkthroughContext {
  const available: Record<string, string> = {
    AWS_ENDPOINT_URL: kmsd.endpoint,
    KMSD_DATA_DIR: kmsd.dataDir,
    AWS_REGION: "us-east-1",
    // The AWS CLI v1 reads the region from this one only.
    AWS_DEFAULT_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: kmsd.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: kmsd.credentials.secretAccessKey,
  };
  // Only what the page's setup exports: a page that uses profiles gets no credentials in its environment.
  const provided: Record<string, string> = {};
  for (const block of blocks) {
    if (block.kind !== "setup") continue;
    const names = exportedNames(block.script);
    const unknown = names.filter((name) => !(name in available));
    if (unknown.length > 0) throw new Error(`the setup exports ${unknown.join(", ")}, which the harness does not provide`);
    for (const name of names) provided[name] = available[name] ?? "";
  }
  const dir = mkdtempSync(join(tmpdir(), "kmsd-walkthrough-"));
  const repository = new URL("../../", import.meta.url).pathname;
  // node_modules as a project that installed kmsd has it: the dependencies, and kmsd itself (this checkout).
  mkdirSync(join(dir, "node_modules"));
  for (const entry of readdirSync(join(repository, "node_modules"))) symlinkSync(join(repository, "node_modules", entry), join(dir, "node_modules", entry));
  symlinkSync(repository, join(dir, "node_modules", "kmsd"));
  const bin = join(dir, ".bin");
  mkdirSync(bin);
  writeFileSync(join(bin, "kmsd"), `#!/bin/sh\nexec "${process.execPath}" "${join(repository, "bin/kmsd.mjs")}" "$@"\n`);
  chmodSync(join(bin, "kmsd"), 0o755);
  // Only what a reader's shell would have: no AWS_* of the machine running the tests.
  const env = {
    PATH: `${bin}:${dirname(process.execPath)}:${process.env.PATH ?? "/usr/bin:/bin"}`,
    HOME: dir,
    LANG: "C.UTF-8",
    ...provided,
  };
  return { dir, env };
}
