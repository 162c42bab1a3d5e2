/**
 * End to end: CloudTrail's GetTrailStatus and DescribeTrails through @aws-sdk/client-cloudtrail
 * report kmsd's one trail per account and Region: when log files and the signed digest were
 * last delivered (hourly deliveries on the dev clock), whether the records still chain (a
 * record altered in audit.db before delivery is reported, and stays reported), AWS's errors
 * for a trail that does not exist, and authorization and audit like LookupEvents.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, before, describe, it } from "node:test";
import { DescribeTrailsCommand, GetTrailStatusCommand, LookupEventsCommand } from "@aws-sdk/client-cloudtrail";
import { EncryptCommand, CreateKeyCommand } from "@aws-sdk/client-kms";
import { cloudTrailClient } from "./support/audit.ts";
import { TestIdentities, allow, policy } from "./support/identities.ts";
import { expectAwsError, startKmsd, type Kmsd } from "./support/kmsd.ts";

describe("CloudTrail GetTrailStatus and DescribeTrails", () => {
  let kmsd: Kmsd;
  const identities = new TestIdentities(() => kmsd);
  const trail = () => cloudTrailClient(kmsd);
  const arn = () => `arn:aws:cloudtrail:us-east-1:${kmsd.accountId}:trail/kmsd`;

  before(async () => {
    kmsd = await startKmsd({ dev: true });
  });
  after(async () => {
    identities.destroy();
    await kmsd?.dispose();
  });

  it("describes the one trail of the account and Region, by default and by name or ARN", async () => {
    const expected = {
      Name: "kmsd",
      S3BucketName: "kmsd-audit",
      IncludeGlobalServiceEvents: true,
      IsMultiRegionTrail: false,
      HomeRegion: "us-east-1",
      TrailARN: arn(),
      LogFileValidationEnabled: true,
      HasCustomEventSelectors: false,
      HasInsightSelectors: false,
      IsOrganizationTrail: false,
    };
    assert.deepEqual((await trail().send(new DescribeTrailsCommand({}))).trailList, [expected]);
    assert.deepEqual((await trail().send(new DescribeTrailsCommand({ trailNameList: [arn()] }))).trailList, [expected]);
    assert.deepEqual((await trail().send(new DescribeTrailsCommand({ trailNameList: ["other-trail"] }))).trailList, []);
    const west = cloudTrailClient(kmsd, kmsd.credentials, "eu-west-1");
    assert.equal((await west.send(new DescribeTrailsCommand({}))).trailList?.[0]?.TrailARN, `arn:aws:cloudtrail:eu-west-1:${kmsd.accountId}:trail/kmsd`);
  });

  it("before any delivery: logging since the trail began, nothing delivered, no error", async () => {
    const status = await trail().send(new GetTrailStatusCommand({ Name: "kmsd" }));
    assert.equal(status.IsLogging, true);
    assert.ok(status.StartLoggingTime instanceof Date);
    assert.equal(status.LatestDigestDeliveryTime, undefined);
    assert.equal(status.LatestDeliveryTime, undefined);
    assert.equal(status.LatestDigestDeliveryError, undefined);
  });

  it("after an hourly delivery: when the log files and the signed digest were delivered, and no error", async () => {
    const kms = kmsd.kms();
    const keyId = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId;
    await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("x") }));
    const { epochSeconds } = await kmsd.advanceClock(3600);
    const status = await trail().send(new GetTrailStatusCommand({ Name: arn() }));
    const delivered = status.LatestDigestDeliveryTime?.getTime() ?? 0;
    assert.ok(Math.abs(delivered - epochSeconds * 1000) < 5000, `digest delivered at ${status.LatestDigestDeliveryTime?.toISOString()}`);
    assert.equal(status.LatestDeliveryTime?.getTime(), delivered);
    assert.equal(status.LatestDigestDeliveryError, undefined);
    assert.equal(status.LatestDeliveryError, undefined);
  });

  it("a record altered in audit.db before delivery makes the digest delivery report the broken chain, and it stays reported", async () => {
    const kms = kmsd.kms();
    await kms.send(new CreateKeyCommand({ Description: "to be altered" }));
    const db = new DatabaseSync(join(kmsd.dataDir, "audit.db"));
    try {
      const altered = db.prepare("UPDATE events SET record = replace(record, 'to be altered', 'altered!') WHERE record LIKE '%to be altered%'").run();
      assert.equal(altered.changes, 1);
    } finally {
      db.close();
    }
    await kmsd.advanceClock(3600);
    const status = await trail().send(new GetTrailStatusCommand({ Name: "kmsd" }));
    assert.match(status.LatestDigestDeliveryError ?? "", /^RecordChainBroken: record \d+ of this trail does not chain/);
    assert.equal(status.LatestDeliveryError, undefined, "the files were delivered");
    await kms.send(new CreateKeyCommand({}));
    await kmsd.advanceClock(3600);
    const later = await trail().send(new GetTrailStatusCommand({ Name: "kmsd" }));
    assert.ok((later.LatestDigestDeliveryTime?.getTime() ?? 0) > (status.LatestDigestDeliveryTime?.getTime() ?? 0));
    assert.equal(later.LatestDigestDeliveryError, status.LatestDigestDeliveryError);
  });

  it("a trail that does not exist, a bad name and a malformed ARN get CloudTrail's errors", async () => {
    await expectAwsError(trail().send(new GetTrailStatusCommand({ Name: "other-trail" })), "TrailNotFoundException", `Unknown trail: arn:aws:cloudtrail:us-east-1:${kmsd.accountId}:trail/other-trail for the user: ${kmsd.accountId}`);
    const otherRegion = `arn:aws:cloudtrail:eu-west-1:${kmsd.accountId}:trail/kmsd`;
    await expectAwsError(trail().send(new GetTrailStatusCommand({ Name: otherRegion })), "TrailNotFoundException", `Unknown trail: ${otherRegion} for the user: ${kmsd.accountId}`);
    await expectAwsError(
      trail().send(new GetTrailStatusCommand({ Name: "ab" })),
      "InvalidTrailNameException",
      "Trail name too short. Minimum allowed length: 3 characters. Specified name length: 2 characters.",
    );
    await expectAwsError(trail().send(new GetTrailStatusCommand({ Name: "arn:aws:s3:::bucket" })), "CloudTrailARNInvalidException");
    await expectAwsError(trail().send(new DescribeTrailsCommand({ trailNameList: ["ab"] })), "InvalidTrailNameException");
  });

  it("a user needs cloudtrail:GetTrailStatus and cloudtrail:DescribeTrails; each call is in the trail", async () => {
    const none = await identities.newUser("no-trail");
    await expectAwsError(cloudTrailClient(kmsd, none.credentials).send(new GetTrailStatusCommand({ Name: "kmsd" })), "AccessDeniedException", /cloudtrail:GetTrailStatus/);
    await expectAwsError(cloudTrailClient(kmsd, none.credentials).send(new DescribeTrailsCommand({})), "AccessDeniedException", /cloudtrail:DescribeTrails/);
    const reader = await identities.newUser("trail-status", policy(allow(["cloudtrail:GetTrailStatus", "cloudtrail:DescribeTrails"])));
    assert.equal((await cloudTrailClient(kmsd, reader.credentials).send(new GetTrailStatusCommand({ Name: "kmsd" }))).IsLogging, true);
    const events = await trail().send(new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: "EventName", AttributeValue: "GetTrailStatus" }] }));
    const records = (events.Events ?? []).map((event) => JSON.parse(event.CloudTrailEvent ?? "{}") as { userIdentity: { arn: string }; errorCode?: string; readOnly: boolean; requestParameters: unknown });
    const byReader = records.find((record) => record.userIdentity.arn === reader.arn && !record.errorCode);
    assert.deepEqual(byReader && { readOnly: byReader.readOnly, requestParameters: byReader.requestParameters }, { readOnly: true, requestParameters: { name: "kmsd" } });
    assert.ok(records.some((record) => record.userIdentity.arn === none.arn && /^AccessDenied/.test(record.errorCode ?? "")));
  });
});
