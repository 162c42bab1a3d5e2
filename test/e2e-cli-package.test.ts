/**
 * End to end: kmsd as a user installs it. `npm pack` (which builds on prepack), then an
 * install of the tarball into an empty directory, offline: the packed files and the
 * declared dependencies alone must run `kmsd --version`, `kmsd serve` and an SDK call.
 *
 * `npm install --offline <tarball>` alone fails with ENOTCACHED: the npm cache that
 * `npm ci` filled holds the dependencies' tarballs but not their registry metadata, which
 * resolving a version range needs, and tests must not depend on the registry. So the test
 * writes the empty project a lockfile (kmsd from the tarball, its dependencies at the
 * versions and integrity of this checkout's package-lock.json) and runs `npm ci --offline`,
 * which takes each dependency from the cache by its integrity, as `npm ci` here does.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile, execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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

/** A package-lock.json entry, as far as this test reads it. */
interface LockEntry {
  version?: string;
  resolved?: string;
  dev?: boolean;
  [field: string]: unknown;
}

/**
 * Where the registry serves an entry's tarball. package-lock.json here records no `resolved`
 * URLs, and without one npm asks the registry for the package's metadata to find it; with
 * one (and the integrity) it takes the tarball from its cache.
 */
function registryTarball(path: string, entry: LockEntry): string {
  const name = typeof entry.name === "string" ? entry.name : path.slice(path.lastIndexOf("node_modules/") + "node_modules/".length);
  return `https://registry.npmjs.org/${name}/-/${name.split("/").at(-1) ?? name}-${entry.version ?? ""}.tgz`;
}

/**
 * The lockfile of a project that depends on nothing but the kmsd tarball at `tarball`
 * (relative to the project): kmsd's entry from its packed package.json, and every entry of
 * this checkout's lock that is not dev-only (kmsd's runtime dependencies, nested ones and
 * optional ones included) at the same path, version and integrity.
 */
function lockForTarball(tarball: string, tarballBytes: Buffer): object {
  const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, LockEntry> };
  const { "": root, ...entries } = lock.packages;
  const runtime = Object.fromEntries(
    Object.entries(entries)
      .filter(([, entry]) => !entry.dev)
      .map(([path, entry]) => [path, { ...entry, resolved: entry.resolved ?? registryTarball(path, entry) }]),
  );
  const dependencies = { kmsd: `file:${tarball}` };
  const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as Record<string, unknown>;
  const kmsd = {
    version: PACKAGE.version,
    resolved: `file:${tarball}`,
    integrity: `sha512-${createHash("sha512").update(tarballBytes).digest("base64")}`,
    license: manifest.license,
    dependencies: root?.dependencies,
    optionalDependencies: root?.optionalDependencies,
    bin: manifest.bin,
    engines: manifest.engines,
  };
  return { name: "app", lockfileVersion: 3, requires: true, packages: { "": { name: "app", dependencies }, "node_modules/kmsd": kmsd, ...runtime } };
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
    await run("npm", ["pack", "--silent", "--pack-destination", work], { cwd: ROOT, env: ENV });
    const tarball = `kmsd-${PACKAGE.version}.tgz`;
    const lock = lockForTarball(`../${tarball}`, readFileSync(join(work, tarball)));
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true, dependencies: { kmsd: `file:../${tarball}` } }));
    writeFileSync(join(app, "package-lock.json"), JSON.stringify(lock));
    // Optional dependencies (a native PKCS#11 binding) would compile on install; kmsd serves without them.
    await run("npm", ["ci", "--offline", "--omit=optional", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: app, env: ENV });
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it("ships the bin, the built JavaScript, the LICENSE and README, and no source, test or dev-only file", () => {
    const files = filesUnder(join(app, "node_modules", "kmsd"));
    const unexpected = files.filter((file) => !/^(LICENSE|README\.md|package\.json|bin\/kmsd\.mjs|dist\/src\/.+\.(js|d\.ts)|dist\/console\/(index\.html|app\.js|style\.css|uplot\.css|licenses\.txt))$/.test(file));
    assert.deepEqual(unexpected, []);
    assert.ok(files.includes("dist/src/cli/main.js"));
    assert.ok(files.includes("dist/console/app.js"), "the web console ships: kmsd serve serves it");
    // The bundle holds other projects' code: their licence notices ship with it.
    const licenses = readFileSync(join(app, "node_modules", "kmsd", "dist", "console", "licenses.txt"), "utf8");
    for (const bundled of ["preact", "uplot", "@aws-sdk/client-kms"]) assert.match(licenses, new RegExp(`^${bundled} \\d`, "m"), bundled);
    assert.ok(files.includes("LICENSE"));
  });

  it("kmsd/testing imports from the installed package and starts an ephemeral kmsd that answers, then stops it", async () => {
    writeFileSync(
      join(app, "uses-testing.mjs"),
      [
        'import { startKmsd } from "kmsd/testing";',
        "const kmsd = await startKmsd();",
        'const answer = await fetch(`${kmsd.endpoint}/health`);',
        "await kmsd.stop();",
        "console.log(answer.status, kmsd.region, kmsd.accountId.length, kmsd.credentials.accessKeyId.length > 0);",
      ].join("\n"),
    );
    const { stdout } = await run(process.execPath, ["uses-testing.mjs"], { cwd: app, env: ENV });
    assert.equal(stdout, "200 us-east-1 12 true\n");
    assert.ok(readdirSync(join(app, "node_modules", "kmsd", "dist", "src")).includes("testing.d.ts"), "kmsd/testing ships its types");
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
