/**
 * `POST /kmsd/dev/reset` (`--dev` only): every account, or one, back to its first-start state
 * in one call, seen at once by every worker; the roots' credentials keep working; not audited;
 * absent without --dev.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CreateAliasCommand, CreateGrantCommand, DescribeKeyCommand, EncryptCommand, ListAliasesCommand, ListKeysCommand } from "@aws-sdk/client-kms";
import { ListUsersCommand } from "@aws-sdk/client-iam";
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { createKey, uniqueAlias } from "./support/e2e.ts";
import { TestIdentities } from "./support/identities.ts";
import { createAccount, credentialsOf, expectAwsError, startKmsd, startKmsdWorkers, type Kmsd } from "./support/kmsd.ts";

/** Posts to the reset endpoint; resolves with status and parsed body. */
async function reset(kmsd: Kmsd, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${kmsd.endpoint}/kmsd/dev/reset`, { method: "POST", body: body === undefined ? "" : JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("--dev reset", () => {
  let kmsd: Kmsd;
  const identities = new TestIdentities(() => kmsd);
  before(async () => {
    kmsd = await startKmsdWorkers(2);
  });
  after(async () => {
    identities.destroy();
    await kmsd.dispose();
  });

  /** Keys, an alias, a grant and an IAM user with an access key, made as `credentials`' account root. */
  async function populate(credentials = kmsd.credentials) {
    const kms = kmsd.kms({ credentials });
    const key = await createKey(kms);
    await kms.send(new CreateAliasCommand({ AliasName: uniqueAlias("reset"), TargetKeyId: key.KeyId }));
    await kms.send(new CreateGrantCommand({ KeyId: key.KeyId, GranteePrincipal: `arn:aws:iam::${kmsd.accountId}:root`, Operations: ["Encrypt"] }));
    const user = await identities.newUser("reset-user", undefined, credentials);
    // Read through both workers, so that each has the key and the user's access key cached.
    for (let i = 0; i < 4; i++) {
      await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }));
      await identities.sts(user.credentials).send(new GetCallerIdentityCommand({}));
    }
    return { key, user };
  }

  async function customerAliases(credentials = kmsd.credentials): Promise<string[]> {
    const { Aliases } = await kmsd.kms({ credentials }).send(new ListAliasesCommand({}));
    return (Aliases ?? []).map((alias) => alias.AliasName ?? "").filter((name) => !name.startsWith("alias/aws/"));
  }

  it("empties every account in one call, on every worker, and the roots' credentials still work", async () => {
    const other = credentialsOf(await createAccount(kmsd.dataDir));
    const mine = await populate();
    await populate(other);

    const answer = await reset(kmsd);
    assert.equal(answer.status, 200);
    assert.equal((answer.body.ResetAccounts as string[]).length, 2);

    for (const credentials of [kmsd.credentials, other]) {
      const kms = kmsd.kms({ credentials });
      for (let i = 0; i < 4; i++) {
        assert.deepEqual((await kms.send(new ListKeysCommand({}))).Keys, []);
        await expectAwsError(kms.send(new DescribeKeyCommand({ KeyId: mine.key.Arn })), "NotFoundException");
        await expectAwsError(kms.send(new EncryptCommand({ KeyId: mine.key.KeyId, Plaintext: Buffer.from("x") })), "NotFoundException");
      }
      assert.deepEqual(await customerAliases(credentials), []);
      assert.deepEqual((await identities.iam(credentials).send(new ListUsersCommand({}))).Users, []);
    }
    // The user is gone: on a --dev server an unknown access key acts as the default account's root, never as the user.
    for (let i = 0; i < 4; i++) {
      const caller = await identities.sts(mine.user.credentials).send(new GetCallerIdentityCommand({}));
      assert.notEqual(caller.Arn, mine.user.arn);
    }
    // A fresh start: new keys work.
    const key = await createKey(kmsd.kms());
    await kmsd.kms().send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from("x") }));
  });

  it("empties only the account named, and refuses an unknown one or a body that is not a JSON object", async () => {
    const other = credentialsOf(await createAccount(kmsd.dataDir));
    const otherId = (await identities.sts(other).send(new GetCallerIdentityCommand({}))).Account ?? "";
    await populate();
    await populate(other);
    const answer = await reset(kmsd, { AccountId: otherId });
    assert.deepEqual(answer, { status: 200, body: { ResetAccounts: [otherId] } });
    assert.deepEqual((await kmsd.kms({ credentials: other }).send(new ListKeysCommand({}))).Keys, []);
    assert.ok(((await kmsd.kms().send(new ListKeysCommand({}))).Keys ?? []).length > 0, "the default account was reset too");

    assert.equal((await reset(kmsd, { AccountId: "000000000000" })).body.__type, "NotFoundException");
    assert.equal((await reset(kmsd, ["not", "an", "object"])).body.__type, "ValidationException");
    assert.ok(((await kmsd.kms().send(new ListKeysCommand({}))).Keys ?? []).length > 0, "a refused reset emptied something");
  });
});

describe("reset without --dev", () => {
  it("does not exist: the key survives", async () => {
    const kmsd = await startKmsd();
    try {
      const key = await createKey(kmsd.kms());
      const response = await fetch(`${kmsd.endpoint}/kmsd/dev/reset`, { method: "POST", body: "{}" });
      assert.ok(response.status >= 400 && response.status < 500, String(response.status));
      await kmsd.kms().send(new DescribeKeyCommand({ KeyId: key.KeyId }));
    } finally {
      await kmsd.dispose();
    }
  });
});
