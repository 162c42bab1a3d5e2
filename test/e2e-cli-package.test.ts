/**
 * End to end: kmsd as a user installs it. `npm pack` (which builds on prepack), then
 * `npm install` of the tarball into an empty directory, offline: the packed files and the
 * declared dependencies alone must run `kmsd --version`, `kmsd serve` and an SDK call.
 *
 * The dependencies are installed from tarballs of the runtime closure in package-lock.json,
 * packed from this checkout's node_modules (same versions), because the npm cache of a
 * machine or CI job need not hold them: `npm install --offline <tarball>` alone fails with
 * ENOTCACHED there, and tests must not depend on the registry.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile, execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { promisify } from "node:util";
import { ListKeysCommand, KMSClient } from "@aws-sdk/client-kms";
import { parseListeningLine, readCredentials } from "./support/kmsd.ts";

const run = promisify(execFile);
const ROOT = new URL("..", import.meta.url).pathname;
const PACKAGE = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
/** npm and the installed `kmsd` bin run on this Node.js 24, whatever `node` the machine has first on its PATH. */
const ENV = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}` };

/** A Node.js older than 24 at a usual place, if the machine has one (it decides what the bin says). */
const OLD_NODE = ["/usr/bin/node", "/usr/local/bin/node"].find((path) => {
  try {
    return Number(execFileSync(path, ["-p", "process.versions.node.split('.')[0]"], { encoding: "utf8" }).trim()) < 24;
  } catch {
    return false;
  }
});

/** How `bin` (run by a Node.js older than 24) exits, and what it writes. */
async function runOnOldNode(oldNode: string, bin: string, args: string[]): Promise<{ code: number | undefined; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(oldNode, [bin, ...args], { cwd: tmpdir() });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failure.code, stdout: failure.stdout ?? "", stderr: failure.stderr ?? "" };
  }
}

/** The packages `npm install kmsd` would install: package-lock.json's entries that are not dev-only. */
function runtimeDependencies(): string[] {
  const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { dev?: boolean }> };
  const paths = Object.entries(lock.packages).filter(([path, entry]) => path !== "" && !entry.dev).map(([path]) => path);
  const nested = paths.filter((path) => path.lastIndexOf("node_modules/") !== 0);
  assert.deepEqual(nested, [], "nested runtime dependencies (two versions of one package) need this test taught about them");
  return paths;
}

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)));
}

describe("kmsd as an installed package", () => {
  let work: string;
  let app: string;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), "kmsd-package-"));
    app = join(work, "app");
    mkdirSync(app);
    mkdirSync(join(work, "deps"));
    await run("npm", ["pack", "--silent", "--pack-destination", work], { cwd: ROOT, env: ENV });
    const tarball = join(work, `kmsd-${PACKAGE.version}.tgz`);
    const deps = runtimeDependencies().map((path) => {
      const file = join(work, "deps", `${path.slice("node_modules/".length).replace("/", "-")}.tgz`);
      return { path, file };
    });
    await Promise.all(deps.map(({ path, file }) => run("tar", ["czf", file, "-C", join(ROOT, path), "--transform", "s,^\\.,package,", "."])));
    await run("npm", ["install", "--offline", "--no-audit", "--no-fund", "--loglevel=error", tarball, ...deps.map(({ file }) => file)], { cwd: app, env: ENV });
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it("ships the bin, the built JavaScript, the LICENSE and README, and no source, test or dev-only file", () => {
    const files = filesUnder(join(app, "node_modules", "kmsd"));
    const unexpected = files.filter((file) => !/^(LICENSE|README\.md|package\.json|bin\/kmsd\.mjs|dist\/src\/.+\.js)$/.test(file));
    assert.deepEqual(unexpected, []);
    assert.ok(files.includes("dist/src/cli/main.js"));
    assert.ok(files.includes("LICENSE"));
  });

  it("kmsd --version runs from node_modules/.bin", async () => {
    const { stdout } = await run(join(app, "node_modules", ".bin", "kmsd"), ["--version"], { cwd: app, env: ENV });
    assert.equal(stdout, `kmsd ${PACKAGE.version}\n`);
  });

  it("started on a Node.js older than 24, the installed kmsd exits 1 and names a command that runs it on Node.js 24", async (t) => {
    if (!OLD_NODE) return t.skip("no Node.js older than 24 on this machine");
    const bin = join(app, "node_modules", "kmsd", "bin", "kmsd.mjs");
    const result = await runOnOldNode(OLD_NODE, bin, ["serve", "--port", "9999"]);
    assert.equal(result.code, 1);
    assert.equal(result.stdout, "");
    assert.match(result.stderr, /^kmsd needs Node\.js 24 or later; this is Node\.js [0-9]+\./);
    assert.ok(result.stderr.includes(`npx -y -p node@24 -- node ${bin} serve --port 9999\n`), result.stderr);
  });

  it("kmsd serve starts and answers an SDK call", async () => {
    const dataDir = join(work, "data");
    const child = spawn(join(app, "node_modules", ".bin", "kmsd"), ["serve", "--port", "0", "--data-dir", dataDir, "--workers", "1", "--log-format", "json"], {
      cwd: app,
      env: ENV,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.stdout.resume();
    let client: KMSClient | undefined;
    try {
      const line = await new Promise<{ url: string }>((resolve, reject) => {
        let stderr = "";
        child.stderr.on("data", (chunk: Buffer) => {
          stderr += chunk.toString("utf8");
          const found = stderr.split("\n").slice(0, -1).map(parseListeningLine).find((parsed) => parsed !== undefined);
          if (found) resolve(found);
        });
        child.once("exit", (code) => reject(new Error(`kmsd exited with ${code}: ${stderr}`)));
      });
      client = new KMSClient({ endpoint: line.url, region: "us-east-1", credentials: readCredentials(join(dataDir, "credentials")), maxAttempts: 1 });
      const { Keys } = await client.send(new ListKeysCommand({}));
      assert.deepEqual(Keys, []);
    } finally {
      client?.destroy();
      child.kill("SIGTERM");
      await exited;
    }
  });
});

describe("kmsd through npm in this checkout", () => {
  for (const command of [
    ["npm", "run", "-s", "kmsd", "--"],
    // --offline: npx must find kmsd in this checkout, never fetch a package of that name.
    ["npx", "--offline", "kmsd"],
  ]) {
    it(`${command.join(" ")} account create --json prints only the JSON on stdout`, async () => {
      const dataDir = mkdtempSync(join(tmpdir(), "kmsd-npm-run-"));
      try {
        const [program = "", ...args] = command;
        const { stdout } = await run(program, [...args, "account", "create", "--data-dir", dataDir, "--json"], { cwd: ROOT, env: ENV });
        const account = JSON.parse(stdout) as { AccountId: string };
        assert.match(account.AccountId, /^[0-9]{12}$/);
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  }

  it("started on a Node.js older than 24, the checkout's kmsd exits 1 and says to run it through npm", async (t) => {
    if (!OLD_NODE) return t.skip("no Node.js older than 24 on this machine");
    const result = await runOnOldNode(OLD_NODE, join(ROOT, "bin", "kmsd.mjs"), ["serve"]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^kmsd needs Node\.js 24 or later; this is Node\.js /);
    assert.match(result.stderr, /npm start {3}or {3}npx kmsd <command> \.\.\./);
  });
});
