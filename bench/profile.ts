/**
 * Where a server spends its CPU under load: prepares keys on kmsd (or the minimal server),
 * restarts it on the same data under `node --cpu-prof`, drives one operation of the benchmark at saturation for a few
 * seconds, stops it (the profile is written on exit) and summarises the profile: the
 * functions with the most self time, self time by module, and the inclusive time of
 * the request pipeline's main stages.
 *
 *   npm run build && node bench/profile.ts [--op=encrypt-32] [--seconds=5] [--server=kmsd|minimal]
 *                                          [--top=25] [--kmsd-args="--audit off"] [--keep]
 *
 * The .cpuprofile is kept with --keep (open it in Chrome DevTools or speedscope).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { KmsClient } from "./lib/kmsClient.ts";
import { killAllChildren, startKmsd, startMinimal } from "./lib/servers.ts";
import { OPERATIONS, prepareFixture } from "./lib/workloads.ts";
import { LoadGenerator } from "./load/generator.ts";

const { values } = parseArgs({
  options: {
    op: { type: "string", default: "encrypt-32" },
    seconds: { type: "string", default: "5" },
    server: { type: "string", default: "kmsd" },
    top: { type: "string", default: "25" },
    "kmsd-args": { type: "string", default: "" },
    concurrency: { type: "string", default: "32" },
    keep: { type: "boolean", default: false },
  },
  strict: true,
});
const operation = OPERATIONS.find((candidate) => candidate.id === values.op);
if (!operation) {
  process.stderr.write(`unknown --op ${values.op}; known: ${OPERATIONS.map((candidate) => candidate.id).join(", ")}\n`);
  process.exit(2);
}
const seconds = Number(values.seconds);
const top = Number(values.top);

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame's code lives, shortened: a package, a node: module, a kmsd source file. */
function moduleOf(url: string, functionName: string): string {
  if (url === "") return functionName.startsWith("(") ? functionName : "(native)";
  const packageMatch = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (packageMatch) return packageMatch[1] as string;
  if (url.startsWith("node:")) return url;
  const source = /\/(dist\/src\/.*|bench\/.*)$/.exec(url);
  return source ? (source[1] as string) : url;
}

function summarise(profile: CpuProfile): string {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, index) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0)));
  let total = 0;
  let idle = 0;
  const selfByFunction = new Map<string, number>();
  const selfByModule = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === "(idle)") {
      idle += us;
      continue;
    }
    total += us;
    const name = `${functionName || "(anonymous)"} ${moduleOf(url, functionName)}${url ? `:${lineNumber + 1}` : ""}`;
    selfByFunction.set(name, (selfByFunction.get(name) ?? 0) + us);
    const module = moduleOf(url, functionName);
    selfByModule.set(module, (selfByModule.get(module) ?? 0) + us);
    // Inclusive time: each distinct function on the stack once.
    const seen = new Set<string>();
    for (let current: number | undefined = id; current !== undefined; current = parent.get(current)) {
      const frame = byId.get(current)?.callFrame;
      if (!frame || !frame.url) continue;
      const key = `${frame.functionName || "(anonymous)"} ${moduleOf(frame.url, frame.functionName)}`;
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + us);
    }
  }
  const pct = (us: number) => `${((us / total) * 100).toFixed(1).padStart(5)}%`;
  const lines: string[] = [];
  lines.push(`busy ${(total / 1e6).toFixed(2)} s, idle ${(idle / 1e6).toFixed(2)} s of profile`);
  lines.push("", `Top ${top} functions by self time (% of busy time):`);
  for (const [name, us] of [...selfByFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`  ${pct(us)}  ${name}`);
  lines.push("", "Self time by module:");
  for (const [name, us] of [...selfByModule].sort((a, b) => b[1] - a[1]).slice(0, 20)) lines.push(`  ${pct(us)}  ${name}`);
  lines.push("", "Inclusive time of kmsd's and the minimal server's own functions and @smithy (top 30):");
  for (const [name, us] of [...inclusive]
    .filter(([name]) => /dist\/src|bench\/|@smithy/.test(name))
    .sort((a, b) => b[1] - a[1])
    .slice(0, 30)) {
    lines.push(`  ${pct(us)}  ${name}`);
  }
  return lines.join("\n");
}

const profileDir = mkdtempSync(join(tmpdir(), "kmsd-profile-"));
const nodeArgs = ["--cpu-prof", `--cpu-prof-dir=${profileDir}`];
const generator = new LoadGenerator(1);
try {
  // The set-up (keys, ciphertexts, signatures) runs on an unprofiled server; the profiled one restarts on the same state.
  const kmsdArgs = values["kmsd-args"] ? values["kmsd-args"].split(" ").filter(Boolean) : [];
  const minimal = values.server === "minimal";
  const setupServer = minimal ? await startMinimal(1) : await startKmsd({ args: kmsdArgs });
  const client = new KmsClient(setupServer.host, setupServer.port, setupServer.credentials);
  const fixture = await prepareFixture(client, minimal ? "symmetric" : "full", { ciphertexts: 256, mixedKeys: operation.id === "mixed" ? 1000 : 10 });
  client.close();
  await setupServer.stop({ keepDataDir: true });
  // (The minimal server derives its keys from its credentials: a restart opens the same ciphertexts.)
  const server = minimal ? await startMinimal(1, nodeArgs) : await startKmsd({ nodeArgs, args: kmsdArgs, dataDir: setupServer.dataDir });
  const calls = operation.calls(fixture, 256);
  const result = await generator.run(server, { calls, concurrency: Number(values.concurrency), warmupMs: 500, durationMs: seconds * 1000 });
  process.stderr.write(`${operation.label} on ${server.name}: ${result.throughput.toFixed(0)}/s, p99 ${result.p99Ms.toFixed(1)} ms, ${result.errors} errors\n`);
  await server.stop();
  if (setupServer.dataDir) rmSync(setupServer.dataDir, { recursive: true, force: true });
  const files = readdirSync(profileDir).filter((name) => name.endsWith(".cpuprofile"));
  if (files.length === 0) throw new Error("no profile was written (did the server exit cleanly?)");
  for (const file of files) {
    process.stdout.write(`\n## ${file} (${operation.label}, ${server.name}${values["kmsd-args"] ? ` ${values["kmsd-args"]}` : ""})\n\n`);
    process.stdout.write(`${summarise(JSON.parse(readFileSync(join(profileDir, file), "utf8")) as CpuProfile)}\n`);
  }
  if (values.keep) process.stderr.write(`profiles kept in ${profileDir}\n`);
} finally {
  await generator.close();
  killAllChildren();
  if (!values.keep) rmSync(profileDir, { recursive: true, force: true });
}
