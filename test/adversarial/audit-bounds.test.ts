/**
 * Hostile input against the audit trail's size: any authenticated caller, even one allowed
 * nothing, could make kmsd store a record as large as twice its request body (a 500 KB
 * Description was recorded in requestParameters and again in the echoed errorMessage: 1 MB of
 * audit.db per request, answered with the whole value). Messages now quote a bounded prefix,
 * a parameter over its model limit is recorded cut with a marker, and every record is capped
 * (src/audit/recordSize.ts); the chain still verifies.
 */
import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CreateUserCommand } from "@aws-sdk/client-iam";
import { CreateKeyCommand, PutKeyPolicyCommand } from "@aws-sdk/client-kms";
import { MAX_RECORD_BYTES } from "../../src/audit/recordSize.ts";
import { failure, iamClient, requestIdOf, storedEvents } from "../support/audit.ts";
import { rawRequest, runKmsdCli, startKmsd, type Kmsd } from "../support/kmsd.ts";

/** What a short answer is: a validation message of bounded quotes, far below any request body here. */
const SHORT_ANSWER_CHARS = 8 * 1024;
/** The audit.db growth allowed per oversized request (the issue measured 1 MB). */
const MAX_GROWTH_PER_REQUEST = 64 * 1024;

const auditDbSize = (dataDir: string) => statSync(join(dataDir, "audit.db")).size;

/** The stored record of the request with this id (one event: the caller's own account). */
function recordOf(dataDir: string, requestId: string): { record: Record<string, unknown>; bytes: number } {
  const [event, ...others] = storedEvents(dataDir, requestId);
  assert.ok(event, `no event for request ${requestId}`);
  assert.equal(others.length, 0);
  return { record: event.record, bytes: Buffer.byteLength(JSON.stringify(event.record)) };
}

describe("audit trail: a hostile request cannot grow it without bound", () => {
  let kmsd: Kmsd;
  let dataDir: string;
  let keyId: string;

  before(async () => {
    kmsd = await startKmsd();
    dataDir = kmsd.dataDir;
    keyId = (await kmsd.kms().send(new CreateKeyCommand({}))).KeyMetadata?.KeyId ?? "";
  });
  after(() => kmsd.dispose());

  it("five CreateKey calls with a 500 KB Description grow audit.db by less than 64 KB each, and each answer is short", async () => {
    // Given audit.db at rest (the server stopped: its WAL checkpointed into the file)
    await kmsd.stop();
    const sizeBefore = auditDbSize(dataDir);
    kmsd = await startKmsd({ dataDir });
    const description = "d".repeat(500_000);
    // When five such requests are refused
    const requestIds: string[] = [];
    for (let i = 0; i < 5; i++) {
      const error = await failure(kmsd.kms().send(new CreateKeyCommand({ Description: description })));
      assert.equal(error.name, "ValidationException");
      assert.ok(error.message.length < SHORT_ANSWER_CHARS, `answer of ${error.message.length} characters`);
      assert.match(error.message, /^1 validation error detected: Value 'd+\.\.\.\[truncated from 500000 characters\]' at 'description' failed to satisfy constraint: Member must have length less than or equal to 8192$/);
      requestIds.push(requestIdOf(error));
    }
    await kmsd.stop();
    // Then the file grew by less than 64 KB per request
    const growth = (auditDbSize(dataDir) - sizeBefore) / requestIds.length;
    assert.ok(growth < MAX_GROWTH_PER_REQUEST, `audit.db grew by ${growth} bytes per request`);
    // And each record keeps the Description cut at its model limit (8192), with the marker
    for (const requestId of requestIds) {
      const { record } = recordOf(dataDir, requestId);
      const recorded = (record.requestParameters as { description: string }).description;
      assert.equal(recorded, `${"d".repeat(8192)}...[truncated from 500000 characters]`);
      assert.equal(record.errorCode, "ValidationException");
      assert.ok((record.errorMessage as string).length < SHORT_ANSWER_CHARS);
    }
    kmsd = await startKmsd({ dataDir });
  });

  it("a request with thousands of violations gets a message cut at 4096 characters", async () => {
    // 15,000 tags with empty keys (420 KB of body): each is a violation of its own (tags.N.member.tagKey)
    const tags = Array.from({ length: 15_000 }, () => ({ TagKey: "", TagValue: "" }));
    const error = await failure(kmsd.kms().send(new CreateKeyCommand({ Tags: tags })));
    assert.equal(error.name, "ValidationException");
    assert.match(error.message, /^15000 validation errors detected: Value '' at 'tags\.1\.member\.tagKey' failed/);
    assert.match(error.message, /\.\.\.\[truncated from \d+ characters\]$/);
    assert.ok(error.message.length < 4096 + 64, `message of ${error.message.length} characters`);
    assert.ok(recordOf(dataDir, requestIdOf(error)).bytes <= MAX_RECORD_BYTES);
  });

  it("an IAM request over its limits (Query protocol) is bounded the same way", async () => {
    const error = await failure(iamClient(kmsd).send(new CreateUserCommand({ UserName: "u".repeat(300_000) })));
    assert.equal(error.name, "ValidationError");
    assert.ok(error.message.length < SHORT_ANSWER_CHARS, `answer of ${error.message.length} characters`);
    const { record, bytes } = recordOf(dataDir, requestIdOf(error));
    assert.ok(bytes < MAX_GROWTH_PER_REQUEST, `record of ${bytes} bytes`);
    assert.equal((record.requestParameters as { userName: string }).userName, `${"u".repeat(64)}...[truncated from 300000 characters]`);
  });

  it("a large but well-formed request is capped at 256 KB: its requestParameters are omitted, the rest is kept", async () => {
    // 1,000 tags, each within every model limit: no value is cut, yet the parameters are ~300 KB
    const tags = Array.from({ length: 1_000 }, (_, i) => ({ TagKey: `key-${i}`, TagValue: "v".repeat(256) }));
    const error = await failure(kmsd.kms().send(new CreateKeyCommand({ Tags: tags })));
    assert.ok(error.message.length < SHORT_ANSWER_CHARS, `answer of ${error.message.length} characters`);
    const { record, bytes } = recordOf(dataDir, requestIdOf(error));
    assert.ok(bytes <= MAX_RECORD_BYTES, `record of ${bytes} bytes`);
    const omitted = record.requestParameters as { omitted: boolean; originalSize: number };
    assert.equal(omitted.omitted, true);
    assert.ok(omitted.originalSize > MAX_RECORD_BYTES);
    assert.equal(record.eventName, "CreateKey");
    assert.equal(record.errorCode, error.name);
  });

  it("a record under the cap is kept whole: a 27 KB key policy is recorded as sent", async () => {
    const statements = Array.from({ length: 250 }, (_, i) => ({
      Sid: `Statement${i}`,
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::${kmsd.accountId}:root` },
      Action: "kms:*",
      Resource: "*",
    }));
    const policy = JSON.stringify({ Version: "2012-10-17", Statement: statements });
    assert.ok(policy.length > 20_000);
    const answer = await kmsd.kms().send(new PutKeyPolicyCommand({ KeyId: keyId, PolicyName: "default", Policy: policy }));
    const { record } = recordOf(dataDir, requestIdOf(answer));
    assert.equal((record.requestParameters as { policy: string }).policy, policy);
  });

  it("an unknown operation with 15 KB of headers is recorded small and answered short", async () => {
    const response = await rawRequest(kmsd.endpoint, {
      target: `TrentService.${"X".repeat(7_000)}`,
      headers: { "user-agent": "a".repeat(7_000) },
      body: "{}",
    });
    assert.equal(response.status, 400);
    assert.equal(response.json().__type, "UnknownOperationException");
    assert.ok(response.body.length < 512);
    const requestId = String(response.headers["x-amzn-requestid"]);
    assert.ok(recordOf(dataDir, requestId).bytes < 16 * 1024);
  });

  it("every record still verifies: the hash chain holds over cut and capped records", async () => {
    await kmsd.stop();
    const verified = await runKmsdCli(["audit", "verify", "--data-dir", dataDir]);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    kmsd = await startKmsd({ dataDir });
  });
});
