/**
 * End to end, through @aws-sdk/client-kms: the life of a symmetric key (create,
 * describe, list, enable/disable, schedule/cancel deletion, real deletion), the
 * key-state table, and how every kind of key identifier is resolved.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  CancelKeyDeletionCommand,
  CreateKeyCommand,
  CreateAliasCommand,
  DecryptCommand,
  DeleteAliasCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateDataKeyWithoutPlaintextCommand,
  GetKeyPolicyCommand,
  ListAliasesCommand,
  ListKeyPoliciesCommand,
  ListKeysCommand,
  ListResourceTagsCommand,
  ReEncryptCommand,
  ScheduleKeyDeletionCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateAliasCommand,
  UpdateKeyDescriptionCommand,
  type KMSClient,
} from "@aws-sdk/client-kms";
import { createAccount, credentialsOf, expectAwsError, startKmsd, type Kmsd } from "./support/kmsd.ts";
import { bytes, createKey, keySnapshot, putKeyInState, uniqueAlias, type TestKeyState } from "./support/e2e.ts";

const DAY_MS = 86_400_000;

describe("kmsd core: keys", () => {
  let kmsd: Kmsd;
  let kms: KMSClient;
  before(async () => {
    kmsd = await startKmsd();
    kms = kmsd.kms();
  });
  after(async () => kmsd.dispose());

  describe("CreateKey and DescribeKey", () => {
    it("a new key has exactly the KeyMetadata fields AWS returns for a symmetric key, with AWS's values", async () => {
      const before = Date.now();
      const created = await createKey(kms, { Description: "test key 123" });
      const after = Date.now();
      const { KeyMetadata: described } = await kms.send(new DescribeKeyCommand({ KeyId: created.KeyId }));
      assert.ok(described);
      // The field set of the recorded `test_create_key` answer.
      const fields = [
        "AWSAccountId", "Arn", "CreationDate", "CurrentKeyMaterialId", "CustomerMasterKeySpec", "Description", "Enabled",
        "EncryptionAlgorithms", "KeyId", "KeyManager", "KeySpec", "KeyState", "KeyUsage", "MultiRegion", "Origin",
      ];
      assert.deepEqual(Object.keys(created).sort(), fields);
      assert.deepEqual(Object.keys(described).sort(), fields);
      assert.deepEqual(described, created, "DescribeKey answers what CreateKey answered");
      assert.match(created.KeyId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.equal(created.Arn, `arn:aws:kms:us-east-1:${kmsd.accountId}:key/${created.KeyId}`);
      assert.equal(created.AWSAccountId, kmsd.accountId);
      assert.match(created.CurrentKeyMaterialId ?? "", /^[0-9a-f]{64}$/);
      const creation = created.CreationDate?.getTime() ?? 0;
      assert.ok(creation >= before - 1000 && creation <= after + 1000, `CreationDate ${created.CreationDate?.toISOString()} is now`);
      assert.deepEqual(
        {
          CustomerMasterKeySpec: created.CustomerMasterKeySpec,
          Description: created.Description,
          Enabled: created.Enabled,
          EncryptionAlgorithms: created.EncryptionAlgorithms,
          KeyManager: created.KeyManager,
          KeySpec: created.KeySpec,
          KeyState: created.KeyState,
          KeyUsage: created.KeyUsage,
          MultiRegion: created.MultiRegion,
          Origin: created.Origin,
        },
        {
          CustomerMasterKeySpec: "SYMMETRIC_DEFAULT",
          Description: "test key 123",
          Enabled: true,
          EncryptionAlgorithms: ["SYMMETRIC_DEFAULT"],
          KeyManager: "CUSTOMER",
          KeySpec: "SYMMETRIC_DEFAULT",
          KeyState: "Enabled",
          KeyUsage: "ENCRYPT_DECRYPT",
          MultiRegion: false,
          Origin: "AWS_KMS",
        },
      );
    });

    it("a key created with no input gets AWS's defaults: empty description, SYMMETRIC_DEFAULT, ENCRYPT_DECRYPT, AWS_KMS", async () => {
      const created = await createKey(kms);
      assert.equal(created.Description, "");
      assert.equal(created.KeySpec, "SYMMETRIC_DEFAULT");
      assert.equal(created.KeyUsage, "ENCRYPT_DECRYPT");
      assert.equal(created.Origin, "AWS_KMS");
      assert.equal(created.KeyState, "Enabled");
    });

    it("two keys never share a key id or key material id", async () => {
      const [a, b] = await Promise.all([createKey(kms), createKey(kms)]);
      assert.notEqual(a.KeyId, b.KeyId);
      assert.notEqual(a.CurrentKeyMaterialId, b.CurrentKeyMaterialId);
    });

    it("Tags given to CreateKey are stored in the order given", async () => {
      const tags = [
        { TagKey: "tag1", TagValue: "value1" },
        { TagKey: "tag2", TagValue: "value2" },
      ];
      const key = await createKey(kms, { Tags: tags });
      const { Tags } = await kms.send(new ListResourceTagsCommand({ KeyId: key.KeyId }));
      assert.deepEqual(Tags, tags);
    });

    it("a Policy given to CreateKey is returned by GetKeyPolicy unchanged, under the name default", async () => {
      const policy = JSON.stringify({
        Version: "2012-10-17",
        Id: "custom-policy",
        Statement: [{ Sid: "root", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${kmsd.accountId}:root` }, Action: "kms:*", Resource: "*" }],
      });
      const key = await createKey(kms, { Policy: policy });
      const got = await kms.send(new GetKeyPolicyCommand({ KeyId: key.KeyId, PolicyName: "default" }));
      assert.equal(got.Policy, policy);
      assert.equal(got.PolicyName, "default");
      const listed = await kms.send(new ListKeyPoliciesCommand({ KeyId: key.KeyId }));
      assert.deepEqual(listed.PolicyNames, ["default"]);
      assert.equal(listed.Truncated, false);
    });

    it("a key created without a Policy gets AWS's default key policy: the account root may do kms:*", async () => {
      const key = await createKey(kms);
      const { Policy } = await kms.send(new GetKeyPolicyCommand({ KeyId: key.KeyId }));
      const parsed = JSON.parse(Policy ?? "") as { Version: string; Statement: Record<string, unknown>[] };
      assert.equal(parsed.Version, "2012-10-17");
      assert.deepEqual(parsed.Statement, [
        {
          Sid: "Enable IAM User Permissions",
          Effect: "Allow",
          Principal: { AWS: `arn:aws:iam::${kmsd.accountId}:root` },
          Action: "kms:*",
          Resource: "*",
        },
      ]);
    });

    it("a Policy that is not JSON is MalformedPolicyDocumentException and creates no key", async () => {
      const { Keys: beforeKeys } = await kms.send(new ListKeysCommand({ Limit: 1000 }));
      await expectAwsError(kms.send(new CreateKeyCommand({ Policy: "{not json" })), "MalformedPolicyDocumentException");
      const { Keys: afterKeys } = await kms.send(new ListKeysCommand({ Limit: 1000 }));
      assert.equal(afterKeys?.length, beforeKeys?.length);
    });

    it("key specs kmsd cannot create yet, and KeyUsage that does not fit the spec, are refused with a clear error", async () => {
      await expectAwsError(
        kms.send(new CreateKeyCommand({ KeyUsage: "SIGN_VERIFY" })),
        "ValidationException",
        "KeyUsage SIGN_VERIFY is not compatible with KeySpec SYMMETRIC_DEFAULT",
      );
      await expectAwsError(
        kms.send(new CreateKeyCommand({ KeySpec: "HMAC_256" })),
        "ValidationException",
        "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.",
      );
    });

    it("DescribeKey finds a key by key id, key ARN, alias name and alias ARN", async () => {
      const key = await createKey(kms, { Description: "found four ways" });
      const aliasName = uniqueAlias("describe");
      await kms.send(new CreateAliasCommand({ AliasName: aliasName, TargetKeyId: key.KeyId }));
      const identifiers = [key.KeyId, key.Arn, aliasName, `arn:aws:kms:us-east-1:${kmsd.accountId}:${aliasName}`];
      for (const identifier of identifiers) {
        const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: identifier }));
        assert.equal(KeyMetadata?.KeyId, key.KeyId, identifier);
        assert.equal(KeyMetadata?.Description, "found four ways", identifier);
      }
    });
  });

  describe("ListKeys", () => {
    // A region of its own, so that the keys other tests create do not show up here.
    const REGION = "ca-central-1";

    it("pages with Limit and Marker: every key exactly once, in creation order, Truncated until the last page", async () => {
      const regional = kmsd.kms({ region: REGION });
      const created: string[] = [];
      for (let i = 0; i < 7; i++) created.push((await createKey(regional)).KeyId);
      const seen: string[] = [];
      const pageSizes: number[] = [];
      let marker: string | undefined;
      for (;;) {
        const page = await regional.send(new ListKeysCommand({ Limit: 3, Marker: marker }));
        pageSizes.push(page.Keys?.length ?? 0);
        for (const entry of page.Keys ?? []) {
          assert.equal(entry.KeyArn, `arn:aws:kms:${REGION}:${kmsd.accountId}:key/${entry.KeyId}`);
          seen.push(entry.KeyId ?? "");
        }
        if (!page.Truncated) {
          assert.equal(page.NextMarker, undefined, "the last page has no NextMarker");
          break;
        }
        assert.ok(page.NextMarker, "a truncated page has a NextMarker");
        marker = page.NextMarker;
      }
      assert.deepEqual(pageSizes, [3, 3, 1]);
      assert.deepEqual(seen, created);
    });

    it("without Limit lists the region's keys in one page", async () => {
      const regional = kmsd.kms({ region: REGION });
      const page = await regional.send(new ListKeysCommand({}));
      assert.equal(page.Truncated, false);
      assert.equal(page.Keys?.length, 7);
    });

    for (const [name, marker] of [
      ["random text", "garbage-marker"],
      ["a well-formed wrapper around a bad cursor", Buffer.from("kmsd1:not-a-number").toString("base64url")],
      ["a ListAliases marker", Buffer.from("kmsd1:alias/x").toString("base64url")],
    ] as const) {
      it(`a garbled Marker (${name}) is InvalidMarkerException`, async () => {
        await expectAwsError(kms.send(new ListKeysCommand({ Marker: marker })), "InvalidMarkerException");
      });
    }

    it("Limit outside 1..1000 is the model's ValidationException", async () => {
      await expectAwsError(
        kms.send(new ListKeysCommand({ Limit: 0 })),
        "ValidationException",
        "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
      );
      await expectAwsError(
        kms.send(new ListKeysCommand({ Limit: 1001 })),
        "ValidationException",
        "1 validation error detected: Value '1001' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 1000",
      );
    });
  });

  describe("EnableKey and DisableKey", () => {
    it("DisableKey makes a key Disabled and EnableKey makes it Enabled again; both are idempotent", async () => {
      const key = await createKey(kms);
      const state = async () => (await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata;
      await kms.send(new DisableKeyCommand({ KeyId: key.KeyId }));
      assert.deepEqual([(await state())?.KeyState, (await state())?.Enabled], ["Disabled", false]);
      await kms.send(new DisableKeyCommand({ KeyId: key.Arn }));
      assert.equal((await state())?.KeyState, "Disabled");
      await kms.send(new EnableKeyCommand({ KeyId: key.KeyId }));
      assert.deepEqual([(await state())?.KeyState, (await state())?.Enabled], ["Enabled", true]);
      await kms.send(new EnableKeyCommand({ KeyId: key.Arn }));
      assert.equal((await state())?.KeyState, "Enabled");
    });

    it("a re-enabled key encrypts again and still decrypts what it encrypted before", async () => {
      const key = await createKey(kms);
      const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from("before") }));
      await kms.send(new DisableKeyCommand({ KeyId: key.KeyId }));
      await kms.send(new EnableKeyCommand({ KeyId: key.KeyId }));
      const { Plaintext } = await kms.send(new DecryptCommand({ CiphertextBlob }));
      assert.equal(bytes(Plaintext).toString(), "before");
      await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from("after") }));
    });
  });

  describe("ScheduleKeyDeletion and CancelKeyDeletion", () => {
    it("without PendingWindowInDays the window is 30 days; the key is PendingDeletion, not Enabled, with a DeletionDate", async () => {
      const key = await createKey(kms);
      const before = Date.now();
      const scheduled = await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId }));
      assert.equal(scheduled.KeyId, key.Arn);
      assert.equal(scheduled.KeyState, "PendingDeletion");
      assert.equal(scheduled.PendingWindowInDays, 30);
      const deletion = scheduled.DeletionDate?.getTime() ?? 0;
      assert.ok(Math.abs(deletion - (before + 30 * DAY_MS)) < 60_000, `DeletionDate ${scheduled.DeletionDate?.toISOString()} is 30 days away`);
      const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }));
      assert.equal(KeyMetadata?.KeyState, "PendingDeletion");
      assert.equal(KeyMetadata?.Enabled, false);
      assert.equal(KeyMetadata?.DeletionDate?.getTime(), deletion);
    });

    for (const days of [7, 30]) {
      it(`a window of ${days} days is accepted and sets the DeletionDate ${days} days ahead`, async () => {
        const key = await createKey(kms);
        const before = Date.now();
        const scheduled = await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: days }));
        assert.equal(scheduled.PendingWindowInDays, days);
        assert.ok(Math.abs((scheduled.DeletionDate?.getTime() ?? 0) - (before + days * DAY_MS)) < 60_000);
      });
    }

    // Inside the model's 1..365 but outside KMS's 7..30, AWS answers with a sentence; outside the model, with the model's wording.
    const KMS_RANGE = "PendingWindowInDays must be between 7 and 30";
    const modelBound = (days: number, bound: string) =>
      `1 validation error detected: Value '${days}' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value ${bound}`;
    for (const [days, message] of [
      [1, KMS_RANGE],
      [6, KMS_RANGE],
      [31, KMS_RANGE],
      [365, KMS_RANGE],
      [0, modelBound(0, "greater than or equal to 1")],
      [366, modelBound(366, "less than or equal to 365")],
    ] as const) {
      it(`a window of ${days} days is ValidationException and leaves the key Enabled`, async () => {
        const key = await createKey(kms);
        await expectAwsError(
          kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: days })),
          "ValidationException",
          message,
        );
        const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }));
        assert.equal(KeyMetadata?.KeyState, "Enabled");
        assert.equal(KeyMetadata?.DeletionDate, undefined);
      });
    }

    it("CancelKeyDeletion leaves the key Disabled (not Enabled) and without a DeletionDate", async () => {
      const key = await createKey(kms);
      await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));
      const cancelled = await kms.send(new CancelKeyDeletionCommand({ KeyId: key.KeyId }));
      assert.equal(cancelled.KeyId, key.Arn);
      const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }));
      assert.equal(KeyMetadata?.KeyState, "Disabled");
      assert.equal(KeyMetadata?.Enabled, false);
      assert.equal(KeyMetadata?.DeletionDate, undefined);
      assert.ok(!("DeletionDate" in (KeyMetadata ?? {})), "no DeletionDate member at all");
    });

    it("scheduling a key disabled before keeps the schedule; cancelling returns it to Disabled", async () => {
      const key = await createKey(kms);
      await kms.send(new DisableKeyCommand({ KeyId: key.KeyId }));
      await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));
      await kms.send(new CancelKeyDeletionCommand({ KeyId: key.KeyId }));
      await kms.send(new EnableKeyCommand({ KeyId: key.KeyId }));
      const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }));
      assert.equal(KeyMetadata?.KeyState, "Enabled");
    });
  });

  describe("UpdateKeyDescription", () => {
    it("replaces the description, including with the empty string", async () => {
      const key = await createKey(kms, { Description: "old" });
      await kms.send(new UpdateKeyDescriptionCommand({ KeyId: key.KeyId, Description: "new description" }));
      assert.equal((await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata?.Description, "new description");
      await kms.send(new UpdateKeyDescriptionCommand({ KeyId: key.Arn, Description: "" }));
      assert.equal((await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata?.Description, "");
    });

    it("a description over 8192 characters is ValidationException and changes nothing", async () => {
      const key = await createKey(kms, { Description: "kept" });
      await expectAwsError(
        kms.send(new UpdateKeyDescriptionCommand({ KeyId: key.KeyId, Description: "d".repeat(8193) })),
        "ValidationException",
        /at 'description' failed to satisfy constraint: Member must have length less than or equal to 8192$/,
      );
      assert.equal((await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata?.Description, "kept");
    });
  });

  describe("the key-state table", () => {
    /** What a case may use: the key under test (in the state), a ciphertext it made while Enabled, and an Enabled key. */
    interface Fixture {
      key: { KeyId: string; Arn: string };
      ciphertext: Uint8Array;
      other: { KeyId: string; Arn: string };
      otherCiphertext: Uint8Array;
      /** An alias pointing at `other` (for UpdateAlias), and one pointing at `key` (for DeleteAlias). */
      aliasOfOther: string;
      aliasOfKey: string;
    }
    type Outcome = "ok" | "DisabledException" | "KMSInvalidStateException";
    const cases: { operation: string; call: (f: Fixture) => Promise<unknown>; Disabled: Outcome; PendingDeletion: Outcome }[] = [
      { operation: "Encrypt", call: (f) => kms.send(new EncryptCommand({ KeyId: f.key.KeyId, Plaintext: Buffer.from("x") })), Disabled: "DisabledException", PendingDeletion: "KMSInvalidStateException" },
      { operation: "Decrypt", call: (f) => kms.send(new DecryptCommand({ CiphertextBlob: f.ciphertext })), Disabled: "DisabledException", PendingDeletion: "KMSInvalidStateException" },
      { operation: "Decrypt with KeyId", call: (f) => kms.send(new DecryptCommand({ CiphertextBlob: f.ciphertext, KeyId: f.key.KeyId })), Disabled: "DisabledException", PendingDeletion: "KMSInvalidStateException" },
      { operation: "ReEncrypt from the key", call: (f) => kms.send(new ReEncryptCommand({ CiphertextBlob: f.ciphertext, DestinationKeyId: f.other.KeyId })), Disabled: "DisabledException", PendingDeletion: "KMSInvalidStateException" },
      { operation: "ReEncrypt to the key", call: (f) => kms.send(new ReEncryptCommand({ CiphertextBlob: f.otherCiphertext, DestinationKeyId: f.key.KeyId })), Disabled: "DisabledException", PendingDeletion: "KMSInvalidStateException" },
      { operation: "GenerateDataKey", call: (f) => kms.send(new GenerateDataKeyCommand({ KeyId: f.key.KeyId, KeySpec: "AES_256" })), Disabled: "DisabledException", PendingDeletion: "KMSInvalidStateException" },
      { operation: "GenerateDataKeyWithoutPlaintext", call: (f) => kms.send(new GenerateDataKeyWithoutPlaintextCommand({ KeyId: f.key.KeyId, NumberOfBytes: 16 })), Disabled: "DisabledException", PendingDeletion: "KMSInvalidStateException" },
      { operation: "DescribeKey", call: (f) => kms.send(new DescribeKeyCommand({ KeyId: f.key.KeyId })), Disabled: "ok", PendingDeletion: "ok" },
      { operation: "EnableKey", call: (f) => kms.send(new EnableKeyCommand({ KeyId: f.key.KeyId })), Disabled: "ok", PendingDeletion: "KMSInvalidStateException" },
      { operation: "DisableKey", call: (f) => kms.send(new DisableKeyCommand({ KeyId: f.key.KeyId })), Disabled: "ok", PendingDeletion: "KMSInvalidStateException" },
      { operation: "ScheduleKeyDeletion", call: (f) => kms.send(new ScheduleKeyDeletionCommand({ KeyId: f.key.KeyId, PendingWindowInDays: 10 })), Disabled: "ok", PendingDeletion: "KMSInvalidStateException" },
      { operation: "CancelKeyDeletion", call: (f) => kms.send(new CancelKeyDeletionCommand({ KeyId: f.key.KeyId })), Disabled: "KMSInvalidStateException", PendingDeletion: "ok" },
      { operation: "UpdateKeyDescription", call: (f) => kms.send(new UpdateKeyDescriptionCommand({ KeyId: f.key.KeyId, Description: "changed" })), Disabled: "ok", PendingDeletion: "KMSInvalidStateException" },
      { operation: "TagResource", call: (f) => kms.send(new TagResourceCommand({ KeyId: f.key.KeyId, Tags: [{ TagKey: "new", TagValue: "v" }] })), Disabled: "ok", PendingDeletion: "KMSInvalidStateException" },
      { operation: "UntagResource", call: (f) => kms.send(new UntagResourceCommand({ KeyId: f.key.KeyId, TagKeys: ["initial"] })), Disabled: "ok", PendingDeletion: "KMSInvalidStateException" },
      { operation: "ListResourceTags", call: (f) => kms.send(new ListResourceTagsCommand({ KeyId: f.key.KeyId })), Disabled: "ok", PendingDeletion: "ok" },
      { operation: "GetKeyPolicy", call: (f) => kms.send(new GetKeyPolicyCommand({ KeyId: f.key.KeyId })), Disabled: "ok", PendingDeletion: "ok" },
      { operation: "ListKeyPolicies", call: (f) => kms.send(new ListKeyPoliciesCommand({ KeyId: f.key.KeyId })), Disabled: "ok", PendingDeletion: "ok" },
      { operation: "CreateAlias", call: (f) => kms.send(new CreateAliasCommand({ AliasName: uniqueAlias("state"), TargetKeyId: f.key.KeyId })), Disabled: "ok", PendingDeletion: "KMSInvalidStateException" },
      { operation: "UpdateAlias", call: (f) => kms.send(new UpdateAliasCommand({ AliasName: f.aliasOfOther, TargetKeyId: f.key.KeyId })), Disabled: "ok", PendingDeletion: "KMSInvalidStateException" },
      { operation: "DeleteAlias", call: (f) => kms.send(new DeleteAliasCommand({ AliasName: f.aliasOfKey })), Disabled: "ok", PendingDeletion: "ok" },
      { operation: "ListAliases by KeyId", call: (f) => kms.send(new ListAliasesCommand({ KeyId: f.key.KeyId })), Disabled: "ok", PendingDeletion: "ok" },
    ];

    async function fixture(state: TestKeyState): Promise<Fixture> {
      const key = await createKey(kms, { Description: "state table", Tags: [{ TagKey: "initial", TagValue: "v" }] });
      const other = await createKey(kms);
      const { CiphertextBlob: ciphertext } = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from("p") }));
      const { CiphertextBlob: otherCiphertext } = await kms.send(new EncryptCommand({ KeyId: other.KeyId, Plaintext: Buffer.from("q") }));
      const aliasOfOther = uniqueAlias("other");
      const aliasOfKey = uniqueAlias("key");
      await kms.send(new CreateAliasCommand({ AliasName: aliasOfOther, TargetKeyId: other.KeyId }));
      await kms.send(new CreateAliasCommand({ AliasName: aliasOfKey, TargetKeyId: key.KeyId }));
      await putKeyInState(kms, key.KeyId, state);
      return { key, other, ciphertext: ciphertext ?? new Uint8Array(), otherCiphertext: otherCiphertext ?? new Uint8Array(), aliasOfOther, aliasOfKey };
    }

    function expectedMessage(outcome: Outcome, state: TestKeyState, arn: string): string {
      if (outcome === "DisabledException") return `${arn} is disabled.`;
      return state === "PendingDeletion" ? `${arn} is pending deletion.` : `${arn} is not pending deletion.`;
    }

    for (const state of ["Disabled", "PendingDeletion"] as const) {
      for (const testCase of cases) {
        const outcome = testCase[state];
        const title =
          outcome === "ok"
            ? `${testCase.operation} succeeds on a ${state} key`
            : `${testCase.operation} on a ${state} key is ${outcome} and changes nothing`;
        it(title, async () => {
          const f = await fixture(state);
          if (outcome === "ok") {
            await testCase.call(f);
            return;
          }
          const before = await keySnapshot(kms, f.key.KeyId);
          const otherBefore = await keySnapshot(kms, f.other.KeyId);
          await expectAwsError(testCase.call(f), outcome, expectedMessage(outcome, state, f.key.Arn));
          assert.deepEqual(await keySnapshot(kms, f.key.KeyId), before);
          assert.deepEqual(await keySnapshot(kms, f.other.KeyId), otherBefore);
        });
      }
    }

    it("an Enabled key allows every operation of the table except CancelKeyDeletion", async () => {
      for (const testCase of cases) {
        const f = await fixture("Enabled");
        if (testCase.operation === "CancelKeyDeletion") {
          await expectAwsError(testCase.call(f), "KMSInvalidStateException", `${f.key.Arn} is not pending deletion.`);
        } else {
          await testCase.call(f);
        }
      }
    });
  });

  describe("key identifiers", () => {
    it("DescribeKey by id and by ARN of a key that does not exist is NotFoundException naming its ARN", async () => {
      const keyId = "00000000-1111-4222-8333-444444444444";
      const arn = `arn:aws:kms:us-east-1:${kmsd.accountId}:key/${keyId}`;
      await expectAwsError(kms.send(new DescribeKeyCommand({ KeyId: keyId })), "NotFoundException", `Key '${arn}' does not exist`);
      await expectAwsError(kms.send(new DescribeKeyCommand({ KeyId: arn })), "NotFoundException", `Key '${arn}' does not exist`);
      const mrk = "mrk-0123456789abcdef0123456789abcdef";
      await expectAwsError(
        kms.send(new DescribeKeyCommand({ KeyId: mrk })),
        "NotFoundException",
        `Key 'arn:aws:kms:us-east-1:${kmsd.accountId}:key/${mrk}' does not exist`,
      );
    });

    for (const malformed of ["fake-key-id", "134f2428cec14b25a1ae9048164dba47", "mrk-fake-key-id"]) {
      it(`a malformed key id '${malformed}' is NotFoundException "Invalid keyId"`, async () => {
        await expectAwsError(kms.send(new DescribeKeyCommand({ KeyId: malformed })), "NotFoundException", `Invalid keyId '${malformed}'`);
      });
    }

    it("every key-using operation answers a malformed key id the same way", async () => {
      const calls = [
        () => kms.send(new EncryptCommand({ KeyId: "fake-key-id", Plaintext: Buffer.from("x") })),
        () => kms.send(new GenerateDataKeyCommand({ KeyId: "fake-key-id", KeySpec: "AES_256" })),
        () => kms.send(new EnableKeyCommand({ KeyId: "fake-key-id" })),
        () => kms.send(new DisableKeyCommand({ KeyId: "fake-key-id" })),
        () => kms.send(new ScheduleKeyDeletionCommand({ KeyId: "fake-key-id" })),
        () => kms.send(new TagResourceCommand({ KeyId: "fake-key-id", Tags: [{ TagKey: "a", TagValue: "b" }] })),
        () => kms.send(new UpdateKeyDescriptionCommand({ KeyId: "fake-key-id", Description: "x" })),
        () => kms.send(new GetKeyPolicyCommand({ KeyId: "fake-key-id" })),
      ];
      for (const call of calls) await expectAwsError(call(), "NotFoundException", "Invalid keyId 'fake-key-id'");
    });

    it("an alias name that does not exist is NotFoundException", async () => {
      await expectAwsError(
        kms.send(new DescribeKeyCommand({ KeyId: "alias/does-not-exist" })),
        "NotFoundException",
        `Alias arn:aws:kms:us-east-1:${kmsd.accountId}:alias/does-not-exist is not found.`,
      );
    });

    it("a key id asked from another region is NotFoundException naming the ARN in the caller's region", async () => {
      const key = await createKey(kms);
      const west = kmsd.kms({ region: "eu-west-1" });
      await expectAwsError(
        west.send(new DescribeKeyCommand({ KeyId: key.KeyId })),
        "NotFoundException",
        `Key 'arn:aws:kms:eu-west-1:${kmsd.accountId}:key/${key.KeyId}' does not exist`,
      );
      await expectAwsError(
        west.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from("x") })),
        "NotFoundException",
        `Key 'arn:aws:kms:eu-west-1:${kmsd.accountId}:key/${key.KeyId}' does not exist`,
      );
    });

    it("a key ARN whose region is not the caller's region is NotFoundException 'Invalid arn <region>'", async () => {
      const key = await createKey(kms);
      const west = kmsd.kms({ region: "eu-west-1" });
      await expectAwsError(west.send(new DescribeKeyCommand({ KeyId: key.Arn })), "NotFoundException", "Invalid arn us-east-1");
      const westKey = await createKey(west);
      await expectAwsError(kms.send(new DescribeKeyCommand({ KeyId: westKey.Arn })), "NotFoundException", "Invalid arn eu-west-1");
      const { KeyMetadata } = await west.send(new DescribeKeyCommand({ KeyId: westKey.Arn }));
      assert.equal(KeyMetadata?.Arn, `arn:aws:kms:eu-west-1:${kmsd.accountId}:key/${westKey.KeyId}`);
    });

    it("another account's key is not found by id and not usable by ARN", async () => {
      const second = await createAccount(kmsd.dataDir);
      const theirs = kmsd.kms({ credentials: credentialsOf(second) });
      const key = await createKey(theirs);
      assert.equal(key.Arn, `arn:aws:kms:us-east-1:${second.AccountId}:key/${key.KeyId}`);
      await expectAwsError(
        kms.send(new DescribeKeyCommand({ KeyId: key.KeyId })),
        "NotFoundException",
        `Key 'arn:aws:kms:us-east-1:${kmsd.accountId}:key/${key.KeyId}' does not exist`,
      );
      await expectAwsError(kms.send(new EncryptCommand({ KeyId: key.Arn, Plaintext: Buffer.from("x") })), "AccessDeniedException");
      await expectAwsError(kms.send(new DisableKeyCommand({ KeyId: key.Arn })), "AccessDeniedException");
      const { KeyMetadata } = await theirs.send(new DescribeKeyCommand({ KeyId: key.KeyId }));
      assert.equal(KeyMetadata?.KeyState, "Enabled", "the refused DisableKey changed nothing");
    });
  });
});

describe("kmsd core: a key whose deletion date passes is deleted", () => {
  let kmsd: Kmsd;
  let kms: KMSClient;
  before(async () => {
    kmsd = await startKmsd({ dev: true });
    kms = kmsd.kms();
  });
  after(async () => kmsd.dispose());

  it("before the date the key is still PendingDeletion; after it, the key, its aliases and its ciphertexts are gone", async () => {
    const doomed = await createKey(kms);
    const survivor = await createKey(kms);
    const aliasName = uniqueAlias("doomed");
    await kms.send(new CreateAliasCommand({ AliasName: aliasName, TargetKeyId: doomed.KeyId }));
    const context = { purpose: "deletion" };
    const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: doomed.KeyId, Plaintext: Buffer.from("secret"), EncryptionContext: context }));
    const { CiphertextBlob: survivorBlob } = await kms.send(new EncryptCommand({ KeyId: survivor.KeyId, Plaintext: Buffer.from("kept") }));
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: doomed.KeyId, PendingWindowInDays: 7 }));

    await kmsd.advanceClock(6 * 86_400);
    assert.equal((await kms.send(new DescribeKeyCommand({ KeyId: doomed.KeyId }))).KeyMetadata?.KeyState, "PendingDeletion");
    // Still there, so CancelKeyDeletion would still save it; a Decrypt now is refused for its state.
    await expectAwsError(kms.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: context })), "KMSInvalidStateException");

    await kmsd.advanceClock(1 * 86_400 + 60);
    await expectAwsError(
      kms.send(new DescribeKeyCommand({ KeyId: doomed.KeyId })),
      "NotFoundException",
      `Key '${doomed.Arn}' does not exist`,
    );
    await expectAwsError(
      kms.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: context })),
      "AccessDeniedException",
      "The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access.",
    );
    await expectAwsError(kms.send(new CancelKeyDeletionCommand({ KeyId: doomed.KeyId })), "NotFoundException");
    const { Keys } = await kms.send(new ListKeysCommand({}));
    assert.ok(!Keys?.some((k) => k.KeyId === doomed.KeyId), "ListKeys no longer lists the key");
    assert.ok(Keys?.some((k) => k.KeyId === survivor.KeyId));
    const { Aliases } = await kms.send(new ListAliasesCommand({}));
    assert.ok(!Aliases?.some((a) => a.AliasName === aliasName), "the key's alias was deleted with it");
    // The alias name is free again.
    await kms.send(new CreateAliasCommand({ AliasName: aliasName, TargetKeyId: survivor.KeyId }));
    // Other keys are untouched.
    const { Plaintext } = await kms.send(new DecryptCommand({ CiphertextBlob: survivorBlob }));
    assert.equal(bytes(Plaintext).toString(), "kept");
  });

  it("a key whose deletion was cancelled is not deleted when its old date passes", async () => {
    const key = await createKey(kms);
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));
    await kms.send(new CancelKeyDeletionCommand({ KeyId: key.KeyId }));
    await kmsd.advanceClock(8 * 86_400);
    assert.equal((await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata?.KeyState, "Disabled");
  });
});
