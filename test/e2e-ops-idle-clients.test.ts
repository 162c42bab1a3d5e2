/**
 * End to end: idle clients cannot hold the server. 1,000 connections that send nothing are
 * closed by the headers deadline (server/httpConnection.ts; shortened here through
 * KMSD_TEST_REQUEST_TIMEOUT_MS so the test need not wait 10 s), and while they are open,
 * normal requests are still answered.
 */
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { EncryptCommand, CreateKeyCommand } from "@aws-sdk/client-kms";
import { startKmsd, type Kmsd } from "./support/kmsd.ts";

const IDLE_CONNECTIONS = 1000;
/** Long enough that a busy machine answers a request before the idle connections' deadline. */
const DEADLINE_MS = 5000;

describe("idle connections", () => {
  let kmsd: Kmsd;
  before(async () => {
    process.env.KMSD_TEST_REQUEST_TIMEOUT_MS = String(DEADLINE_MS);
    try {
      kmsd = await startKmsd();
    } finally {
      delete process.env.KMSD_TEST_REQUEST_TIMEOUT_MS;
    }
  });
  after(() => kmsd.dispose());

  it(`${IDLE_CONNECTIONS} connections that send nothing are closed, and normal requests still answer meanwhile`, async () => {
    const keyId = (await kmsd.kms().send(new CreateKeyCommand({}))).KeyMetadata?.KeyId;
    const opened = performance.now();
    const closedAfter: number[] = [];
    const sockets: Socket[] = [];
    await Promise.all(
      Array.from({ length: IDLE_CONNECTIONS }, async () => {
        const socket = connect(kmsd.port, "127.0.0.1");
        sockets.push(socket);
        socket.on("error", () => undefined); // a reset is a close too
        socket.on("data", () => undefined);
        socket.once("close", () => closedAfter.push(performance.now() - opened));
        await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
      }),
    );

    // While they are all open, the server answers.
    const kms = kmsd.kms();
    for (let i = 0; i < 5; i++) await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("still serving") }));
    assert.equal(closedAfter.length, 0, "idle connections were closed before the requests ran: the test proves nothing");

    // Every idle connection is closed by the server, not long after the deadline.
    const deadline = Date.now() + 30_000;
    while (closedAfter.length < IDLE_CONNECTIONS && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    try {
      assert.equal(closedAfter.length, IDLE_CONNECTIONS, "every idle connection was closed");
      assert.ok(Math.min(...closedAfter) >= DEADLINE_MS * 0.9, `one was closed after ${Math.min(...closedAfter)} ms, before the deadline`);
    } finally {
      for (const socket of sockets) socket.destroy();
    }
    // And the server still answers afterwards.
    await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("after") }));
  });
});
