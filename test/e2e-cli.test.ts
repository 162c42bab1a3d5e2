/**
 * End to end: the kmsd command line itself — what a first start creates, options from
 * flags and KMSD_* environment variables, refusing an old Node.js, and bad arguments.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { parseListeningLine, runKmsdCli, type ListeningLine } from "./support/kmsd.ts";

const BIN = new URL("../bin/kmsd.mjs", import.meta.url).pathname;
const temporary: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "kmsd-cli-"));
  temporary.push(dir);
  return dir;
}

/** Starts `kmsd serve` with extra environment; resolves with the parsed "listening" log line, then stops it. */
async function listeningLine(args: string[], env: Record<string, string>): Promise<ListeningLine> {
  const child = spawn(process.execPath, [BIN, "serve", "--log-format", "json", ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.resume();
  let stderr = "";
  try {
    return await new Promise((resolve, reject) => {
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString("utf8");
        const line = stderr.split("\n").slice(0, -1).map(parseListeningLine).find((parsed) => parsed !== undefined);
        if (line) resolve(line);
      });
      child.once("exit", (code) => reject(new Error(`exited ${code}: ${stderr}`)));
    });
  } finally {
    child.kill("SIGTERM");
  }
}

describe("kmsd command line", () => {
  after(() => temporary.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it("a first start creates the data dir (0700), the root key (0600) and a credentials file (0600) with profile default and a region", async () => {
    const dataDir = join(tempDir(), "fresh");
    const line = await listeningLine(["--port", "0", "--data-dir", dataDir, "--default-account", "123456789012"], {});
    assert.equal(line.defaultAccount, "123456789012");
    assert.equal(statSync(dataDir).mode & 0o777, 0o700);
    assert.equal(statSync(join(dataDir, "root.key")).mode & 0o777, 0o600);
    assert.equal(statSync(join(dataDir, "root.key")).size, 32);
    const credentials = join(dataDir, "credentials");
    assert.equal(statSync(credentials).mode & 0o777, 0o600);
    assert.match(readFileSync(credentials, "utf8"), /^\[default\]\naws_access_key_id = AKIA[A-Z2-7]{16}\naws_secret_access_key = \S{40}\nregion = us-east-1\n$/);
  });

  it("takes every option from its KMSD_* environment variable, and a flag wins over it", async () => {
    const dataDir = tempDir();
    const line = await listeningLine(["--port", "0"], {
      KMSD_PORT: "1",
      KMSD_DATA_DIR: dataDir,
      KMSD_DEFAULT_ACCOUNT: "210987654321",
      KMSD_HOST: "127.0.0.1",
    });
    assert.equal(line.defaultAccount, "210987654321");
    assert.equal(line.dataDir, dataDir);
    assert.equal(line.host, "127.0.0.1");
    assert.notEqual(line.port, 1, "--port 0 won over KMSD_PORT=1");
  });

  it("listens on 127.0.0.1 unless told otherwise", async () => {
    const line = await listeningLine(["--port", "0", "--data-dir", tempDir()], {});
    assert.equal(line.host, "127.0.0.1");
  });

  it("an empty KMSD_* variable counts as unset: KMSD_HOST= still listens on 127.0.0.1, not on every interface", async () => {
    const line = await listeningLine(["--port", "0", "--data-dir", tempDir(), "--workers", "1"], {
      KMSD_HOST: "",
      KMSD_PORT: "",
      KMSD_DATA_DIR: "",
      KMSD_DEFAULT_ACCOUNT: "",
      KMSD_KEY_CACHE_SIZE: "",
      KMSD_WORKERS: "",
      KMSD_AUDIT: "",
      KMSD_AUDIT_RETENTION_DAYS: "",
      KMSD_DEV: "",
      KMSD_LOG_FORMAT: "",
      KMSD_LOG_LEVEL: "",
      KMSD_QUIET_CREDENTIALS: "",
    });
    assert.equal(line.host, "127.0.0.1");
    assert.match(String(line.defaultAccount), /^[0-9]{12}$/);
  });

  it("an unknown command or a bad option value exits 2 with a one-line message, and creates nothing", async () => {
    const unknown = await runKmsdCli(["frobnicate"]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command 'frobnicate'/);
    const dataDir = join(tempDir(), "never");
    const badPort = await runKmsdCli(["serve", "--port", "99999", "--data-dir", dataDir]);
    assert.equal(badPort.code, 2);
    assert.match(badPort.stderr, /^kmsd serve: --port must be a whole number from 0 to 65535, not '99999'\n/);
    assert.doesNotMatch(badPort.stderr, /\n\s+at /, "no stack trace");
    const badAccount = await runKmsdCli(["serve", "--default-account", "12", "--data-dir", dataDir]);
    assert.equal(badAccount.code, 2);
    assert.match(badAccount.stderr, /--default-account must be 12 digits, not '12'/);
    assert.equal(existsSync(dataDir), false, "no data directory was created");
  });

  for (const workers of ["1", "2"]) {
    it(`with --workers ${workers}, a port already taken exits 1 with the bind error, creating nothing, instead of hanging or restarting`, async () => {
      const taken = createServer();
      await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
      try {
        const { port } = taken.address() as AddressInfo;
        const started = Date.now();
        const dataDir = join(tempDir(), "never");
        const result = await runKmsdCli(["serve", "--port", String(port), "--data-dir", dataDir, "--workers", workers]);
        assert.equal(result.code, 1);
        assert.match(result.stderr, /EADDRINUSE/);
        assert.equal(existsSync(dataDir), false, "no data directory, root key or account was created");
        assert.equal(result.stdout, "", "no credentials were printed");
        assert.doesNotMatch(result.stderr, /starting another/, "a worker that never listened is not restarted");
        assert.ok(Date.now() - started < 15_000, "exits promptly");
      } finally {
        taken.close();
      }
    });
  }

  it("started on a Node.js older than 24, kmsd exits 1 with a clear message", (t) => {
    const oldNode = ["/usr/bin/node", "/usr/local/bin/node"].find((path) => {
      try {
        return Number(execFileSync(path, ["-p", "process.versions.node.split('.')[0]"], { encoding: "utf8" }).trim()) < 24;
      } catch {
        return false;
      }
    });
    if (!oldNode) return t.skip("no Node.js older than 24 on this machine");
    let failure: { status?: number; stderr?: string } = {};
    try {
      execFileSync(oldNode, [BIN, "serve"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    } catch (error) {
      failure = error as { status?: number; stderr?: string };
    }
    assert.equal(failure.status, 1);
    assert.match(failure.stderr ?? "", /kmsd needs Node\.js 24 or later/);
  });
});
