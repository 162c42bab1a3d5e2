/**
 * The events of a request, as CloudTrail records KMS, IAM and STS calls: one event per
 * request (two for a cross-account call, each with its own eventID and recipient), the
 * caller's userIdentity (or only the access key a failed authentication claimed), readOnly,
 * responseElements only where CloudTrail records them, resources, and key usage only for
 * a successful cryptographic operation, tied to the key owner's copy.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { buildEvents, claimedCredential, type UnauthenticatedCaller } from "../src/audit/events.ts";
import { newRequestAudit, type RequestAudit } from "../src/audit/requestAudit.ts";
import { assumedRolePrincipal, rootPrincipal, userPrincipal } from "../src/identity/principal.ts";
import type { KeyRecord } from "../src/keys/records.ts";

const A = "111111111111";
const B = "222222222222";
const NO_CALLER: UnauthenticatedCaller = { accessKeyId: undefined, accountId: "", keyKnown: false, region: undefined };

function key(accountId: string, keyId: string): KeyRecord {
  return { keyId, revision: 0, accountId, region: "eu-west-1", createdAtMs: 0, description: "", keySpec: "SYMMETRIC_DEFAULT", keyUsage: "ENCRYPT_DECRYPT", origin: "AWS_KMS", keyManager: "CUSTOMER", state: "Enabled", policy: "{}", tags: [], multiRegion: false };
}

function request(fields: Partial<RequestAudit>): RequestAudit {
  const audit = newRequestAudit({ requestId: "req-1", timeMs: Date.UTC(2025, 4, 20, 20, 46, 16, 500), sourceIp: "192.0.2.0", userAgent: "ua", authorization: undefined });
  return Object.assign(audit, fields);
}

const records = (audit: RequestAudit, caller = NO_CALLER) => buildEvents(audit, caller, "us-east-1").events.map((event) => JSON.parse(event.record) as Record<string, unknown>);

describe("audit events", () => {
  it("an Encrypt by an IAM user is one readOnly event with the key as resource and no responseElements", () => {
    const user = userPrincipal({ accountId: A, userId: "AIDAEXAMPLE", userName: "alice", path: "/", tags: [] }, "AKIAALICE");
    const encrypting = key(A, "k1");
    const audit = request({ operation: "Encrypt", region: "eu-west-1", principal: user, input: { KeyId: "alias/x", Plaintext: Buffer.from("p") }, output: { KeyId: "arn", CiphertextBlob: Buffer.from("c") }, keys: [encrypting] });
    const built = buildEvents(audit, NO_CALLER, "us-east-1");
    const [record, ...rest] = built.events.map((event) => JSON.parse(event.record) as Record<string, unknown>);
    assert.equal(rest.length, 0);
    assert.deepEqual(record, {
      awsRegion: "eu-west-1",
      eventCategory: "Management",
      eventID: record?.eventID,
      eventName: "Encrypt",
      eventSource: "kms.amazonaws.com",
      eventTime: "2025-05-20T20:46:16Z",
      eventType: "AwsApiCall",
      eventVersion: "1.11",
      managementEvent: true,
      readOnly: true,
      recipientAccountId: A,
      requestID: "req-1",
      requestParameters: { keyId: "alias/x" },
      resources: [{ ARN: `arn:aws:kms:eu-west-1:${A}:key/k1`, accountId: A, type: "AWS::KMS::Key" }],
      responseElements: null,
      sourceIPAddress: "192.0.2.0",
      userAgent: "ua",
      userIdentity: { type: "IAMUser", principalId: "AIDAEXAMPLE", arn: `arn:aws:iam::${A}:user/alice`, accountId: A, accessKeyId: "AKIAALICE", userName: "alice" },
    });
    assert.deepEqual(built.usages, [{ keyArn: `arn:aws:kms:eu-west-1:${A}:key/k1`, operation: "Encrypt", timeMs: audit.timeMs, eventId: record?.eventID, requestId: "req-1" }]);
  });

  it("a cross-account call is recorded for the caller's account and the key owner's, each with its own eventID", () => {
    const audit = request({ operation: "Decrypt", region: "eu-west-1", principal: rootPrincipal(A, "AKIAROOT"), input: {}, output: {}, keys: [key(B, "theirs")] });
    const { events, usages } = buildEvents(audit, NO_CALLER, "us-east-1");
    assert.deepEqual(events.map((event) => event.accountId), [A, B]);
    const [mine, theirs] = events.map((event) => JSON.parse(event.record) as Record<string, unknown>);
    assert.deepEqual([mine?.recipientAccountId, theirs?.recipientAccountId], [A, B]);
    assert.notEqual(mine?.eventID, theirs?.eventID);
    assert.equal(mine?.requestID, theirs?.requestID);
    assert.deepEqual(usages.map((usage) => usage.eventId), [theirs?.eventID], "the key's usage points at the owner's copy");
  });

  it("an assumed-role session shows its session issuer", () => {
    const session = assumedRolePrincipal({ accountId: A, roleId: "AROAEXAMPLE", roleName: "app", rolePath: "/", sessionName: "s1", expiresAtMs: 0 }, "ASIAEXAMPLE", undefined, []);
    const [record] = records(request({ service: "sts", operation: "GetCallerIdentity", region: "eu-west-1", principal: session, input: {}, output: { Account: A } }));
    assert.deepEqual(record?.userIdentity, {
      type: "AssumedRole",
      principalId: "AROAEXAMPLE:s1",
      arn: `arn:aws:sts::${A}:assumed-role/app/s1`,
      accountId: A,
      accessKeyId: "ASIAEXAMPLE",
      sessionContext: { sessionIssuer: { type: "Role", principalId: "AROAEXAMPLE", arn: `arn:aws:iam::${A}:role/app`, accountId: A, userName: "app" }, attributes: { mfaAuthenticated: "false" } },
    });
    assert.equal(record?.responseElements, null, "GetCallerIdentity records no response");
    assert.equal(record?.readOnly, true);
  });

  it("IAM events are recorded in us-east-1 whatever region the request was signed for", () => {
    const [record] = records(request({ service: "iam", operation: "CreateUser", region: "eu-west-1", principal: rootPrincipal(A, "AKIAROOT"), input: { UserName: "bob" }, output: { User: { UserName: "bob" } } }));
    assert.equal(record?.awsRegion, "us-east-1");
    assert.equal(record?.eventSource, "iam.amazonaws.com");
    assert.equal(record?.readOnly, false);
    assert.deepEqual(record?.responseElements, { user: { userName: "bob" } });
  });

  const failures: { name: string; caller: UnauthenticatedCaller; identity: unknown; recipient: string; region: string }[] = [
    {
      name: "a known access key with a bad signature: the key and its account",
      caller: { accessKeyId: "AKIAKNOWN", accountId: B, keyKnown: true, region: "eu-west-1" },
      identity: { type: "Unknown", accountId: B, accessKeyId: "AKIAKNOWN" },
      recipient: B,
      region: "eu-west-1",
    },
    {
      name: "an unknown access key: only the key, kept in the default account's trail",
      caller: { accessKeyId: "AKIAUNKNOWN", accountId: A, keyKnown: false, region: undefined },
      identity: { type: "Unknown", accessKeyId: "AKIAUNKNOWN" },
      recipient: A,
      region: "us-east-1",
    },
    {
      name: "no signature at all",
      caller: { accessKeyId: undefined, accountId: A, keyKnown: false, region: undefined },
      identity: { type: "Unknown" },
      recipient: A,
      region: "us-east-1",
    },
  ];
  for (const { name, caller, identity, recipient, region } of failures) {
    it(`a failed authentication records what is known: ${name}`, () => {
      const [record] = records(request({ operation: "Encrypt", errorCode: "UnrecognizedClientException", errorMessage: "The security token included in the request is invalid.", body: { KeyId: "k", Plaintext: "c2VjcmV0" } }), caller);
      assert.deepEqual(record?.userIdentity, identity);
      assert.equal(record?.recipientAccountId, recipient);
      assert.equal(record?.awsRegion, region);
      assert.equal(record?.errorCode, "UnrecognizedClientException");
      assert.deepEqual(record?.requestParameters, { keyId: "k" });
    });
  }

  it("a request whose operation is unknown is recorded as such, with no parameters", () => {
    const [record] = records(request({ errorCode: "UnknownOperationException", errorMessage: "Missing X-Amz-Target header" }), { ...NO_CALLER, accountId: A });
    assert.equal(record?.eventName, "Unknown");
    assert.equal(record?.readOnly, false);
    assert.equal(record?.requestParameters, null);
  });

  it("a failed cryptographic operation and a successful non-cryptographic one record no key usage", () => {
    const root = rootPrincipal(A, "AKIAROOT");
    const failed = request({ operation: "Encrypt", principal: root, keys: [key(A, "k")], errorCode: "DisabledException", errorMessage: "disabled" });
    const described = request({ operation: "DescribeKey", principal: root, keys: [key(A, "k")], output: {} });
    assert.deepEqual(buildEvents(failed, NO_CALLER, "us-east-1").usages, []);
    assert.deepEqual(buildEvents(described, NO_CALLER, "us-east-1").usages, []);
  });

  it("a management call records its response: ScheduleKeyDeletion's date as CloudTrail writes it", () => {
    const [record] = records(
      request({ operation: "ScheduleKeyDeletion", principal: rootPrincipal(A, "AKIAROOT"), input: { KeyId: "k", PendingWindowInDays: 20 }, output: { KeyId: "arn", DeletionDate: new Date(Date.UTC(2021, 3, 12, 18, 58, 30)), KeyState: "PendingDeletion", PendingWindowInDays: 20 } }),
    );
    assert.equal(record?.readOnly, false);
    assert.deepEqual(record?.responseElements, { keyId: "arn", deletionDate: "Apr 12, 2021, 6:58:30 PM", keyState: "PendingDeletion", pendingWindowInDays: 20 });
  });

  it("each event's eventTime is its own second, when events of two seconds alternate", () => {
    const at = (timeMs: number) => records(Object.assign(newRequestAudit({ requestId: "r", timeMs, sourceIp: "192.0.2.0", userAgent: "ua", authorization: undefined }), { operation: "ListKeys", principal: rootPrincipal(A, "AKIAROOT") }))[0]?.eventTime;
    const first = Date.UTC(2025, 4, 20, 20, 46, 16, 999);
    assert.deepEqual([at(first), at(first + 1), at(first - 998), at(first + 1001)], ["2025-05-20T20:46:16Z", "2025-05-20T20:46:17Z", "2025-05-20T20:46:16Z", "2025-05-20T20:46:18Z"]);
  });

  const headers: { header: string | undefined; expected: ReturnType<typeof claimedCredential> }[] = [
    { header: "AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20250101/eu-west-1/kms/aws4_request, SignedHeaders=host, Signature=00", expected: { accessKeyId: "AKIAEXAMPLE", region: "eu-west-1" } },
    { header: "Bearer token", expected: undefined },
    { header: undefined, expected: undefined },
  ];
  for (const { header, expected } of headers) {
    it(`the claimed credential of ${JSON.stringify(header)} is ${JSON.stringify(expected)}`, () => assert.deepEqual(claimedCredential(header), expected));
  }
});
