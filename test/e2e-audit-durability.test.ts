/**
 * End to end: an acknowledged request's event survives kill -9 (each response waits for
 * the commit of its batch), and the audit trail fails closed: when events cannot be
 * written every request fails with KMSInternalException and nothing else changes.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { CreateUserCommand, ListUsersCommand } from "@aws-sdk/client-iam";
import { CreateKeyCommand, DescribeKeyCommand, EncryptCommand, ListKeysCommand } from "@aws-sdk/client-kms";
import { LookupEventsCommand } from "@aws-sdk/client-cloudtrail";
import { cloudTrailClient, iamClient, requestIdOf, storedEvents } from "./support/audit.ts";
import { expectAwsError, rawRequest, runKmsdCli, startKmsd, type Kmsd } from "./support/kmsd.ts";

describe("audit trail: durability and fail closed", () => {
  const dataDirs: string[] = [];
  const running: Kmsd[] = [];
  const freshDataDir = () => {
    const dir = mkdtempSync(join(tmpdir(), "kmsd-audit-durability-"));
    dataDirs.push(dir);
    return dir;
  };
  /** Starts kmsd on `dataDir`, with KMSD_TEST_AUDIT_FAIL set to `fault` for that process only. */
  const start = async (dataDir: string, fault?: string) => {
    if (fault !== undefined) process.env.KMSD_TEST_AUDIT_FAIL = fault;
    try {
      const kmsd = await startKmsd({ dataDir });
      running.push(kmsd);
      return kmsd;
    } finally {
      delete process.env.KMSD_TEST_AUDIT_FAIL;
    }
  };
  after(async () => {
    for (const kmsd of running) await kmsd.stop();
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  });

  it("kill -9 during a burst loses the event of no acknowledged request, and the chain verifies after restart", async () => {
    const dataDir = freshDataDir();
    const kmsd = await start(dataDir);
    const kms = kmsd.kms();
    const keyId = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId;
    const TOTAL = 600;
    const CONCURRENCY = 40;
    const KILL_AFTER_ACKS = 200;
    const acknowledged: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < TOTAL) {
        next++;
        try {
          const answer = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("burst") }));
          acknowledged.push(requestIdOf(answer));
          if (acknowledged.length === KILL_AFTER_ACKS) kmsd.process.kill("SIGKILL");
        } catch {
          // Calls in flight when the server died fail: they were never acknowledged.
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    assert.ok(acknowledged.length >= KILL_AFTER_ACKS && acknowledged.length < TOTAL, `${acknowledged.length} acknowledged before the kill`);

    const restarted = await start(dataDir);
    const recorded = new Set(storedEvents(dataDir).map((event) => event.requestId));
    const lost = acknowledged.filter((id) => !recorded.has(id));
    assert.deepEqual(lost, [], "every acknowledged request has its event");
    // New events continue the chain, and the whole chain still verifies.
    await restarted.kms().send(new DescribeKeyCommand({ KeyId: keyId }));
    const verified = await runKmsdCli(["audit", "verify", "--data-dir", dataDir]);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
  });

  it("with the audit store failed from the start, every request fails with KMSInternalException and nothing changes", async () => {
    const dataDir = freshDataDir();
    const failed = await start(dataDir, "1");
    await expectAwsError(failed.kms().send(new CreateKeyCommand({})), "KMSInternalException");
    await expectAwsError(failed.kms().send(new ListKeysCommand({})), "KMSInternalException");
    await expectAwsError(iamClient(failed).send(new CreateUserCommand({ UserName: "nobody" })), "InternalFailure");
    await expectAwsError(cloudTrailClient(failed).send(new LookupEventsCommand({})), "KMSInternalException");
    assert.equal((await rawRequest(failed.endpoint, { method: "GET", path: "/health" })).status, 503, "GET /health says so");
    await failed.stop();

    const healthy = await start(dataDir);
    assert.deepEqual((await healthy.kms().send(new ListKeysCommand({}))).Keys, [], "no key was created");
    assert.deepEqual((await iamClient(healthy).send(new ListUsersCommand({}))).Users, [], "no user was created");
    assert.deepEqual(
      storedEvents(dataDir).map((event) => event.record.eventName),
      ["ListKeys", "ListUsers"],
      "only the healthy server's requests were recorded",
    );
    await healthy.stop();
  });

  it("when a commit fails, that request fails, and every later request is refused before it changes anything", async () => {
    const dataDir = freshDataDir();
    const kmsd = await start(dataDir, "after:2");
    const kms = kmsd.kms();
    const keyId = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId;
    await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("ok") }));
    // The third event cannot be written: the request that made it fails...
    await expectAwsError(kms.send(new DescribeKeyCommand({ KeyId: keyId })), "KMSInternalException");
    // ...and from then on requests are refused before their handler runs.
    await expectAwsError(kms.send(new CreateKeyCommand({ Description: "never" })), "KMSInternalException");
    assert.match(kmsd.stderr(), /audit event not recorded/);
    await kmsd.stop();

    const healthy = await start(dataDir);
    assert.deepEqual((await healthy.kms().send(new ListKeysCommand({}))).Keys?.map((key) => key.KeyId), [keyId], "the refused CreateKey made no key");
    await healthy.stop();
  });
});
