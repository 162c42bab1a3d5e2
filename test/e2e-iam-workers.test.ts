/**
 * End to end: IAM writes with `kmsd serve --workers 2`, each request on a fresh connection
 * so that they land on both workers. Concurrent changes to different parts of one role
 * (UpdateRole, UpdateAssumeRolePolicy, TagRole, UntagRole) are all kept, and a new default
 * policy version decides the next request in every worker.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  AttachUserPolicyCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  GetRoleCommand,
  IAMClient,
  SetDefaultPolicyVersionCommand,
  TagRoleCommand,
  UntagRoleCommand,
  UpdateAssumeRolePolicyCommand,
  UpdateRoleCommand,
} from "@aws-sdk/client-iam";
import { CreateKeyCommand, EncryptCommand, KMSClient } from "@aws-sdk/client-kms";
import { startKmsdWorkers, type Kmsd } from "./support/kmsd.ts";
import { allow, policy, TestIdentities, type Creds } from "./support/identities.ts";

const ROUNDS = 100;

describe("IAM with kmsd serve --workers 2", () => {
  let kmsd: Kmsd;
  const identities = new TestIdentities(() => kmsd);

  /** Sends one IAM command on a new connection (its own client), as the root. */
  async function fresh<T>(send: (client: IAMClient) => Promise<T>): Promise<T> {
    const client = new IAMClient({ endpoint: kmsd.endpoint, region: "us-east-1", credentials: kmsd.credentials, maxAttempts: 1 });
    try {
      return await send(client);
    } finally {
      client.destroy();
    }
  }

  const trust = (sid: string) =>
    JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: sid, Effect: "Allow", Principal: { AWS: `arn:aws:iam::${kmsd.accountId}:root` }, Action: "sts:AssumeRole" }] });

  before(async () => {
    kmsd = await startKmsdWorkers(2);
  });
  after(async () => {
    identities.destroy();
    await kmsd.dispose();
  });

  it(`UpdateRole, UpdateAssumeRolePolicy, TagRole and UntagRole racing on one role ${ROUNDS} times: every acknowledged change is kept`, async () => {
    const RoleName = "raced-role";
    await fresh((iam) => iam.send(new CreateRoleCommand({ RoleName, AssumeRolePolicyDocument: trust("s0") })));
    for (let round = 1; round <= ROUNDS; round++) {
      await Promise.all([
        fresh((iam) => iam.send(new UpdateRoleCommand({ RoleName, Description: `d${round}` }))),
        fresh((iam) => iam.send(new UpdateAssumeRolePolicyCommand({ RoleName, PolicyDocument: trust(`s${round}`) }))),
        fresh((iam) => iam.send(new TagRoleCommand({ RoleName, Tags: [{ Key: `a${round}`, Value: "1" }] }))),
        fresh((iam) => iam.send(new TagRoleCommand({ RoleName, Tags: [{ Key: `b${round}`, Value: "1" }] }))),
        fresh((iam) => iam.send(new UntagRoleCommand({ RoleName, TagKeys: [`a${round - 1}`, `b${round - 1}`] }))),
      ]);
      const { Role: role } = await fresh((iam) => iam.send(new GetRoleCommand({ RoleName })));
      assert.equal(role?.Description, `d${round}`, `round ${round}`);
      assert.equal(JSON.parse(decodeURIComponent(role?.AssumeRolePolicyDocument ?? "")).Statement[0].Sid, `s${round}`, `round ${round}`);
      assert.deepEqual(role?.Tags?.map((tag) => tag.Key).sort(), [`a${round}`, `b${round}`], `round ${round}`);
    }
  });

  it("SetDefaultPolicyVersion through one worker decides the next request in every worker", async () => {
    const keyId = (await kmsd.kms().send(new CreateKeyCommand({}))).KeyMetadata?.KeyId;
    const { Policy: managed } = await fresh((iam) =>
      iam.send(new CreatePolicyCommand({ PolicyName: "switched", PolicyDocument: policy(allow("kms:Encrypt")) })),
    );
    await fresh((iam) => iam.send(new CreatePolicyVersionCommand({ PolicyArn: managed?.Arn, PolicyDocument: policy(allow("kms:Decrypt")) })));
    const user = await identities.newUser("switched-user");
    await fresh((iam) => iam.send(new AttachUserPolicyCommand({ UserName: user.name, PolicyArn: managed?.Arn })));
    const encryptEverywhere = async (credentials: Creds) => {
      const outcomes: string[] = [];
      for (let i = 0; i < 12; i++) {
        const kms = new KMSClient({ endpoint: kmsd.endpoint, region: "us-east-1", credentials, maxAttempts: 1 });
        try {
          await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("x") }));
          outcomes.push("allowed");
        } catch (error) {
          outcomes.push((error as Error).name);
        } finally {
          kms.destroy();
        }
      }
      return [...new Set(outcomes)];
    };
    // Both workers cache the v1 decision first.
    assert.deepEqual(await encryptEverywhere(user.credentials), ["allowed"]);
    await fresh((iam) => iam.send(new SetDefaultPolicyVersionCommand({ PolicyArn: managed?.Arn, VersionId: "v2" })));
    assert.deepEqual(await encryptEverywhere(user.credentials), ["AccessDeniedException"]);
    await fresh((iam) => iam.send(new SetDefaultPolicyVersionCommand({ PolicyArn: managed?.Arn, VersionId: "v1" })));
    assert.deepEqual(await encryptEverywhere(user.credentials), ["allowed"]);
  });
});
