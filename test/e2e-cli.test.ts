/**
 * End to end: the kmsd command line itself — what a first start creates, options from
 * flags and KMSD_* environment variables, and bad arguments (an old Node.js: e2e-cli-package).
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createServer, type AddressInfo } from "node:net";
import { join } from "node:path";
import { parseListeningLine, rawRequest, runKmsdCli, type ListeningLine } from "./support/kmsd.ts";

const BIN = new URL("../bin/kmsd.mjs", import.meta.url).pathname;
const VERSION = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;
const temporary: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "kmsd-cli-"));
  temporary.push(dir);
  return dir;
}

/** A `kmsd serve` started by a test, with everything it wrote so far. */
interface Served {
  stdout(): string;
  stderr(): string;
  stop(): Promise<void>;
}

/** Starts `kmsd serve` with extra environment; resolves once `ready(stderr)` holds (a line it wrote, parsed). */
async function startServe<T>(args: string[], env: Record<string, string>, ready: (stderr: string) => T | undefined): Promise<Served & { ready: T }> {
  const child = spawn(process.execPath, [BIN, "serve", ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null) child.kill("SIGTERM");
    await exited;
  };
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  try {
    const value = await new Promise<T>((resolve, reject) => {
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString("utf8");
        const found = ready(stderr);
        if (found !== undefined) resolve(found);
      });
      child.once("exit", (code) => reject(new Error(`exited ${code}: ${stderr}`)));
    });
    return { ready: value, stdout: () => stdout, stderr: () => stderr, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The node's "listening" line among the whole lines written so far (JSON logs). */
function listening(stderr: string): ListeningLine | undefined {
  return stderr.split("\n").slice(0, -1).map(parseListeningLine).find((parsed) => parsed !== undefined);
}

/** Starts `kmsd serve` with extra environment; resolves with the parsed "listening" log line, then stops it. */
async function listeningLine(args: string[], env: Record<string, string>): Promise<ListeningLine> {
  const served = await startServe(["--log-format", "json", ...args], env, listening);
  await served.stop();
  return served.ready;
}

/** A loopback port free right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Resolves once GET /health answers 200 on `port`. */
async function waitForHealth(port: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      if ((await rawRequest(`http://127.0.0.1:${port}`, { method: "GET", path: "/health", timeoutMs: 1000 })).status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`nothing answered on port ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
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

  it("with 2 workers, one line at info says where the node listens (URL, data, default account, workers), one that it shuts down; each worker's own lines are debug only", async () => {
    const dataDir = tempDir();
    const atInfo = await startServe(["--log-format", "json", "--port", "0", "--data-dir", dataDir, "--workers", "2", "--default-account", "123456789012"], {}, listening);
    await atInfo.stop();
    const { url, port, message, workers } = atInfo.ready;
    assert.equal(url, `http://127.0.0.1:${port}`);
    assert.equal(message, `kmsd ${VERSION} listening on ${url} (data ${dataDir}, default account 123456789012, 2 workers)`);
    assert.equal(workers, 2);
    assert.equal(atInfo.stderr().split("\n").filter((line) => line.includes("listening")).length, 1, atInfo.stderr());
    assert.equal(atInfo.stderr().split("\n").filter((line) => line.includes('"message":"shutting down"')).length, 1, atInfo.stderr());

    const atDebug = await startServe(["--log-format", "json", "--port", "0", "--data-dir", dataDir, "--workers", "2", "--log-level", "debug"], {}, (stderr) =>
      (stderr.match(/"message":"listening"/g) ?? []).length === 2 && listening(stderr) ? true : undefined,
    );
    await atDebug.stop();
  });

  it("--log-format text writes the listening line for people, first; KMSD_LOG_FORMAT=text does the same", async () => {
    for (const [args, env] of [[["--log-format", "text"], {}], [[], { KMSD_LOG_FORMAT: "text" }]] as const) {
      const dataDir = tempDir();
      const served = await startServe(["--port", "0", "--data-dir", dataDir, "--workers", "1", "--default-account", "123456789012", ...args], env, (stderr) =>
        / listening on /.test(stderr) && /stored unprotected.*\n/.test(stderr) ? stderr : undefined,
      );
      await served.stop();
      // The first line a person reads says where to go (the unprotected root key's warning follows it).
      const [line = "", ...rest] = served.ready.split("\n");
      assert.ok(rest.some((text) => text.includes("the root key is stored unprotected")), served.ready);
      const pattern = `^\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z INFO  kmsd ${VERSION.replaceAll(".", "\\.")} listening on http://127\\.0\\.0\\.1:\\d+ \\(data ${dataDir}, default account 123456789012, 1 worker\\)$`;
      assert.match(line, new RegExp(pattern));
    }
  });

  it("--log-level warn leaves out info lines but keeps warnings", async () => {
    const port = await freePort();
    const served = await startServe(["--log-format", "json", "--port", String(port), "--data-dir", tempDir(), "--workers", "1", "--dev", "--log-level", "warn"], {}, (stderr) =>
      stderr.includes('"level":"warn"') ? true : undefined,
    );
    try {
      await waitForHealth(port);
      assert.doesNotMatch(served.stderr(), /"level":"info"/);
      assert.match(served.stderr(), /--dev: unknown access keys act as the default account's root/);
    } finally {
      await served.stop();
    }
  });

  it("a first start shows the new root credentials in one framed block on stdout, the same as the credentials file, never in the logs", async () => {
    const dataDir = tempDir();
    const served = await startServe(["--log-format", "json", "--port", "0", "--data-dir", dataDir, "--workers", "1", "--default-account", "123456789012"], {}, listening);
    await served.stop();
    const credentials = readFileSync(join(dataDir, "credentials"), "utf8");
    const secret = /aws_secret_access_key = (\S+)/.exec(credentials)?.[1] ?? "";
    const keyId = /aws_access_key_id = (\S+)/.exec(credentials)?.[1] ?? "";
    const block = served.stdout();
    assert.match(block, /^==== kmsd: first start =+\nCreated account 123456789012 with a root access key\./);
    assert.match(block, new RegExp(`\\n  aws_access_key_id     = ${keyId}\\n  aws_secret_access_key = ${secret.replace(/[+/]/g, "\\$&")}\\n  region                = us-east-1\\n`));
    assert.match(block, new RegExp(`export AWS_REGION=us-east-1 AWS_ENDPOINT_URL=${served.ready.url}\\n=+\\n$`));
    assert.ok(!served.stderr().includes(secret), "the secret is not in the logs");

    const again = await startServe(["--log-format", "json", "--port", "0", "--data-dir", dataDir, "--workers", "1"], {}, listening);
    await again.stop();
    assert.equal(again.stdout(), "", "shown on the first start only");
  });

  it("--quiet-credentials writes the first start's credentials only to the file, and the log says where", async () => {
    const dataDir = tempDir();
    const served = await startServe(["--log-format", "json", "--port", "0", "--data-dir", dataDir, "--workers", "2", "--quiet-credentials"], {}, listening);
    await served.stop();
    assert.equal(served.stdout(), "");
    const secret = /aws_secret_access_key = (\S+)/.exec(readFileSync(join(dataDir, "credentials"), "utf8"))?.[1] ?? "";
    assert.notEqual(secret, "");
    assert.ok(!served.stderr().includes(secret));
    assert.match(served.stderr(), /"credentialsFile":"[^"]+\/credentials"/);
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

  it("a data directory that cannot be created (a file in its path) exits 1 before anything is created", async () => {
    const file = join(tempDir(), "a-file");
    writeFileSync(file, "");
    const result = await runKmsdCli(["serve", "--port", "0", "--data-dir", join(file, "data"), "--workers", "1"]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^kmsd serve: cannot use .*a-file \(where the data directory .* would be created\): it is not a directory\n$/);
    assert.equal(result.stdout, "");
  });
});
