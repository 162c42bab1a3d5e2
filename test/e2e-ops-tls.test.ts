/**
 * End to end: `kmsd serve --tls-cert --tls-key` serves HTTPS only; the AWS SDK
 * (NODE_EXTRA_CA_CERTS) and the AWS CLI (AWS_CA_BUNDLE) reach it through a CA of the
 * operator's; SIGHUP serves a renewed certificate to new connections without dropping the
 * open ones, with one process and with --workers.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFileSync, readFileSync } from "node:fs";
import { Agent, request as httpsRequest } from "node:https";
import { connect as tlsConnect, type TLSSocket } from "node:tls";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, describe, it } from "node:test";
import { createTestCa, type TestCa } from "./support/certificates.ts";
import { rawRequest, runKmsdCli, signedHeaders, startKmsd, type Kmsd } from "./support/kmsd.ts";
import { isLoopbackHost } from "../src/server/tls.ts";

const run = promisify(execFile);
const ROOT = new URL("..", import.meta.url).pathname;

/** The common name of the certificate a new connection to `port` is shown. */
async function servedName(port: number, ca: TestCa): Promise<string> {
  const socket = await new Promise<TLSSocket>((resolve, reject) => {
    const s = tlsConnect({ host: "127.0.0.1", port, ca: readFileSync(ca.caCert) }, () => resolve(s));
    s.once("error", reject);
  });
  const name = socket.getPeerCertificate().subject.CN;
  socket.destroy();
  return String(name);
}

/** A signed ListKeys over HTTPS on `agent`; resolves to the status and the socket it went over. */
async function listKeys(kmsd: Kmsd, agent: Agent): Promise<{ status: number; socket: TLSSocket }> {
  const body = "{}";
  const headers = await signedHeaders(
    kmsd.endpoint,
    { method: "POST", path: "/", headers: { host: `127.0.0.1:${kmsd.port}`, "content-type": "application/x-amz-json-1.1", "x-amz-target": "TrentService.ListKeys" }, body },
    { credentials: kmsd.credentials },
  );
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: "127.0.0.1", port: kmsd.port, method: "POST", path: "/", headers, agent }, (res) => {
      // Taken now: the agent detaches the socket from the response once it is read.
      const socket = res.socket as TLSSocket;
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, socket }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** Waits until `pattern` occurs `count` times in the server's log. */
async function waitForLog(kmsd: Kmsd, pattern: RegExp, count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((kmsd.stderr().match(new RegExp(pattern, "g")) ?? []).length < count) {
    if (Date.now() > deadline) throw new Error(`log never showed ${pattern} ${count} times:\n${kmsd.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("kmsd serve over TLS", () => {
  let ca: TestCa;
  before(() => {
    ca = createTestCa();
  });

  describe("one process", () => {
    let kmsd: Kmsd;
    let live: { cert: string; key: string };
    before(async () => {
      const first = ca.issue("kmsd-first");
      // The server reads the files it was given again on SIGHUP: the test renews them in place.
      live = { cert: join(ca.dir, "live.pem"), key: join(ca.dir, "live.key") };
      copyFileSync(first.cert, live.cert);
      copyFileSync(first.key, live.key);
      kmsd = await startKmsd({ args: ["--tls-cert", live.cert, "--tls-key", live.key] });
    });
    after(() => kmsd.dispose());

    it("announces an https:// endpoint and answers nothing over plain HTTP", async () => {
      assert.match(kmsd.stderr(), /listening on https:\/\/127\.0\.0\.1:/);
      await assert.rejects(rawRequest(`http://127.0.0.1:${kmsd.port}`, { path: "/health", method: "GET", timeoutMs: 3000 }));
    });

    it("the AWS SDK trusts it through NODE_EXTRA_CA_CERTS", async () => {
      const script = `
        import { KMSClient, CreateKeyCommand, EncryptCommand, DecryptCommand } from "@aws-sdk/client-kms";
        const kms = new KMSClient({ endpoint: process.env.ENDPOINT, region: "us-east-1", maxAttempts: 1 });
        const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
        const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: KeyMetadata.KeyId, Plaintext: Buffer.from("over tls") }));
        const { Plaintext } = await kms.send(new DecryptCommand({ CiphertextBlob }));
        process.stdout.write(Buffer.from(Plaintext).toString());`;
      const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], {
        cwd: ROOT,
        env: {
          ...process.env,
          NODE_EXTRA_CA_CERTS: ca.caCert,
          ENDPOINT: kmsd.endpoint,
          AWS_ACCESS_KEY_ID: kmsd.credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: kmsd.credentials.secretAccessKey,
        },
      });
      assert.equal(stdout, "over tls");
    });

    it("the AWS CLI trusts it through AWS_CA_BUNDLE, and refuses it without", async () => {
      const env = {
        ...process.env,
        AWS_ACCESS_KEY_ID: kmsd.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: kmsd.credentials.secretAccessKey,
        AWS_DEFAULT_REGION: "us-east-1",
        AWS_CONFIG_FILE: "/dev/null",
        AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
        AWS_MAX_ATTEMPTS: "1",
      };
      const { stdout } = await run("aws", ["kms", "list-keys", "--endpoint-url", kmsd.endpoint, "--output", "json"], { env: { ...env, AWS_CA_BUNDLE: ca.caCert } });
      assert.ok(Array.isArray((JSON.parse(stdout) as { Keys: unknown[] }).Keys));
      await assert.rejects(run("aws", ["kms", "list-keys", "--endpoint-url", kmsd.endpoint], { env }), /SSL|certificate/i);
    });

    it("SIGHUP serves the renewed certificate to new connections and keeps the open ones", async () => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1, ca: readFileSync(ca.caCert) });
      try {
        const before = await listKeys(kmsd, agent);
        assert.equal(before.status, 200);
        assert.equal(before.socket.getPeerCertificate().subject.CN, "kmsd-first");

        const renewed = ca.issue("kmsd-renewed");
        copyFileSync(renewed.cert, live.cert);
        copyFileSync(renewed.key, live.key);
        kmsd.process.kill("SIGHUP");
        await waitForLog(kmsd, /TLS certificate reloaded/, 1);

        const again = await listKeys(kmsd, agent);
        assert.equal(again.status, 200);
        assert.equal(again.socket, before.socket, "the kept-alive connection was not dropped");
        assert.equal(await servedName(kmsd.port, ca), "kmsd-renewed");
        assert.equal(kmsd.process.exitCode, null);
      } finally {
        agent.destroy();
      }
    });

    it("a broken certificate file on SIGHUP is refused and the previous one stays", async () => {
      const served = await servedName(kmsd.port, ca);
      copyFileSync(ca.caCert, live.key); // not a private key
      kmsd.process.kill("SIGHUP");
      await waitForLog(kmsd, /TLS certificate not reloaded/, 1);
      assert.equal(await servedName(kmsd.port, ca), served);
    });
  });

  it("with --workers 2, SIGHUP to kmsd reaches every worker", async () => {
    const first = ca.issue("workers-first");
    const live = { cert: join(ca.dir, "workers.pem"), key: join(ca.dir, "workers.key") };
    copyFileSync(first.cert, live.cert);
    copyFileSync(first.key, live.key);
    const kmsd = await startKmsd({ args: ["--workers", "2", "--log-level", "debug", "--tls-cert", live.cert, "--tls-key", live.key] });
    try {
      await waitForLog(kmsd, /"message":"listening"/, 2);
      const renewed = ca.issue("workers-renewed");
      copyFileSync(renewed.cert, live.cert);
      copyFileSync(renewed.key, live.key);
      kmsd.process.kill("SIGHUP");
      await waitForLog(kmsd, /TLS certificate reloaded/, 2);
      // Connections are handed to the workers in turn: several new ones reach both.
      for (let i = 0; i < 6; i++) assert.equal(await servedName(kmsd.port, ca), "workers-renewed");
    } finally {
      await kmsd.dispose();
    }
  });

  it("--tls-cert without --tls-key is bad usage, and an unreadable certificate stops the start", async () => {
    const pair = ca.issue("usage");
    const alone = await runKmsdCli(["serve", "--port", "0", "--data-dir", join(ca.dir, "never"), "--tls-cert", pair.cert]);
    assert.equal(alone.code, 2);
    assert.match(alone.stderr, /--tls-cert and --tls-key go together/);
    const missing = await runKmsdCli(["serve", "--port", "0", "--data-dir", join(ca.dir, "never"), "--tls-cert", join(ca.dir, "nope.pem"), "--tls-key", pair.key]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /cannot use the TLS certificate/);
  });

  it("only loopback addresses count as this machine (others without TLS are warned about)", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "::1", "localhost"]) assert.equal(isLoopbackHost(host), true, host);
    for (const host of ["0.0.0.0", "::", "10.0.0.1", "192.168.1.10", "kms.example.com"]) assert.equal(isLoopbackHost(host), false, host);
  });
});
