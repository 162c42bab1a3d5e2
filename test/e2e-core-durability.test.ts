/**
 * End to end: what kmsd acknowledged survives. A graceful restart keeps every key,
 * alias, tag, policy, state and ciphertext; `kill -9` in the middle of a burst of
 * CreateKey and Encrypt calls loses no acknowledged key and no returned ciphertext.
 */
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateAliasCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GetKeyPolicyCommand,
  ListAliasesCommand,
  ListKeysCommand,
  ListResourceTagsCommand,
  ScheduleKeyDeletionCommand,
  type KMSClient,
} from "@aws-sdk/client-kms";
import { createAccount, credentialsOf, startKmsd, type Kmsd } from "./support/kmsd.ts";
import { bytes, createKey, type CreatedKey } from "./support/e2e.ts";

describe("kmsd core: durability", () => {
  const dataDirs: string[] = [];
  const running: Kmsd[] = [];
  const freshDataDir = () => {
    const dir = mkdtempSync(join(tmpdir(), "kmsd-durability-"));
    dataDirs.push(dir);
    return dir;
  };
  const start = async (dataDir: string) => {
    const kmsd = await startKmsd({ dataDir });
    running.push(kmsd);
    return kmsd;
  };
  after(async () => {
    for (const kmsd of running) await kmsd.stop();
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  });

  it("keys, their states, aliases, tags, policies, accounts and ciphertexts made before a graceful restart all work after it", async () => {
    const dataDir = freshDataDir();
    const first = await start(dataDir);
    const kms = first.kms();
    const policy = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${first.accountId}:root` }, Action: "kms:*", Resource: "*" }] });
    const tags = [{ TagKey: "team", TagValue: "core" }, { TagKey: "env", TagValue: "test" }];
    const tagged = await createKey(kms, { Description: "tagged", Tags: tags, Policy: policy });
    const disabled = await createKey(kms);
    const pending = await createKey(kms);
    await kms.send(new CreateAliasCommand({ AliasName: "alias/durable", TargetKeyId: tagged.KeyId }));
    const context = { app: "durability" };
    const plaintext = randomBytes(200);
    const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: "alias/durable", Plaintext: plaintext, EncryptionContext: context }));
    const dataKey = await kms.send(new GenerateDataKeyCommand({ KeyId: disabled.KeyId, KeySpec: "AES_256" }));
    await kms.send(new DisableKeyCommand({ KeyId: disabled.KeyId }));
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: pending.KeyId, PendingWindowInDays: 7 }));
    const second = await createAccount(dataDir);
    const theirKey = await createKey(first.kms({ credentials: credentialsOf(second) }));
    const describe = async (client: KMSClient, keyId: string) => (await client.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata;
    const before = await Promise.all([tagged, disabled, pending].map((key) => describe(kms, key.KeyId)));
    await first.stop();

    const restarted = await start(dataDir);
    assert.deepEqual(
      [restarted.credentials.accessKeyId, restarted.credentials.secretAccessKey],
      [first.credentials.accessKeyId, first.credentials.secretAccessKey],
      "the credentials file is not rewritten",
    );
    assert.equal(restarted.accountId, first.accountId);
    const after = restarted.kms();
    assert.deepEqual(await Promise.all([tagged, disabled, pending].map((key) => describe(after, key.KeyId))), before);
    assert.deepEqual((await after.send(new ListResourceTagsCommand({ KeyId: tagged.KeyId }))).Tags, tags);
    assert.equal((await after.send(new GetKeyPolicyCommand({ KeyId: tagged.KeyId }))).Policy, policy);
    assert.equal((await describe(after, "alias/durable"))?.KeyId, tagged.KeyId);
    const aliases = (await after.send(new ListAliasesCommand({ KeyId: tagged.KeyId }))).Aliases;
    assert.deepEqual(aliases?.map((alias) => alias.AliasName), ["alias/durable"]);
    const { Plaintext } = await after.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: context }));
    assert.deepEqual(bytes(Plaintext), plaintext);
    const listed = (await after.send(new ListKeysCommand({}))).Keys?.map((key) => key.KeyId);
    assert.deepEqual(listed, [tagged.KeyId, disabled.KeyId, pending.KeyId]);
    // The second account and its key are still there, reachable with its credentials.
    assert.equal((await describe(restarted.kms({ credentials: credentialsOf(second) }), theirKey.KeyId))?.AWSAccountId, second.AccountId);
    // The disabled key's data key decrypts again once the key is re-enabled.
    await after.send(new EnableKeyCommand({ KeyId: disabled.KeyId }));
    const decryptedDataKey = await after.send(new DecryptCommand({ CiphertextBlob: dataKey.CiphertextBlob }));
    assert.deepEqual(bytes(decryptedDataKey.Plaintext), bytes(dataKey.Plaintext));
    // New keys keep coming after the old ones.
    const newer = await createKey(after);
    assert.equal((await after.send(new ListKeysCommand({}))).Keys?.at(-1)?.KeyId, newer.KeyId);
  });

  it("kill -9 during a burst of CreateKey and Encrypt loses no acknowledged key, and every returned ciphertext decrypts after restart", async (t) => {
    // A burst only proves something if the kill cut some calls off. On a loaded machine the
    // client may read every answer the server wrote before it died; then the burst is run again.
    let lost = 0;
    for (let attempt = 1; attempt <= 5 && lost === 0; attempt++) {
      lost = await burstKillAndCheck((message) => t.diagnostic(`attempt ${attempt}: ${message}`));
    }
    assert.ok(lost > 0, "some calls were cut off by the kill");
  });

  /** One burst, SIGKILL in the middle, restart, checks; returns how many calls the kill cut off. */
  async function burstKillAndCheck(diagnostic: (message: string) => void): Promise<number> {
    const dataDir = freshDataDir();
    const kmsd = await start(dataDir);
    const kms = kmsd.kms();
    const seedKeys: CreatedKey[] = [];
    for (let i = 0; i < 4; i++) seedKeys.push(await createKey(kms));

    const TOTAL = 240;
    const KILL_AFTER_ACKS = 80;
    const createdKeys: CreatedKey[] = [];
    const ciphertexts: { blob: Uint8Array; plaintext: Buffer; context: Record<string, string>; keyId: string }[] = [];
    let launched = 0;
    let settled = 0;
    let acks = 0;
    let inFlightAtKill = -1;
    let killed = false;
    const operations: Promise<unknown>[] = [];

    // SIGKILL straight away, leaving the client alone: its calls in flight must fail on their own.
    const killNow = () => {
      // The call whose answer triggers the kill is answered, though not yet settled.
      inFlightAtKill = launched - settled - 1;
      killed = kmsd.process.kill("SIGKILL");
    };
    const acknowledged = () => {
      acks++;
      if (acks === KILL_AFTER_ACKS) killNow();
    };
    const launch = (i: number) => {
      launched++;
      let operation: Promise<unknown>;
      if (i % 2 === 0) {
        operation = createKey(kms, { Description: `burst ${i}` }).then((key) => {
          createdKeys.push(key);
          acknowledged();
        });
      } else {
        // Encrypt under a seed key or under a key this burst created (and that was acknowledged).
        const pool = [...seedKeys, ...createdKeys];
        const key = pool[i % pool.length] as CreatedKey;
        const plaintext = randomBytes(32);
        const context = { burst: String(i) };
        operation = kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: plaintext, EncryptionContext: context })).then((response) => {
          ciphertexts.push({ blob: bytes(response.CiphertextBlob), plaintext, context, keyId: key.KeyId });
          acknowledged();
        });
      }
      operations.push(operation.finally(() => settled++));
    };

    // Launch the burst over a few hundred milliseconds, so calls keep arriving while the kill happens.
    for (let i = 0; i < TOTAL && !killed; i++) {
      launch(i);
      if (i % 4 === 3) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await Promise.allSettled(operations);
    if (!killed) killNow();
    await kmsd.kill();
    assert.ok(createdKeys.length > 0 && ciphertexts.length > 0, "some of each call were acknowledged before the kill");
    const lost = operations.length - createdKeys.length - ciphertexts.length;
    diagnostic(
      `launched ${operations.length}, in flight at the kill ${inFlightAtKill}, acknowledged ${createdKeys.length} CreateKey + ${ciphertexts.length} Encrypt, cut off ${lost}`,
    );

    const restarted = await start(dataDir);
    const after = restarted.kms();
    for (const key of [...seedKeys, ...createdKeys]) {
      const { KeyMetadata } = await after.send(new DescribeKeyCommand({ KeyId: key.KeyId }));
      assert.equal(KeyMetadata?.KeyState, "Enabled", `acknowledged key ${key.KeyId} survived`);
      assert.equal(KeyMetadata?.CurrentKeyMaterialId, key.CurrentKeyMaterialId);
    }
    for (const { blob, plaintext, context, keyId } of ciphertexts) {
      const decrypted = await after.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: context }));
      assert.deepEqual(bytes(decrypted.Plaintext), plaintext, `a ciphertext of ${keyId} decrypts`);
    }
    // Every key the database kept, acknowledged or not, is whole: it has material and encrypts.
    const { Keys } = await after.send(new ListKeysCommand({ Limit: 1000 }));
    assert.ok((Keys?.length ?? 0) >= seedKeys.length + createdKeys.length);
    for (const entry of Keys ?? []) {
      await after.send(new EncryptCommand({ KeyId: entry.KeyId, Plaintext: Buffer.from("whole") }));
    }
    return lost;
  }
});
