/**
 * End to end: every request to kmsd (KMS, IAM, STS, CloudTrail), allowed, denied, invalid,
 * unauthenticated or unroutable, leaves exactly one CloudTrail event with its request id
 * (two for a cross-account call); the CloudTrail SDK and the AWS CLI read them back with
 * LookupEvents, each account seeing its own; GetKeyLastUsage answers from the recorded usage.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { CreateTrailCommand, LookupEventsCommand, type Event, type LookupAttributeKey } from "@aws-sdk/client-cloudtrail";
import { CreateAccessKeyCommand, CreateUserCommand, PutUserPolicyCommand } from "@aws-sdk/client-iam";
import {
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GetKeyLastUsageCommand,
  KMSClient,
  ListKeysCommand,
  ReEncryptCommand,
} from "@aws-sdk/client-kms";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { cloudTrailClient, failure, iamClient, requestIdOf, storedEvents, stsClient } from "./support/audit.ts";
import { createAccount, credentialsOf, expectAwsError, rawRequest, startKmsd, type Credentials, type Kmsd } from "./support/kmsd.ts";

const run = promisify(execFile);

describe("audit trail end to end", () => {
  let kmsd: Kmsd;
  let kms: KMSClient;
  let keyId: string;
  let keyArn: string;

  before(async () => {
    kmsd = await startKmsd();
    kms = kmsd.kms();
    const created = await kms.send(new CreateKeyCommand({ Description: "audited" }));
    keyId = created.KeyMetadata?.KeyId ?? "";
    keyArn = created.KeyMetadata?.Arn ?? "";
  });
  after(async () => kmsd.dispose());

  /** A user of the default account with the given inline policy (or none). */
  async function newUser(name: string, policy?: object): Promise<Credentials> {
    const iam = iamClient(kmsd);
    await iam.send(new CreateUserCommand({ UserName: name }));
    if (policy) await iam.send(new PutUserPolicyCommand({ UserName: name, PolicyName: "p", PolicyDocument: JSON.stringify(policy) }));
    const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: name }));
    return { accessKeyId: AccessKey?.AccessKeyId ?? "", secretAccessKey: AccessKey?.SecretAccessKey ?? "" };
  }

  it("every request leaves exactly one event with its request id, whatever step it fails at", async () => {
    const noPolicy = await newUser("no-policy");
    const wrongSecret = { ...kmsd.credentials, secretAccessKey: "x".repeat(40) };
    const signed = { credentials: kmsd.credentials };
    const raw = async (options: Parameters<typeof rawRequest>[1]) => String((await rawRequest(kmsd.endpoint, options)).headers["x-amzn-requestid"]);
    const cases: { name: string; requestId: string; expect: Record<string, unknown>; identity: string }[] = [
      {
        name: "an allowed Encrypt",
        requestId: requestIdOf(await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("x") }))),
        expect: { eventName: "Encrypt", eventSource: "kms.amazonaws.com", errorCode: undefined, readOnly: true },
        identity: "Root",
      },
      {
        name: "a call the user's policies do not allow",
        requestId: requestIdOf(await failure(kmsd.kms({ credentials: noPolicy }).send(new ListKeysCommand({})))),
        expect: { eventName: "ListKeys", errorCode: "AccessDeniedException" },
        identity: "IAMUser",
      },
      {
        name: "an invalid request",
        requestId: requestIdOf(await failure(kms.send(new GenerateDataKeyCommand({ KeyId: keyId, NumberOfBytes: 0 })))),
        expect: { eventName: "GenerateDataKey", errorCode: "ValidationException", requestParameters: { keyId, numberOfBytes: 0 } },
        identity: "Root",
      },
      {
        name: "a signature made with the wrong secret",
        requestId: requestIdOf(await failure(kmsd.kms({ credentials: wrongSecret }).send(new ListKeysCommand({})))),
        expect: { eventName: "ListKeys", errorCode: "InvalidSignatureException", recipientAccountId: kmsd.accountId },
        identity: "Unknown",
      },
      {
        name: "an unknown operation",
        requestId: await raw({ target: "TrentService.MakeCoffee", body: "{}", sign: signed }),
        expect: { eventName: "MakeCoffee", errorCode: "UnknownOperationException" },
        identity: "Unknown",
      },
      {
        name: "a body that is not JSON",
        requestId: await raw({ target: "TrentService.Encrypt", body: "{not json", sign: signed }),
        expect: { eventName: "Encrypt", errorCode: "SerializationException", requestParameters: null },
        identity: "Root",
      },
      {
        name: "no X-Amz-Target at all",
        requestId: await raw({ body: "{}" }),
        expect: { eventName: "Unknown", errorCode: "UnknownOperationException" },
        identity: "Unknown",
      },
      {
        name: "an IAM action that does not exist (its Query error code is recorded)",
        requestId: await raw({
          body: "Action=MakeCoffee&Version=2010-05-08",
          headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
          sign: { credentials: kmsd.credentials, service: "iam" },
        }),
        expect: { eventName: "MakeCoffee", eventSource: "iam.amazonaws.com", errorCode: "InvalidAction", awsRegion: "us-east-1" },
        identity: "Unknown",
      },
      {
        name: "an IAM call",
        requestId: requestIdOf(await iamClient(kmsd).send(new CreateUserCommand({ UserName: "audited-user" }))),
        expect: { eventName: "CreateUser", eventSource: "iam.amazonaws.com", awsRegion: "us-east-1", readOnly: false },
        identity: "Root",
      },
      {
        name: "an STS call",
        requestId: requestIdOf(await stsClient(kmsd).send(new GetCallerIdentityCommand({}))),
        expect: { eventName: "GetCallerIdentity", eventSource: "sts.amazonaws.com", readOnly: true },
        identity: "Root",
      },
      {
        name: "a CloudTrail call",
        requestId: requestIdOf(await cloudTrailClient(kmsd).send(new LookupEventsCommand({ MaxResults: 1 }))),
        expect: { eventName: "LookupEvents", eventSource: "cloudtrail.amazonaws.com", readOnly: true },
        identity: "Root",
      },
    ];
    for (const { name, requestId, expect, identity } of cases) {
      const events = storedEvents(kmsd.dataDir, requestId);
      assert.equal(events.length, 1, `${name}: one event for request ${requestId}`);
      const record = events[0]?.record ?? {};
      for (const [field, value] of Object.entries(expect)) assert.deepEqual(record[field], value, `${name}: ${field}`);
      assert.equal((record.userIdentity as { type?: string }).type, identity, `${name}: userIdentity.type`);
      assert.equal(record.requestID, requestId);
      assert.equal(record.eventID, events[0]?.eventId);
    }
  });

  it("a cross-account call is recorded in the caller's trail and the key owner's, each with its own eventID", async () => {
    const owner = await createAccount(kmsd.dataDir);
    const ownerKms = kmsd.kms({ credentials: credentialsOf(owner) });
    const policy = {
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${owner.AccountId}:root` }, Action: "kms:*", Resource: "*" },
        { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${kmsd.accountId}:root` }, Action: ["kms:Encrypt", "kms:Decrypt"], Resource: "*" },
      ],
    };
    const theirs = (await ownerKms.send(new CreateKeyCommand({ Policy: JSON.stringify(policy) }))).KeyMetadata?.Arn ?? "";
    const encrypted = await kms.send(new EncryptCommand({ KeyId: theirs, Plaintext: Buffer.from("cross") }));
    const requestId = requestIdOf(encrypted);

    const events = storedEvents(kmsd.dataDir, requestId);
    assert.deepEqual(events.map((event) => event.accountId).sort(), [kmsd.accountId, owner.AccountId].sort());
    assert.notEqual(events[0]?.eventId, events[1]?.eventId);
    for (const event of events) {
      assert.equal(event.record.recipientAccountId, event.accountId);
      assert.deepEqual(event.record.resources, [{ ARN: theirs, accountId: owner.AccountId, type: "AWS::KMS::Key" }]);
      assert.equal((event.record.userIdentity as { accountId?: string }).accountId, kmsd.accountId, "both copies name the caller");
    }
    // Each account finds its own copy with LookupEvents.
    const byRequest = async (credentials: Credentials) =>
      ((await cloudTrailClient(kmsd, credentials).send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: "ResourceName", AttributeValue: theirs }] }))).Events ?? []).filter(
        (event) => (JSON.parse(event.CloudTrailEvent ?? "{}") as { requestID?: string }).requestID === requestId,
      );
    const [mine] = await byRequest(kmsd.credentials);
    const [ownerCopy] = await byRequest(credentialsOf(owner));
    assert.ok(mine && ownerCopy);
    assert.notEqual(mine.EventId, ownerCopy.EventId);
    // The key owner's GetKeyLastUsage points at the owner's copy.
    const usage = await ownerKms.send(new GetKeyLastUsageCommand({ KeyId: theirs }));
    assert.equal(usage.KeyLastUsage?.CloudTrailEventId, ownerCopy.EventId);
    assert.equal(usage.KeyLastUsage?.KmsRequestId, requestId);
  });

  it("LookupEvents finds events by each lookup attribute, newest first, and only the caller's account's", async () => {
    const other = await createAccount(kmsd.dataDir);
    await kmsd.kms({ credentials: credentialsOf(other) }).send(new ListKeysCommand({}));
    const encryptId = requestIdOf(await kms.send(new EncryptCommand({ KeyId: keyArn, Plaintext: Buffer.from("find me") })));
    const [encryptEvent] = storedEvents(kmsd.dataDir, encryptId);
    const ct = cloudTrailClient(kmsd);
    const lookup = async (key: LookupAttributeKey, value: string) =>
      (await ct.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: key, AttributeValue: value }], MaxResults: 50 }))).Events ?? [];
    const cases: [LookupAttributeKey, string, (event: Event) => boolean][] = [
      ["EventId", encryptEvent?.eventId ?? "", (event) => event.EventId === encryptEvent?.eventId],
      ["EventName", "Encrypt", (event) => event.EventName === "Encrypt"],
      ["ReadOnly", "false", (event) => event.ReadOnly === "false"],
      ["Username", "root", (event) => event.Username === "root"],
      ["ResourceType", "AWS::KMS::Key", (event) => (event.Resources ?? []).some((resource) => resource.ResourceType === "AWS::KMS::Key")],
      ["ResourceName", keyArn, (event) => (event.Resources ?? []).some((resource) => resource.ResourceName === keyArn)],
      ["EventSource", "iam.amazonaws.com", (event) => event.EventSource === "iam.amazonaws.com"],
      ["AccessKeyId", kmsd.credentials.accessKeyId, (event) => event.AccessKeyId === kmsd.credentials.accessKeyId],
    ];
    for (const [key, value, matches] of cases) {
      const events = await lookup(key, value);
      assert.ok(events.length > 0, `${key}: something found`);
      assert.ok(events.every(matches), `${key}=${value}: every event matches`);
      for (const event of events) {
        const record = JSON.parse(event.CloudTrailEvent ?? "{}") as { recipientAccountId?: string; eventID?: string };
        assert.equal(record.recipientAccountId, kmsd.accountId, `${key}: only the caller's account`);
        assert.equal(record.eventID, event.EventId);
      }
      const times = events.map((event) => event.EventTime?.getTime() ?? 0);
      assert.deepEqual(times, [...times].sort((a, b) => b - a), `${key}: newest first`);
    }
    assert.ok((await lookup("EventName", "Encrypt")).some((event) => event.EventId === encryptEvent?.eventId));
    // The other account's ListKeys is not in this account's results.
    const listKeys = await lookup("EventName", "ListKeys");
    assert.ok(listKeys.every((event) => (JSON.parse(event.CloudTrailEvent ?? "{}") as { userIdentity: { accountId?: string } }).userIdentity.accountId !== other.AccountId));
  });

  it("LookupEvents pages with NextToken, refuses a token used with another filter, and filters by time", async () => {
    for (let i = 0; i < 7; i++) await kms.send(new DescribeKeyCommand({ KeyId: keyId }));
    const ct = cloudTrailClient(kmsd);
    const filter = [{ AttributeKey: "EventName" as const, AttributeValue: "DescribeKey" }];
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await ct.send(new LookupEventsCommand({ LookupAttributes: filter, MaxResults: 3, NextToken: token }));
      assert.ok((page.Events ?? []).length <= 3);
      seen.push(...(page.Events ?? []).map((event) => event.EventId ?? ""));
      token = page.NextToken;
      if (token && seen.length === 3) {
        await expectAwsError(ct.send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: "EventName", AttributeValue: "Encrypt" }], NextToken: token })), "InvalidNextTokenException");
      }
    } while (token);
    assert.equal(seen.length, 7);
    assert.equal(new Set(seen).size, 7);
    const future = new Date(Date.now() + 3_600_000);
    const later = new Date(future.getTime() + 3_600_000);
    assert.deepEqual((await ct.send(new LookupEventsCommand({ LookupAttributes: filter, StartTime: future, EndTime: later }))).Events, []);
    assert.equal((await ct.send(new LookupEventsCommand({ LookupAttributes: filter, StartTime: new Date(Date.now() - 3_600_000) }))).Events?.length, 7);
    await expectAwsError(ct.send(new LookupEventsCommand({ StartTime: future, EndTime: new Date() })), "InvalidTimeRangeException");
    await expectAwsError(
      ct.send(new LookupEventsCommand({ LookupAttributes: [...filter, { AttributeKey: "ReadOnly", AttributeValue: "true" }] })),
      "InvalidLookupAttributesException",
    );
  });

  it("a user needs cloudtrail:LookupEvents; other CloudTrail operations are not supported", async () => {
    const denied = await newUser("no-trail");
    await expectAwsError(cloudTrailClient(kmsd, denied).send(new LookupEventsCommand({})), "AccessDeniedException");
    const reader = await newUser("trail-reader", { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "cloudtrail:LookupEvents", Resource: "*" }] });
    const events = (await cloudTrailClient(kmsd, reader).send(new LookupEventsCommand({ MaxResults: 5 }))).Events ?? [];
    assert.ok(events.length > 0);
    await expectAwsError(cloudTrailClient(kmsd).send(new CreateTrailCommand({ Name: "other", S3BucketName: "bucket" })), "UnsupportedOperationException");
  });

  it("the AWS CLI reads the events with aws cloudtrail lookup-events", async () => {
    const env = { ...process.env, AWS_ACCESS_KEY_ID: kmsd.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: kmsd.credentials.secretAccessKey, AWS_DEFAULT_REGION: "us-east-1", AWS_PAGER: "" };
    const { stdout } = await run(
      "aws",
      ["cloudtrail", "lookup-events", "--endpoint-url", kmsd.endpoint, "--lookup-attributes", "AttributeKey=EventName,AttributeValue=CreateKey", "--output", "json"],
      { env },
    );
    const events = (JSON.parse(stdout) as { Events: { EventName: string; CloudTrailEvent: string; Resources: { ResourceName: string }[] }[] }).Events;
    assert.ok(events.some((event) => event.Resources.some((resource) => resource.ResourceName === keyArn)));
    for (const event of events) {
      assert.equal(event.EventName, "CreateKey");
      assert.equal((JSON.parse(event.CloudTrailEvent) as { eventName: string }).eventName, "CreateKey");
    }
  });

  it("GetKeyLastUsage answers the last successful cryptographic use: its operation, time, request id and eventID", async () => {
    const fresh = (await kms.send(new CreateKeyCommand({}))).KeyMetadata;
    const second = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.Arn ?? "";
    const before = await kms.send(new GetKeyLastUsageCommand({ KeyId: fresh?.KeyId }));
    assert.equal(before.KeyLastUsage, undefined, "not used yet");
    assert.equal(before.KeyId, fresh?.KeyId);
    assert.equal(before.KeyCreationDate?.getTime(), fresh?.CreationDate?.getTime());
    assert.equal(before.TrackingStartDate?.getTime(), fresh?.CreationDate?.getTime(), "tracking began before the key was created");

    const encrypted = await kms.send(new EncryptCommand({ KeyId: fresh?.Arn, Plaintext: Buffer.from("use"), EncryptionContext: { a: "1" } }));
    await kms.send(new DescribeKeyCommand({ KeyId: fresh?.KeyId }));
    await expectAwsError(kms.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, EncryptionContext: { a: "wrong" } })), "InvalidCiphertextException");
    const used = await kms.send(new GetKeyLastUsageCommand({ KeyId: fresh?.Arn }));
    const [event] = storedEvents(kmsd.dataDir, requestIdOf(encrypted));
    assert.deepEqual(
      { ...used.KeyLastUsage, Timestamp: undefined },
      { Operation: "Encrypt", CloudTrailEventId: event?.eventId, KmsRequestId: requestIdOf(encrypted), Timestamp: undefined },
      "a DescribeKey and a failed Decrypt do not count",
    );
    assert.equal(Math.floor((used.KeyLastUsage?.Timestamp?.getTime() ?? 0) / 1000), Date.parse(String(event?.record.eventTime)) / 1000);

    const reencrypted = await kms.send(new ReEncryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, SourceEncryptionContext: { a: "1" }, DestinationKeyId: second }));
    for (const id of [fresh?.Arn, second]) {
      const usage = await kms.send(new GetKeyLastUsageCommand({ KeyId: id }));
      assert.equal(usage.KeyLastUsage?.Operation, "ReEncrypt", "ReEncrypt counts for both keys");
      assert.equal(usage.KeyLastUsage?.KmsRequestId, requestIdOf(reencrypted));
    }
    await expectAwsError(kms.send(new GetKeyLastUsageCommand({ KeyId: "alias/aws/s3" })), "NotFoundException");
  });
});
