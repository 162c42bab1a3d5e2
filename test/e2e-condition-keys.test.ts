/**
 * End to end: the KMS condition keys that depend on more than the request itself —
 * `kms:ResourceAliases` (the aliases pointing at the key, kept current as aliases change)
 * and `kms:ReEncryptOnSameKey` (source and destination of a ReEncrypt).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from "@aws-sdk/client-iam";
import { CreateAliasCommand, CreateKeyCommand, DeleteAliasCommand, EncryptCommand, ReEncryptCommand, type KMSClient } from "@aws-sdk/client-kms";
import { expectAwsError, startKmsd, type Credentials, type Kmsd } from "./support/kmsd.ts";

describe("condition keys that need kmsd's state", () => {
  let kmsd: Kmsd;
  let admin: KMSClient;
  let iam: IAMClient;

  /** A user whose only identity policy is `statement`, and a KMS client for it. */
  async function userWith(name: string, statement: Record<string, unknown>): Promise<KMSClient> {
    await iam.send(new CreateUserCommand({ UserName: name }));
    await iam.send(
      new PutUserPolicyCommand({ UserName: name, PolicyName: "p", PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [statement] }) }),
    );
    const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: name }));
    const credentials: Credentials = { accessKeyId: AccessKey?.AccessKeyId ?? "", secretAccessKey: AccessKey?.SecretAccessKey ?? "" };
    return kmsd.kms({ credentials });
  }

  async function newKey(): Promise<string> {
    return (await admin.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId ?? "";
  }

  before(async () => {
    kmsd = await startKmsd();
    admin = kmsd.kms();
    iam = new IAMClient({ endpoint: kmsd.endpoint, region: "us-east-1", credentials: kmsd.credentials });
  });
  after(async () => {
    iam.destroy();
    await kmsd.dispose();
  });

  it("kms:ResourceAliases allows only keys that an alias of the pattern points to, following alias changes at once", async () => {
    const kms = await userWith("alias-user", {
      Effect: "Allow",
      Action: "kms:Encrypt",
      Resource: "*",
      Condition: { "ForAnyValue:StringLike": { "kms:ResourceAliases": "alias/team-*" } },
    });
    const tagged = await newKey();
    const untagged = await newKey();
    await admin.send(new CreateAliasCommand({ AliasName: "alias/team-payments", TargetKeyId: tagged }));
    await admin.send(new CreateAliasCommand({ AliasName: "alias/other", TargetKeyId: untagged }));
    await kms.send(new EncryptCommand({ KeyId: tagged, Plaintext: Buffer.from("x") }));
    await expectAwsError(kms.send(new EncryptCommand({ KeyId: untagged, Plaintext: Buffer.from("x") })), "AccessDeniedException");

    await admin.send(new CreateAliasCommand({ AliasName: "alias/team-ledger", TargetKeyId: untagged }));
    await kms.send(new EncryptCommand({ KeyId: untagged, Plaintext: Buffer.from("x") }));
    await admin.send(new DeleteAliasCommand({ AliasName: "alias/team-payments" }));
    await expectAwsError(kms.send(new EncryptCommand({ KeyId: tagged, Plaintext: Buffer.from("x") })), "AccessDeniedException");
  });

  it("kms:ReEncryptOnSameKey lets a user re-encrypt under the same key only", async () => {
    const kms = await userWith("reencrypt-user", {
      Effect: "Allow",
      Action: ["kms:Encrypt", "kms:ReEncrypt*"],
      Resource: "*",
      Condition: { Bool: { "kms:ReEncryptOnSameKey": "true" } },
    });
    const first = await newKey();
    const second = await newKey();
    // Encrypt carries no kms:ReEncryptOnSameKey, so the Bool condition fails for it: encrypt as the admin.
    const { CiphertextBlob } = await admin.send(new EncryptCommand({ KeyId: first, Plaintext: Buffer.from("x") }));
    const same = await kms.send(new ReEncryptCommand({ CiphertextBlob, DestinationKeyId: first }));
    assert.ok(same.CiphertextBlob && same.CiphertextBlob.length > 0);
    await expectAwsError(kms.send(new ReEncryptCommand({ CiphertextBlob, DestinationKeyId: second })), "AccessDeniedException");
    await expectAwsError(kms.send(new ReEncryptCommand({ CiphertextBlob, SourceKeyId: first, DestinationKeyId: second })), "AccessDeniedException");
  });
});
