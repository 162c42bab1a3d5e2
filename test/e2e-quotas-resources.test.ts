/**
 * End to end, through @aws-sdk/client-kms: AWS KMS's resource quotas, lowered with
 * --resource-quotas so a test reaches them. Past a quota the request fails with
 * LimitExceededException and creates nothing.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  CreateAliasCommand,
  CreateGrantCommand,
  CreateKeyCommand,
  ListAliasesCommand,
  ListGrantsCommand,
  ListKeysCommand,
  PutKeyPolicyCommand,
  UpdateAliasCommand,
  type KMSClient,
} from "@aws-sdk/client-kms";
import { expectAwsError, startKmsd, type Kmsd } from "./support/kmsd.ts";
import { uniqueAlias } from "./support/e2e.ts";

describe("resource quotas", () => {
  let kmsd: Kmsd;
  let kms: KMSClient;

  before(async () => {
    kmsd = await startKmsd({ dev: true, args: ["--resource-quotas", "keys=3,aliasesPerKey=2,grantsPerKey=3,grantsPerPrincipalPerKey=2,keyPolicyBytes=2000"] });
    kms = kmsd.kms();
  });
  after(async () => kmsd.dispose());

  it("KMS keys per account and Region: the key past the quota is refused, and the quota is per Region", async () => {
    const frankfurt = kmsd.kms({ region: "eu-central-1" });
    for (let i = 0; i < 3; i++) await frankfurt.send(new CreateKeyCommand({}));
    await expectAwsError(frankfurt.send(new CreateKeyCommand({})), "LimitExceededException", /^Key quota for this account in this region is 3 but the current usage is 3\.$/);
    assert.equal((await frankfurt.send(new ListKeysCommand({}))).Keys?.length, 3, "nothing was created");
    await kmsd.kms({ region: "eu-west-3" }).send(new CreateKeyCommand({}));
  });

  it("aliases per key: CreateAlias and UpdateAlias cannot give a key one alias too many", async () => {
    const full = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId ?? "";
    const other = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId ?? "";
    await kms.send(new CreateAliasCommand({ AliasName: uniqueAlias("q"), TargetKeyId: full }));
    await kms.send(new CreateAliasCommand({ AliasName: uniqueAlias("q"), TargetKeyId: full }));
    const refused = uniqueAlias("q");
    await expectAwsError(kms.send(new CreateAliasCommand({ AliasName: refused, TargetKeyId: full })), "LimitExceededException", /maximum of 2 aliases/);
    const moving = uniqueAlias("q");
    await kms.send(new CreateAliasCommand({ AliasName: moving, TargetKeyId: other }));
    await expectAwsError(kms.send(new UpdateAliasCommand({ AliasName: moving, TargetKeyId: full })), "LimitExceededException", /maximum of 2 aliases/);
    const aliases = (await kms.send(new ListAliasesCommand({ KeyId: full }))).Aliases ?? [];
    assert.equal(aliases.length, 2);
    assert.ok(!aliases.some((alias) => alias.AliasName === refused || alias.AliasName === moving));
  });

  it("grants per key and for one grantee per key", async () => {
    const keyId = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId ?? "";
    const me = `arn:aws:iam::${kmsd.accountId}:root`;
    const user = `arn:aws:iam::${kmsd.accountId}:user/quota-grantee`;
    const grant = (principal: string) => kms.send(new CreateGrantCommand({ KeyId: keyId, GranteePrincipal: principal, Operations: ["Encrypt"] }));
    await grant(me);
    await grant(me);
    await expectAwsError(grant(me), "LimitExceededException", /maximum of 2 grants for grantee principal/);
    await grant(user);
    await expectAwsError(grant(user), "LimitExceededException", /maximum of 3 grants\./);
    assert.equal((await kms.send(new ListGrantsCommand({ KeyId: keyId }))).Grants?.length, 3);
  });

  it("key policy size: a policy over the configured size is refused", async () => {
    const mumbai = kmsd.kms({ region: "ap-south-1" }); // us-east-1 has its 3 keys
    const keyId = (await mumbai.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId ?? "";
    const statement = { Sid: "x".repeat(2000), Effect: "Allow", Principal: { AWS: `arn:aws:iam::${kmsd.accountId}:root` }, Action: "kms:*", Resource: "*" };
    const policy = JSON.stringify({ Version: "2012-10-17", Statement: [statement] });
    await expectAwsError(mumbai.send(new PutKeyPolicyCommand({ KeyId: keyId, Policy: policy })), "MalformedPolicyDocumentException", /maximum allowed size of 2000 bytes/);
  });
});
