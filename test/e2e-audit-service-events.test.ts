/**
 * End to end: what KMS does by itself on the server clock — a scheduled deletion completing,
 * an automatic rotation, imported material expiring — is recorded in the key owner's trail
 * as an AwsServiceEvent (DeleteKey, RotateKey, DeleteExpiredKeyMaterial), found by
 * LookupEvents like any other event, with no caller: `invokedBy` "AWS Internal".
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { LookupEventsCommand, type CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import { EnableKeyRotationCommand, ScheduleKeyDeletionCommand, type KMSClient } from "@aws-sdk/client-kms";
import { startKmsd, type Kmsd } from "./support/kmsd.ts";
import { createKey } from "./support/e2e.ts";
import { cloudTrailClient } from "./support/audit.ts";
import { createExternalKey, DAY_MS, DAY_SECONDS, importKeyMaterial, serverNowMs } from "./support/lifecycle.ts";

describe("audit trail: service events", () => {
  let kmsd: Kmsd;
  let kms: KMSClient;
  let ct: CloudTrailClient;

  before(async () => {
    kmsd = await startKmsd({ dev: true });
    kms = kmsd.kms();
    ct = cloudTrailClient(kmsd);
  });
  after(async () => kmsd.dispose());

  /** The records LookupEvents finds for a key ARN, newest first. */
  async function recordsOf(keyArn: string): Promise<Record<string, unknown>[]> {
    const { Events } = await ct.send(
      new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: "ResourceName", AttributeValue: keyArn }], MaxResults: 50 }),
    );
    return (Events ?? []).map((event) => JSON.parse(event.CloudTrailEvent ?? "{}") as Record<string, unknown>);
  }

  /** Checks the parts every service event shares, for a key of the default account. */
  function assertServiceEvent(record: Record<string, unknown> | undefined, keyArn: string): void {
    assert.ok(record, "the event is there");
    assert.equal(record.eventType, "AwsServiceEvent");
    assert.deepEqual(record.userIdentity, { accountId: kmsd.accountId, invokedBy: "AWS Internal" });
    assert.equal(record.eventSource, "kms.amazonaws.com");
    assert.equal(record.sourceIPAddress, "AWS Internal");
    assert.equal(record.readOnly, false);
    assert.equal(record.requestParameters, null);
    assert.equal(record.requestID, undefined, "a service event answers no request");
    assert.equal(record.recipientAccountId, kmsd.accountId);
    assert.deepEqual(record.resources, [{ accountId: kmsd.accountId, type: "AWS::KMS::Key", ARN: keyArn }]);
  }

  it("automatic rotation records RotateKey with rotationType AUTOMATIC, once per due date", async () => {
    const key = await createKey(kms);
    await kms.send(new EnableKeyRotationCommand({ KeyId: key.KeyId, RotationPeriodInDays: 90 }));
    await kmsd.advanceClock(91 * DAY_SECONDS);
    const rotations = (await recordsOf(key.Arn)).filter((record) => record.eventName === "RotateKey");
    assert.equal(rotations.length, 1, "one automatic rotation, one event");
    assertServiceEvent(rotations[0], key.Arn);
    assert.deepEqual(rotations[0]?.serviceEventDetails, { rotationType: "AUTOMATIC", keyId: key.KeyId });
  });

  it("a scheduled deletion that completes records DeleteKey after the ScheduleKeyDeletion call", async () => {
    const key = await createKey(kms);
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));
    assert.ok(!(await recordsOf(key.Arn)).some((record) => record.eventName === "DeleteKey"), "nothing before the date");
    await kmsd.advanceClock(8 * DAY_SECONDS);
    const records = await recordsOf(key.Arn);
    assert.deepEqual(
      records.map((record) => record.eventName),
      ["DeleteKey", "ScheduleKeyDeletion", "CreateKey"],
      "newest first",
    );
    assertServiceEvent(records[0], key.Arn);
    assert.equal(records[1]?.eventType, "AwsApiCall");
  });

  it("imported material whose ValidTo passes records DeleteExpiredKeyMaterial", async () => {
    const key = await createExternalKey(kms);
    const now = await serverNowMs(kmsd);
    const validTo = new Date(Math.floor(now / 1000) * 1000 + DAY_MS);
    await importKeyMaterial(kms, key.KeyId, randomBytes(32), { expirationModel: "KEY_MATERIAL_EXPIRES", validTo });
    await kmsd.advanceClock(DAY_SECONDS + 1);
    const expiries = (await recordsOf(key.Arn)).filter((record) => record.eventName === "DeleteExpiredKeyMaterial");
    assert.equal(expiries.length, 1);
    assertServiceEvent(expiries[0], key.Arn);
  });
});
