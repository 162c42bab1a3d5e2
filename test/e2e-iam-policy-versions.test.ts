// Managed policy versions end to end through @aws-sdk/client-iam against a built
// `kmsd serve --dev`: CreatePolicyVersion, GetPolicyVersion, ListPolicyVersions,
// DeletePolicyVersion and SetDefaultPolicyVersion with AWS's five-version limit and errors,
// and a new default version deciding the next request of a user it is attached to.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  AttachUserPolicyCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  ListPolicyVersionsCommand,
  SetDefaultPolicyVersionCommand,
} from "@aws-sdk/client-iam";
import { CreateKeyCommand, EncryptCommand, KMSClient } from "@aws-sdk/client-kms";
import { expectAwsError, startKmsd, type Kmsd } from "./support/kmsd.ts";
import { allow, policy, TestIdentities } from "./support/identities.ts";

void describe("IAM managed policy versions", () => {
  let kmsd: Kmsd;
  const identities = new TestIdentities(() => kmsd);
  const iam = () => identities.iam();

  /** A new customer managed policy whose v1 is `document`; returns its ARN. */
  async function newPolicy(document = policy(allow("kms:Encrypt"))): Promise<string> {
    const { Policy: created } = await iam().send(new CreatePolicyCommand({ PolicyName: identities.uniqueName("versioned"), PolicyDocument: document }));
    assert.ok(created?.Arn);
    return created.Arn;
  }

  const addVersion = async (PolicyArn: string, document: string, SetAsDefault?: boolean) =>
    (await iam().send(new CreatePolicyVersionCommand({ PolicyArn, PolicyDocument: document, ...(SetAsDefault === undefined ? {} : { SetAsDefault }) })))
      .PolicyVersion;
  const versionsOf = async (PolicyArn: string) =>
    ((await iam().send(new ListPolicyVersionsCommand({ PolicyArn }))).Versions ?? []).map((v) => `${v.VersionId}${v.IsDefaultVersion ? "*" : ""}`);

  before(async () => {
    kmsd = await startKmsd({ dev: true });
  });
  after(async () => {
    identities.destroy();
    await kmsd.dispose();
  });

  void it("adds versions that are not the default unless asked; GetPolicyVersion reads any of them, ListPolicyVersions lists newest first", async () => {
    const arn = await newPolicy();
    const v2Document = policy(allow("kms:Decrypt"));
    const v2 = await addVersion(arn, v2Document);
    assert.deepEqual([v2?.VersionId, v2?.IsDefaultVersion, v2?.Document], ["v2", false, undefined]);
    assert.ok(v2?.CreateDate instanceof Date);
    const fetched = (await iam().send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: "v2" }))).PolicyVersion;
    assert.deepEqual([decodeURIComponent(fetched?.Document ?? ""), fetched?.IsDefaultVersion], [v2Document, false]);
    assert.equal((await iam().send(new GetPolicyCommand({ PolicyArn: arn }))).Policy?.DefaultVersionId, "v1");

    const v3 = await addVersion(arn, policy(allow("kms:Sign")), true);
    assert.deepEqual([v3?.VersionId, v3?.IsDefaultVersion], ["v3", true]);
    assert.deepEqual(await versionsOf(arn), ["v3*", "v2", "v1"]);
    const { Policy: metadata } = await iam().send(new GetPolicyCommand({ PolicyArn: arn }));
    assert.equal(metadata?.DefaultVersionId, "v3");
    assert.equal(metadata?.UpdateDate?.getTime(), v3?.CreateDate?.getTime());

    // Paging with MaxItems and Marker.
    const first = await iam().send(new ListPolicyVersionsCommand({ PolicyArn: arn, MaxItems: 2 }));
    assert.deepEqual([first.Versions?.map((v) => v.VersionId), first.IsTruncated], [["v3", "v2"], true]);
    const rest = await iam().send(new ListPolicyVersionsCommand({ PolicyArn: arn, MaxItems: 2, Marker: first.Marker }));
    assert.deepEqual([rest.Versions?.map((v) => v.VersionId), rest.IsTruncated, rest.Marker], [["v1"], false, undefined]);
  });

  void it("refuses a sixth version with AWS's LimitExceeded, and never gives a deleted version's number again", async () => {
    const arn = await newPolicy();
    for (let i = 2; i <= 5; i++) await addVersion(arn, policy(allow(`kms:Describe${i}`)));
    await expectAwsError(
      addVersion(arn, policy(allow("kms:Encrypt"))),
      "LimitExceededException",
      "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.",
    );
    assert.deepEqual(await versionsOf(arn), ["v5", "v4", "v3", "v2", "v1*"]);
    await iam().send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: "v5" }));
    assert.equal((await addVersion(arn, policy(allow("kms:Encrypt"))))?.VersionId, "v6");
    assert.deepEqual(await versionsOf(arn), ["v6", "v4", "v3", "v2", "v1*"]);
  });

  void it("answers AWS's errors for the default version, missing versions and policies, and leaves the policy as it was", async () => {
    const arn = await newPolicy();
    await addVersion(arn, policy(allow("kms:Decrypt")));
    await expectAwsError(
      iam().send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: "v1" })),
      "DeleteConflictException",
      "Cannot delete the default version of a policy.",
    );
    const missing = `Policy ${arn} version v9 does not exist or is not attachable.`;
    await expectAwsError(iam().send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: "v9" })), "NoSuchEntityException", missing);
    await expectAwsError(iam().send(new SetDefaultPolicyVersionCommand({ PolicyArn: arn, VersionId: "v9" })), "NoSuchEntityException", missing);
    await expectAwsError(iam().send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: "v9" })), "NoSuchEntityException", missing);
    await expectAwsError(iam().send(new SetDefaultPolicyVersionCommand({ PolicyArn: arn, VersionId: "1" })), "ValidationError");
    const gone = `arn:aws:iam::${kmsd.accountId}:policy/no-such-policy`;
    for (const send of [
      () => iam().send(new CreatePolicyVersionCommand({ PolicyArn: gone, PolicyDocument: policy(allow("kms:Encrypt")) })),
      () => iam().send(new ListPolicyVersionsCommand({ PolicyArn: gone })),
      () => iam().send(new SetDefaultPolicyVersionCommand({ PolicyArn: gone, VersionId: "v1" })),
    ]) {
      await expectAwsError(send(), "NoSuchEntityException", `Policy ${gone} was not found.`);
    }
    await expectAwsError(
      iam().send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: "{not json" })),
      "MalformedPolicyDocumentException",
    );
    assert.deepEqual(await versionsOf(arn), ["v2", "v1*"]);
    // DeletePolicy needs the other versions gone first.
    await expectAwsError(iam().send(new DeletePolicyCommand({ PolicyArn: arn })), "DeleteConflictException");
    await iam().send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: "v2" }));
    await iam().send(new DeletePolicyCommand({ PolicyArn: arn }));
  });

  void it("SetDefaultPolicyVersion decides the very next request of a user the policy is attached to", async () => {
    const { KeyMetadata } = await kmsd.kms().send(new CreateKeyCommand({}));
    const arn = await newPolicy(policy(allow("kms:Encrypt")));
    const user = await identities.newUser("versioned-user");
    await iam().send(new AttachUserPolicyCommand({ UserName: user.name, PolicyArn: arn }));
    const kms = new KMSClient({ endpoint: kmsd.endpoint, region: "us-east-1", credentials: user.credentials, maxAttempts: 1 });
    try {
      const encrypt = () => kms.send(new EncryptCommand({ KeyId: KeyMetadata?.KeyId, Plaintext: Buffer.from("x") }));
      await encrypt();
      await addVersion(arn, policy(allow("kms:Decrypt")));
      await encrypt(); // v2 is not the default yet
      await iam().send(new SetDefaultPolicyVersionCommand({ PolicyArn: arn, VersionId: "v2" }));
      await expectAwsError(encrypt(), "AccessDeniedException");
      await iam().send(new SetDefaultPolicyVersionCommand({ PolicyArn: arn, VersionId: "v1" }));
      await encrypt();
      // A new version made the default at its creation takes effect at once too.
      await addVersion(arn, policy(allow("kms:Decrypt")), true);
      await expectAwsError(encrypt(), "AccessDeniedException");
    } finally {
      kms.destroy();
    }
  });
});
