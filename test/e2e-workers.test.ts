/**
 * End to end: `kmsd serve --workers 2`. Two processes share the port and the data
 * directory; a state change made through one is seen by the other before it is
 * acknowledged. Each request below uses a fresh connection, so consecutive requests
 * land on both workers (node:cluster hands connections out in turn; the first test
 * checks that they do).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import {
  CreateAliasCommand,
  CreateGrantCommand,
  CreateKeyCommand,
  DecryptCommand,
  DeleteAliasCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  KMSClient,
  PutKeyPolicyCommand,
  RevokeGrantCommand,
  RotateKeyOnDemandCommand,
  ScheduleKeyDeletionCommand,
  UpdateAliasCommand,
} from "@aws-sdk/client-kms";
import { expectAwsError, rawRequest, startKmsdWorkers, type Kmsd } from "./support/kmsd.ts";
import { allow, policy, TestIdentities, type Creds } from "./support/identities.ts";
import { DeleteUserPolicyCommand, PutUserPolicyCommand, UpdateAccessKeyCommand } from "@aws-sdk/client-iam";

const ROUNDS = 12;

describe("kmsd serve --workers 2", () => {
  let kmsd: Kmsd;

  /** A client (the default account's root unless told otherwise) with its own connection pool: its first request opens a new connection. */
  function freshClient(credentials: Creds = kmsd.credentials): KMSClient {
    return new KMSClient({ endpoint: kmsd.endpoint, region: "us-east-1", credentials, maxAttempts: 1 });
  }

  /** Sends `command` ROUNDS times, each on a new connection; returns what each answered. */
  async function everywhere<T>(send: (client: KMSClient) => Promise<T>, credentials?: Creds): Promise<PromiseSettledResult<T>[]> {
    const results: PromiseSettledResult<T>[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const client = freshClient(credentials);
      try {
        results.push(...(await Promise.allSettled([send(client)])));
      } finally {
        client.destroy();
      }
    }
    return results;
  }

  before(async () => {
    kmsd = await startKmsdWorkers(2);
  });
  after(async () => kmsd.dispose());

  it("both workers serve, and both report listening on the same port", () => {
    const lines = kmsd.stderr().split("\n").filter((line) => line.includes('"listening"'));
    assert.equal(lines.length, 2);
    const ports = new Set(lines.map((line) => (JSON.parse(line) as { port: number }).port));
    assert.deepEqual([...ports], [kmsd.port]);
  });

  it("fresh connections are spread over both workers (GET /health names the worker that answered)", async () => {
    const answeredBy = new Set<unknown>();
    for (let i = 0; i < ROUNDS; i++) answeredBy.add((await rawRequest(kmsd.endpoint, { method: "GET", path: "/health" })).json().worker);
    assert.deepEqual([...answeredBy].sort(), [0, 1]);
  });

  it("DisableKey through one worker is seen by every worker before it is acknowledged", async () => {
    const admin = kmsd.kms();
    const keyId = (await admin.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId;
    // Warm both workers' caches with the enabled key.
    for (const result of await everywhere((client) => client.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("x") })))) {
      assert.equal(result.status, "fulfilled");
    }
    await freshClient().send(new DisableKeyCommand({ KeyId: keyId }));
    for (const result of await everywhere((client) => client.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("x") })))) {
      assert.equal(result.status, "rejected");
      assert.equal((result as PromiseRejectedResult).reason.name, "DisabledException");
    }
    await freshClient().send(new EnableKeyCommand({ KeyId: keyId }));
    for (const result of await everywhere((client) => client.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("x") })))) {
      assert.equal(result.status, "fulfilled");
    }
  });

  it("a key policy change through one worker applies on every worker at once", async () => {
    const admin = kmsd.kms();
    const keyId = (await admin.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId ?? "";
    const { CiphertextBlob } = await admin.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("x") }));
    await everywhere((client) => client.send(new DecryptCommand({ CiphertextBlob })));
    const denyDecrypt = JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${kmsd.accountId}:root` }, Action: "kms:*", Resource: "*" },
        { Effect: "Deny", Principal: { AWS: "*" }, Action: "kms:Decrypt", Resource: "*" },
      ],
    });
    await freshClient().send(new PutKeyPolicyCommand({ KeyId: keyId, PolicyName: "default", Policy: denyDecrypt }));
    for (const result of await everywhere((client) => client.send(new DecryptCommand({ CiphertextBlob })))) {
      assert.equal(result.status, "rejected");
      assert.equal((result as PromiseRejectedResult).reason.name, "AccessDeniedException");
    }
  });

  it("the dev clock moves on every worker, and a key whose deletion date passes is gone everywhere", async () => {
    const admin = kmsd.kms();
    const keyId = (await admin.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId ?? "";
    await everywhere((client) => client.send(new DescribeKeyCommand({ KeyId: keyId })));
    await admin.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
    await kmsd.advanceClock(8 * 86_400);
    for (const result of await everywhere((client) => client.send(new DescribeKeyCommand({ KeyId: keyId })))) {
      assert.equal(result.status, "rejected");
      assert.equal((result as PromiseRejectedResult).reason.name, "NotFoundException");
    }
    await expectAwsError(admin.send(new DescribeKeyCommand({ KeyId: keyId })), "NotFoundException");
  });

  it("ScheduleKeyDeletion and a grant's creation and revocation apply on every worker before they are acknowledged", async () => {
    const admin = kmsd.kms();
    const identities = new TestIdentities(() => kmsd);
    try {
      const grantee = await identities.newUser("grantee");
      const keyId = (await admin.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId ?? "";
      const asGrantee = (client: KMSClient) => client.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("x") }));
      const everywhereAs = (send: (client: KMSClient) => Promise<unknown>) => everywhere(send, grantee.credentials);
      // Every worker has the key cached with no grant: the grantee is refused everywhere.
      for (const result of await everywhereAs(asGrantee)) assert.equal(result.status, "rejected");
      const { GrantId } = await freshClient().send(new CreateGrantCommand({ KeyId: keyId, GranteePrincipal: grantee.arn, Operations: ["Encrypt"] }));
      for (const result of await everywhereAs(asGrantee)) assert.equal(result.status, "fulfilled", "the grant works on every worker at once");
      await freshClient().send(new RevokeGrantCommand({ KeyId: keyId, GrantId }));
      for (const result of await everywhereAs(asGrantee)) {
        assert.equal(result.status, "rejected", "the revocation applies on every worker at once");
        assert.equal((result as PromiseRejectedResult).reason.name, "AccessDeniedException");
      }
      await freshClient().send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
      for (const result of await everywhere((client) => client.send(new DescribeKeyCommand({ KeyId: keyId })))) {
        assert.equal(result.status, "fulfilled");
        assert.equal((result as PromiseFulfilledResult<{ KeyMetadata?: { KeyState?: string } }>).value.KeyMetadata?.KeyState, "PendingDeletion");
      }
    } finally {
      identities.destroy();
    }
  });

  it("an on-demand rotation is used by every worker before it is acknowledged", async () => {
    const admin = kmsd.kms();
    const keyId = (await admin.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId ?? "";
    const dataKey = (client: KMSClient) => client.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: "AES_256" }));
    const first = (await dataKey(admin)).KeyMaterialId;
    assert.ok(first);
    await everywhere(dataKey);
    await freshClient().send(new RotateKeyOnDemandCommand({ KeyId: keyId }));
    for (const result of await everywhere(dataKey)) {
      assert.equal(result.status, "fulfilled");
      const materialId = (result as PromiseFulfilledResult<{ KeyMaterialId?: string }>).value.KeyMaterialId;
      assert.ok(materialId && materialId !== first, "every worker encrypts under the new material");
    }
  });

  it("IAM changes (an inline policy granted and removed, an access key made inactive) apply on every worker before they are acknowledged", async () => {
    const identities = new TestIdentities(() => kmsd);
    try {
      const user = await identities.newUser("iam-change");
      const keyId = (await kmsd.kms().send(new CreateKeyCommand({}))).KeyMetadata?.KeyId ?? "";
      const asUser = () => everywhere((client) => client.send(new DescribeKeyCommand({ KeyId: keyId })), user.credentials);
      const reasons = (results: PromiseSettledResult<unknown>[]) =>
        results.map((result) => (result.status === "fulfilled" ? "ok" : String((result as PromiseRejectedResult).reason.name)));
      assert.deepEqual(new Set(reasons(await asUser())), new Set(["AccessDeniedException"]));
      await identities.iam().send(new PutUserPolicyCommand({ UserName: user.name, PolicyName: "describe", PolicyDocument: policy(allow("kms:DescribeKey")) }));
      assert.deepEqual(new Set(reasons(await asUser())), new Set(["ok"]), "the policy applies on every worker at once");
      await identities.iam().send(new DeleteUserPolicyCommand({ UserName: user.name, PolicyName: "describe" }));
      assert.deepEqual(new Set(reasons(await asUser())), new Set(["AccessDeniedException"]), "its removal too");
      await identities.iam().send(new PutUserPolicyCommand({ UserName: user.name, PolicyName: "describe", PolicyDocument: policy(allow("kms:DescribeKey")) }));
      assert.deepEqual(new Set(reasons(await asUser())), new Set(["ok"]));
      await identities.iam().send(new UpdateAccessKeyCommand({ UserName: user.name, AccessKeyId: user.credentials.accessKeyId, Status: "Inactive" }));
      assert.deepEqual(new Set(reasons(await asUser())), new Set(["UnrecognizedClientException"]), "an inactive key stops on every worker at once");
    } finally {
      identities.destroy();
    }
  });

  it("UpdateAlias and DeleteAlias through one worker apply on every worker, which had the alias cached", async () => {
    const admin = kmsd.kms();
    const first = (await admin.send(new CreateKeyCommand({}))).KeyMetadata?.Arn ?? "";
    const second = (await admin.send(new CreateKeyCommand({}))).KeyMetadata?.Arn ?? "";
    const aliasName = `alias/workers-${Date.now()}`;
    await admin.send(new CreateAliasCommand({ AliasName: aliasName, TargetKeyId: first }));
    const encryptedUnder = async () =>
      (await everywhere((client) => client.send(new EncryptCommand({ KeyId: aliasName, Plaintext: Buffer.from("x") })))).map((result) =>
        result.status === "fulfilled" ? result.value.KeyId : (result as PromiseRejectedResult).reason.name,
      );
    assert.deepEqual(new Set(await encryptedUnder()), new Set([first]));
    await freshClient().send(new UpdateAliasCommand({ AliasName: aliasName, TargetKeyId: second }));
    assert.deepEqual(new Set(await encryptedUnder()), new Set([second]), "every worker follows the alias at once");
    await freshClient().send(new DeleteAliasCommand({ AliasName: aliasName }));
    assert.deepEqual(new Set(await encryptedUnder()), new Set(["NotFoundException"]), "and forgets it at once");
  });

  // Last: it kills a worker.
  it("a worker killed with SIGKILL is started again; afterwards both answer and earlier ciphertexts decrypt on each", async () => {
    const admin = kmsd.kms();
    const keyId = (await admin.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId ?? "";
    const { CiphertextBlob } = await admin.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("survives") }));
    const workerPids = () => readFileSync(`/proc/${kmsd.process.pid}/task/${kmsd.process.pid}/children`, "utf8").trim().split(/\s+/).map(Number);
    const original = workerPids();
    assert.equal(original.length, 2);
    process.kill(original[0] as number, "SIGKILL");

    const deadline = Date.now() + 10_000;
    while ((kmsd.stderr().match(/"message":"listening"/g) ?? []).length < 3 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.match(kmsd.stderr(), /"message":"worker died; starting another"/);
    const replaced = workerPids();
    assert.equal(replaced.length, 2, "two workers again");
    assert.ok(!replaced.includes(original[0] as number), "the killed one was replaced");

    const answeredBy = new Set<unknown>();
    for (let i = 0; i < ROUNDS; i++) answeredBy.add((await rawRequest(kmsd.endpoint, { method: "GET", path: "/health" })).json().worker);
    assert.deepEqual([...answeredBy].sort(), [0, 1]);
    for (const result of await everywhere((client) => client.send(new DecryptCommand({ CiphertextBlob })))) {
      assert.equal(result.status, "fulfilled");
      assert.equal(Buffer.from((result as PromiseFulfilledResult<{ Plaintext?: Uint8Array }>).value.Plaintext ?? []).toString(), "survives");
    }
  });
});
