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
import { execFile, spawn } from "node:child_process";
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

describe("kmsd through npm scripts in this checkout", () => {
  it("npm run -s kmsd -- account create --json prints only the JSON on stdout", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "kmsd-npm-run-"));
    try {
      const { stdout } = await run("npm", ["run", "-s", "kmsd", "--", "account", "create", "--data-dir", dataDir, "--json"], { cwd: ROOT, env: ENV });
      const account = JSON.parse(stdout) as { AccountId: string };
      assert.match(account.AccountId, /^[0-9]{12}$/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
