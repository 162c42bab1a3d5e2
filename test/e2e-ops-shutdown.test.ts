/**
 * End to end: SIGTERM/SIGINT stop kmsd gracefully. New connections are refused at once;
 * requests in flight at the signal all get their answers and their audit records; then the
 * audit writer is flushed, the databases closed, and the process exits 0. Requests still
 * unfinished at `--shutdown-timeout` are cut so that the stop stays bounded.
 */
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { describe, it } from "node:test";
import { CreateKeyCommand, KMSClient, ListKeysCommand } from "@aws-sdk/client-kms";
import { requestIdOf, storedEvents } from "./support/audit.ts";
import { rawRequest, signedHeaders, startKmsd, type Kmsd } from "./support/kmsd.ts";

/**
 * A signed ListKeys sent in two parts: headers and half the body now, the rest when `finish`
 * is called. Until then the request is in flight at the server (its body is being read).
 */
async function halfSentRequest(kmsd: Kmsd): Promise<{ finish(): void; answer: Promise<{ status: number; requestId: string }> }> {
  const body = JSON.stringify({ Limit: 10 });
  const headers = await signedHeaders(
    kmsd.endpoint,
    { method: "POST", path: "/", headers: { host: `127.0.0.1:${kmsd.port}`, "content-type": "application/x-amz-json-1.1", "x-amz-target": "TrentService.ListKeys", "content-length": String(body.length) }, body },
    { credentials: kmsd.credentials },
  );
  const socket: Socket = connect(kmsd.port, "127.0.0.1");
  await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
  const head = ["POST / HTTP/1.1", ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)].join("\r\n");
  socket.write(`${head}\r\n\r\n${body.slice(0, 5)}`);
  let received = "";
  const answer = new Promise<{ status: number; requestId: string }>((resolve, reject) => {
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("utf8");
      const end = received.indexOf("\r\n\r\n");
      const length = Number(/content-length: (\d+)/i.exec(received)?.[1] ?? NaN);
      if (end !== -1 && received.length - end - 4 >= length) {
        resolve({ status: Number(received.slice(9, 12)), requestId: /x-amzn-requestid: (\S+)/i.exec(received)?.[1] ?? "" });
        socket.destroy();
      }
    });
    socket.on("close", () => reject(new Error(`connection closed before the answer; received: ${JSON.stringify(received)}`)));
    socket.on("error", () => undefined);
  });
  answer.catch(() => undefined); // awaited later; a cut connection is not an unhandled rejection meanwhile
  return { finish: () => socket.write(body.slice(5)), answer };
}

async function exitOf(kmsd: Kmsd): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (kmsd.process.exitCode !== null) return { code: kmsd.process.exitCode, signal: null };
  return new Promise((resolve) => kmsd.process.once("exit", (code, signal) => resolve({ code, signal })));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const workers of [1, 2]) {
  describe(`graceful shutdown, --workers ${workers}`, () => {
    for (const signal of workers === 1 ? (["SIGTERM", "SIGINT"] as const) : (["SIGTERM"] as const)) {
      it(`${signal}: every request in flight is answered and audited, then kmsd exits 0`, async () => {
        const kmsd = await startKmsd({ args: ["--workers", String(workers), "--log-level", "debug"] });
        try {
          const deadline = Date.now() + 10_000;
          while ((kmsd.stderr().match(/"message":"listening"/g) ?? []).length < workers && Date.now() < deadline) await sleep(50);
          // Two requests certainly in flight: their bodies are only half sent until after the signal.
          const halfSent = await Promise.all([halfSentRequest(kmsd), halfSentRequest(kmsd)]);
          // And slow ones (RSA key generation), each on a connection of its own that a first
          // call opened, so that it goes over a connection the server has already accepted.
          const clients = Array.from({ length: 6 }, () => new KMSClient({ endpoint: kmsd.endpoint, region: "us-east-1", credentials: kmsd.credentials, maxAttempts: 1 }));
          await Promise.all(clients.map((client) => client.send(new ListKeysCommand({}))));
          await sleep(200);
          const slow = clients.map((client) => client.send(new CreateKeyCommand({ KeySpec: "RSA_3072", KeyUsage: "SIGN_VERIFY" })));
          await sleep(50);

          kmsd.process.kill(signal);
          const exit = exitOf(kmsd);
          await sleep(300);
          if (workers === 1) {
            // Nothing new is accepted once the signal came.
            await assert.rejects(rawRequest(kmsd.endpoint, { method: "GET", path: "/health", timeoutMs: 2000 }));
          }
          for (const request of halfSent) request.finish();

          const answers = await Promise.all(slow);
          const raw = await Promise.all(halfSent.map((request) => request.answer));
          for (const client of clients) client.destroy();
          assert.deepEqual(raw.map((answer) => answer.status), [200, 200]);
          assert.deepEqual(await exit, { code: 0, signal: null });

          // The audit writer was flushed before the exit: each answered request has its event.
          for (const requestId of [...answers.map(requestIdOf), ...raw.map((answer) => answer.requestId)]) {
            assert.equal(storedEvents(kmsd.dataDir, requestId).length, 1, `no audit event for ${requestId}`);
          }
        } finally {
          await kmsd.dispose();
        }
      });
    }

    it("a request still unfinished at --shutdown-timeout is cut, and the stop stays bounded", async () => {
      const kmsd = await startKmsd({ args: ["--workers", String(workers), "--log-level", "debug", "--shutdown-timeout", "1"] });
      try {
        const deadline = Date.now() + 10_000;
        while ((kmsd.stderr().match(/"message":"listening"/g) ?? []).length < workers && Date.now() < deadline) await sleep(50);
        const stuck = await halfSentRequest(kmsd); // its body never ends
        await sleep(200);
        const started = Date.now();
        kmsd.process.kill("SIGTERM");
        assert.deepEqual(await exitOf(kmsd), { code: 0, signal: null });
        const took = Date.now() - started;
        assert.ok(took >= 900 && took < 8000, `stopped after ${took} ms`);
        await assert.rejects(stuck.answer, /connection closed before the answer/);
      } finally {
        await kmsd.dispose();
      }
    });
  });
}
