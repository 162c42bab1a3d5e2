/**
 * End to end, through @aws-sdk/client-kms: aliases (life cycle, listing, naming rules,
 * uniqueness per account and region) and tags (order, limits, reserved prefix).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DeleteAliasCommand,
  DescribeKeyCommand,
  EncryptCommand,
  ListAliasesCommand,
  ListKeysCommand,
  ListResourceTagsCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateAliasCommand,
  type KMSClient,
  type Tag,
} from "@aws-sdk/client-kms";
import { createAccount, credentialsOf, expectAwsError, startKmsd, type Kmsd } from "./support/kmsd.ts";
import { createKey, uniqueAlias, type CreatedKey } from "./support/e2e.ts";

const MISSING_PREFIX =
  'Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html';

describe("kmsd core: aliases", () => {
  let kmsd: Kmsd;
  let kms: KMSClient;
  let key: CreatedKey;
  let otherKey: CreatedKey;
  before(async () => {
    kmsd = await startKmsd();
    kms = kmsd.kms();
    [key, otherKey] = await Promise.all([createKey(kms), createKey(kms)]);
  });
  after(async () => kmsd.dispose());

  const aliasArn = (name: string, region = "us-east-1", account = kmsd.accountId) => `arn:aws:kms:${region}:${account}:${name}`;
  const listAll = async (client = kms) => (await client.send(new ListAliasesCommand({ Limit: 1000 }))).Aliases ?? [];
  const keyBehind = async (aliasName: string, client = kms) =>
    (await client.send(new DescribeKeyCommand({ KeyId: aliasName }))).KeyMetadata?.KeyId;

  it("CreateAlias makes an alias that ListAliases shows with AWS's fields and that resolves to its key", async () => {
    const name = uniqueAlias("life");
    const before = Date.now();
    await kms.send(new CreateAliasCommand({ AliasName: name, TargetKeyId: key.KeyId }));
    const listed = (await listAll()).find((alias) => alias.AliasName === name);
    assert.ok(listed, "the alias is listed");
    assert.deepEqual(Object.keys(listed).sort(), ["AliasArn", "AliasName", "CreationDate", "LastUpdatedDate", "TargetKeyId"]);
    assert.equal(listed.AliasArn, aliasArn(name));
    assert.equal(listed.TargetKeyId, key.KeyId);
    assert.ok(Math.abs((listed.CreationDate?.getTime() ?? 0) - before) < 60_000);
    assert.equal(await keyBehind(name), key.KeyId);
  });

  it("CreateAlias accepts the target as a key ARN", async () => {
    const name = uniqueAlias("by-arn");
    await kms.send(new CreateAliasCommand({ AliasName: name, TargetKeyId: key.Arn }));
    assert.equal(await keyBehind(name), key.KeyId);
  });

  it("UpdateAlias points the alias at another key; Encrypt through the alias then uses that key", async () => {
    const name = uniqueAlias("update");
    await kms.send(new CreateAliasCommand({ AliasName: name, TargetKeyId: key.KeyId }));
    await kms.send(new UpdateAliasCommand({ AliasName: name, TargetKeyId: otherKey.KeyId }));
    assert.equal(await keyBehind(name), otherKey.KeyId);
    const { KeyId } = await kms.send(new EncryptCommand({ KeyId: name, Plaintext: Buffer.from("x") }));
    assert.equal(KeyId, otherKey.Arn);
    const listed = (await listAll()).find((alias) => alias.AliasName === name);
    assert.equal(listed?.TargetKeyId, otherKey.KeyId);
    assert.ok((listed?.LastUpdatedDate?.getTime() ?? 0) >= (listed?.CreationDate?.getTime() ?? Infinity));
  });

  it("DeleteAlias removes the alias but not its key; the name no longer resolves and can be reused", async () => {
    const name = uniqueAlias("delete");
    await kms.send(new CreateAliasCommand({ AliasName: name, TargetKeyId: key.KeyId }));
    await kms.send(new DeleteAliasCommand({ AliasName: name }));
    assert.ok(!(await listAll()).some((alias) => alias.AliasName === name));
    await expectAwsError(kms.send(new DescribeKeyCommand({ KeyId: name })), "NotFoundException", `Alias ${aliasArn(name)} is not found.`);
    assert.equal((await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata?.KeyState, "Enabled");
    await expectAwsError(kms.send(new DeleteAliasCommand({ AliasName: name })), "NotFoundException", `Alias ${aliasArn(name)} is not found.`);
    await kms.send(new CreateAliasCommand({ AliasName: name, TargetKeyId: otherKey.KeyId }));
    assert.equal(await keyBehind(name), otherKey.KeyId);
  });

  it("UpdateAlias of an alias that does not exist is NotFoundException and creates nothing", async () => {
    const name = uniqueAlias("missing");
    await expectAwsError(kms.send(new UpdateAliasCommand({ AliasName: name, TargetKeyId: key.KeyId })), "NotFoundException", `Alias ${aliasArn(name)} is not found.`);
    assert.ok(!(await listAll()).some((alias) => alias.AliasName === name));
  });

  it("ListAliases with KeyId lists only that key's aliases, by key id or key ARN", async () => {
    const mine = await createKey(kms);
    const names = [uniqueAlias("mine-a"), uniqueAlias("mine-b")];
    for (const name of names) await kms.send(new CreateAliasCommand({ AliasName: name, TargetKeyId: mine.KeyId }));
    await kms.send(new CreateAliasCommand({ AliasName: uniqueAlias("not-mine"), TargetKeyId: otherKey.KeyId }));
    for (const keyId of [mine.KeyId, mine.Arn]) {
      const { Aliases, Truncated } = await kms.send(new ListAliasesCommand({ KeyId: keyId }));
      assert.deepEqual(Aliases?.map((alias) => alias.AliasName), [...names].sort());
      assert.ok(Aliases?.every((alias) => alias.TargetKeyId === mine.KeyId));
      assert.equal(Truncated, false);
    }
    const none = await createKey(kms);
    assert.deepEqual((await kms.send(new ListAliasesCommand({ KeyId: none.KeyId }))).Aliases, []);
  });

  it("ListAliases with the KeyId of a key that does not exist is NotFoundException", async () => {
    const missing = "00000000-0000-4000-8000-000000000000";
    await expectAwsError(
      kms.send(new ListAliasesCommand({ KeyId: missing })),
      "NotFoundException",
      `Key 'arn:aws:kms:us-east-1:${kmsd.accountId}:key/${missing}' does not exist`,
    );
  });

  it("ListAliases pages with Limit and Marker: every alias once, sorted by name", async () => {
    const regional = kmsd.kms({ region: "ap-south-1" });
    const regionalKey = await createKey(regional);
    const names = ["alias/page-e", "alias/page-a", "alias/page-c", "alias/page-b", "alias/page-d"];
    for (const name of names) await regional.send(new CreateAliasCommand({ AliasName: name, TargetKeyId: regionalKey.KeyId }));
    for (const filter of [{}, { KeyId: regionalKey.KeyId }]) {
      const seen: string[] = [];
      const sizes: number[] = [];
      let marker: string | undefined;
      for (;;) {
        const page = await regional.send(new ListAliasesCommand({ ...filter, Limit: 2, Marker: marker }));
        sizes.push(page.Aliases?.length ?? 0);
        seen.push(...(page.Aliases ?? []).map((alias) => alias.AliasName ?? ""));
        if (!page.Truncated) break;
        assert.ok(page.NextMarker);
        marker = page.NextMarker;
      }
      // Unfiltered, the predefined AWS managed aliases (alias/aws/...) are listed too.
      const customer = seen.filter((name) => !name.startsWith("alias/aws/"));
      assert.deepEqual(customer, [...names].sort());
      assert.deepEqual(seen, [...seen].sort(), "sorted by name");
      assert.ok(sizes.slice(0, -1).every((size) => size === 2));
      if ("KeyId" in filter) assert.deepEqual(sizes, [2, 2, 1]);
    }
    await expectAwsError(regional.send(new ListAliasesCommand({ Marker: "not-a-marker" })), "InvalidMarkerException");
  });

  describe("alias names", () => {
    for (const [operation, call] of [
      ["CreateAlias", (name: string) => kms.send(new CreateAliasCommand({ AliasName: name, TargetKeyId: key.KeyId }))],
      ["UpdateAlias", (name: string) => kms.send(new UpdateAliasCommand({ AliasName: name, TargetKeyId: key.KeyId }))],
      ["DeleteAlias", (name: string) => kms.send(new DeleteAliasCommand({ AliasName: name }))],
    ] as const) {
      it(`${operation} with a name missing the alias/ prefix is AWS's ValidationException`, async () => {
        await expectAwsError(call("no-prefix"), "ValidationException", MISSING_PREFIX);
      });
    }

    it("an alias/aws/ name is reserved: InvalidAliasNameException, and nothing is created", async () => {
      await expectAwsError(kms.send(new CreateAliasCommand({ AliasName: "alias/aws/mine", TargetKeyId: key.KeyId })), "InvalidAliasNameException");
      assert.ok(!(await listAll()).some((alias) => alias.AliasName === "alias/aws/mine"));
    });

    it("characters outside the model's pattern are ValidationException", async () => {
      await expectAwsError(
        kms.send(new CreateAliasCommand({ AliasName: "alias/has space", TargetKeyId: key.KeyId })),
        "ValidationException",
        "1 validation error detected: Value 'alias/has space' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$",
      );
    });

    it("a name of 256 characters is accepted and one of 257 is ValidationException", async () => {
      const longest = `alias/${"a".repeat(250)}`;
      await kms.send(new CreateAliasCommand({ AliasName: longest, TargetKeyId: key.KeyId }));
      assert.equal(await keyBehind(longest), key.KeyId);
      await expectAwsError(
        kms.send(new CreateAliasCommand({ AliasName: `${longest}b`, TargetKeyId: key.KeyId })),
        "ValidationException",
        /at 'aliasName' failed to satisfy constraint: Member must have length less than or equal to 256$/,
      );
    });

    it("a duplicate name is AlreadyExistsException and the alias keeps its target", async () => {
      const name = uniqueAlias("dup");
      await kms.send(new CreateAliasCommand({ AliasName: name, TargetKeyId: key.KeyId }));
      await expectAwsError(
        kms.send(new CreateAliasCommand({ AliasName: name, TargetKeyId: otherKey.KeyId })),
        "AlreadyExistsException",
        `An alias with the name ${aliasArn(name)} already exists`,
      );
      assert.equal(await keyBehind(name), key.KeyId);
    });

    it("an alias to a key that does not exist is NotFoundException, and nothing is created", async () => {
      const name = uniqueAlias("nokey");
      const missing = "11111111-2222-4333-8444-555555555555";
      await expectAwsError(
        kms.send(new CreateAliasCommand({ AliasName: name, TargetKeyId: missing })),
        "NotFoundException",
        `Key 'arn:aws:kms:us-east-1:${kmsd.accountId}:key/${missing}' does not exist`,
      );
      assert.ok(!(await listAll()).some((alias) => alias.AliasName === name));
    });
  });

  describe("scope: one account, one region", () => {
    it("the same alias name can exist in two regions, each naming its own region's key, and resolves only in its region", async () => {
      const west = kmsd.kms({ region: "eu-west-1" });
      const westKey = await createKey(west);
      const name = uniqueAlias("regional");
      await kms.send(new CreateAliasCommand({ AliasName: name, TargetKeyId: key.KeyId }));
      await west.send(new CreateAliasCommand({ AliasName: name, TargetKeyId: westKey.KeyId }));
      assert.equal(await keyBehind(name), key.KeyId);
      assert.equal(await keyBehind(name, west), westKey.KeyId);
      const westOnly = uniqueAlias("west-only");
      await west.send(new CreateAliasCommand({ AliasName: westOnly, TargetKeyId: westKey.KeyId }));
      await expectAwsError(kms.send(new DescribeKeyCommand({ KeyId: westOnly })), "NotFoundException", `Alias ${aliasArn(westOnly)} is not found.`);
      await expectAwsError(kms.send(new DescribeKeyCommand({ KeyId: aliasArn(westOnly, "eu-west-1") })), "NotFoundException", "Invalid arn eu-west-1");
      assert.ok(!(await listAll()).some((alias) => alias.AliasName === westOnly), "ListAliases shows only the caller's region");
    });

    it("an alias cannot point at a key of another region", async () => {
      const west = kmsd.kms({ region: "eu-west-1" });
      const westKey = await createKey(west);
      const name = uniqueAlias("cross-region");
      await expectAwsError(kms.send(new CreateAliasCommand({ AliasName: name, TargetKeyId: westKey.KeyId })), "NotFoundException");
      await expectAwsError(kms.send(new CreateAliasCommand({ AliasName: name, TargetKeyId: westKey.Arn })), "NotFoundException", "Invalid arn eu-west-1");
      assert.ok(!(await listAll()).some((alias) => alias.AliasName === name));
    });

    it("the same alias name can exist in two accounts; each account sees only its own", async () => {
      const second = await createAccount(kmsd.dataDir);
      const theirs = kmsd.kms({ credentials: credentialsOf(second) });
      const theirKey = await createKey(theirs);
      const name = uniqueAlias("per-account");
      await kms.send(new CreateAliasCommand({ AliasName: name, TargetKeyId: key.KeyId }));
      await theirs.send(new CreateAliasCommand({ AliasName: name, TargetKeyId: theirKey.KeyId }));
      assert.equal(await keyBehind(name), key.KeyId);
      assert.equal(await keyBehind(name, theirs), theirKey.KeyId);
      // Besides the predefined AWS managed aliases (alias/aws/...), which every account lists.
      const theirAliases = (await listAll(theirs)).filter((alias) => !alias.AliasName?.startsWith("alias/aws/"));
      assert.deepEqual(theirAliases.map((alias) => alias.AliasName), [name]);
      assert.equal(theirAliases[0]?.AliasArn, aliasArn(name, "us-east-1", second.AccountId));
      // An alias may not point at another account's key, even by ARN.
      await expectAwsError(kms.send(new CreateAliasCommand({ AliasName: uniqueAlias("foreign"), TargetKeyId: theirKey.Arn })), "AccessDeniedException");
    });
  });
});

describe("kmsd core: tags", () => {
  let kmsd: Kmsd;
  let kms: KMSClient;
  before(async () => {
    kmsd = await startKmsd();
    kms = kmsd.kms();
  });
  after(async () => kmsd.dispose());

  const tag = (n: number | string, value = `value${n}`): Tag => ({ TagKey: `tag${n}`, TagValue: value });
  const tagsOf = async (keyId: string) => (await kms.send(new ListResourceTagsCommand({ KeyId: keyId }))).Tags;
  const keyCount = async () => (await kms.send(new ListKeysCommand({ Limit: 1000 }))).Keys?.length;

  it("TagResource adds tags in order; ListResourceTags lists them, Truncated false", async () => {
    const key = await createKey(kms);
    assert.deepEqual(await tagsOf(key.KeyId), []);
    await kms.send(new TagResourceCommand({ KeyId: key.KeyId, Tags: [tag(1), tag(2)] }));
    const listed = await kms.send(new ListResourceTagsCommand({ KeyId: key.Arn }));
    assert.deepEqual(listed.Tags, [tag(1), tag(2)]);
    assert.equal(listed.Truncated, false);
  });

  it("updating a tag keeps its place and new tags follow, as AWS lists them", async () => {
    const key = await createKey(kms, { Tags: [tag(1), tag(2), tag(3)] });
    await kms.send(new TagResourceCommand({ KeyId: key.KeyId, Tags: [tag(2, "updated_value2"), tag(4), tag(5)] }));
    assert.deepEqual(await tagsOf(key.KeyId), [tag(1), tag(2, "updated_value2"), tag(3), tag(4), tag(5)]);
  });

  it("UntagResource removes only the named tags, keeping the order of the rest; removing all leaves none", async () => {
    const key = await createKey(kms, { Tags: [tag(1), tag(2), tag(3)] });
    await kms.send(new UntagResourceCommand({ KeyId: key.KeyId, TagKeys: ["tag2"] }));
    assert.deepEqual(await tagsOf(key.KeyId), [tag(1), tag(3)]);
    await kms.send(new UntagResourceCommand({ KeyId: key.KeyId, TagKeys: ["tag1", "tag3", "never-there"] }));
    assert.deepEqual(await tagsOf(key.KeyId), []);
  });

  it("an empty tag value is allowed", async () => {
    const key = await createKey(kms, { Tags: [{ TagKey: "empty", TagValue: "" }] });
    assert.deepEqual(await tagsOf(key.KeyId), [{ TagKey: "empty", TagValue: "" }]);
  });

  it("ListResourceTags pages with Limit and Marker", async () => {
    const tags = [1, 2, 3, 4, 5].map((n) => tag(n));
    const key = await createKey(kms, { Tags: tags });
    const seen: Tag[] = [];
    const sizes: number[] = [];
    let marker: string | undefined;
    for (;;) {
      const page = await kms.send(new ListResourceTagsCommand({ KeyId: key.KeyId, Limit: 2, Marker: marker }));
      sizes.push(page.Tags?.length ?? 0);
      seen.push(...(page.Tags ?? []));
      if (!page.Truncated) break;
      marker = page.NextMarker;
    }
    assert.deepEqual(sizes, [2, 2, 1]);
    assert.deepEqual(seen, tags);
    await expectAwsError(kms.send(new ListResourceTagsCommand({ KeyId: key.KeyId, Marker: "bogus" })), "InvalidMarkerException");
  });

  it("50 tags are allowed; a 51st, at creation or added later, is TagException 'Too many tags' and changes nothing", async () => {
    const fifty = Array.from({ length: 50 }, (_, i) => tag(i));
    const before = await keyCount();
    await expectAwsError(kms.send(new CreateKeyCommand({ Tags: [...fifty, tag(50)] })), "TagException", "Too many tags");
    assert.equal(await keyCount(), before, "no key was created");
    const key = await createKey(kms, { Tags: fifty });
    await expectAwsError(kms.send(new TagResourceCommand({ KeyId: key.KeyId, Tags: [tag("extra")] })), "TagException", "Too many tags");
    assert.deepEqual(await tagsOf(key.KeyId), fifty);
    // Updating an existing tag of a full key is not adding one.
    await kms.send(new TagResourceCommand({ KeyId: key.KeyId, Tags: [tag(0, "changed")] }));
    assert.equal((await tagsOf(key.KeyId))?.[0]?.TagValue, "changed");
  });

  it("the same tag key twice in one request is TagException 'Duplicate tag keys' and changes nothing", async () => {
    const key = await createKey(kms, { Tags: [tag(1)] });
    await expectAwsError(
      kms.send(new TagResourceCommand({ KeyId: key.KeyId, Tags: [tag(2, "a"), tag(2, "b")] })),
      "TagException",
      "Duplicate tag keys",
    );
    assert.deepEqual(await tagsOf(key.KeyId), [tag(1)]);
    const before = await keyCount();
    await expectAwsError(kms.send(new CreateKeyCommand({ Tags: [tag(3), tag(3)] })), "TagException", "Duplicate tag keys");
    assert.equal(await keyCount(), before);
  });

  for (const reserved of ["aws:owner", "AWS:owner", "Aws:owner"]) {
    it(`a tag key '${reserved}' is TagException 'Tags beginning with aws: are reserved', at creation and on TagResource`, async () => {
      const before = await keyCount();
      await expectAwsError(
        kms.send(new CreateKeyCommand({ Tags: [{ TagKey: reserved, TagValue: "x" }] })),
        "TagException",
        "Tags beginning with aws: are reserved",
      );
      assert.equal(await keyCount(), before);
      const key = await createKey(kms, { Tags: [tag(1)] });
      await expectAwsError(
        kms.send(new TagResourceCommand({ KeyId: key.KeyId, Tags: [tag(2), { TagKey: reserved, TagValue: "x" }] })),
        "TagException",
        "Tags beginning with aws: are reserved",
      );
      assert.deepEqual(await tagsOf(key.KeyId), [tag(1)], "not even the valid tag of the request was added");
    });
  }

  it("a tag key of 129 characters is AWS's ValidationException; 128 is fine", async () => {
    const key129 = "a".repeat(129);
    const message = `1 validation error detected: Value '${key129}' at 'tags.1.member.tagKey' failed to satisfy constraint: Member must have length less than or equal to 128`;
    await expectAwsError(kms.send(new CreateKeyCommand({ Tags: [{ TagKey: key129, TagValue: "v" }] })), "ValidationException", message);
    const key = await createKey(kms, { Tags: [{ TagKey: "a".repeat(128), TagValue: "v" }] });
    await expectAwsError(kms.send(new TagResourceCommand({ KeyId: key.KeyId, Tags: [{ TagKey: key129, TagValue: "v" }] })), "ValidationException", message);
  });

  it("a tag value of 257 characters is AWS's ValidationException; 256 is fine", async () => {
    const value257 = "v".repeat(257);
    await expectAwsError(
      kms.send(new CreateKeyCommand({ Tags: [{ TagKey: "k", TagValue: value257 }] })),
      "ValidationException",
      `1 validation error detected: Value '${value257}' at 'tags.1.member.tagValue' failed to satisfy constraint: Member must have length less than or equal to 256`,
    );
    await createKey(kms, { Tags: [{ TagKey: "k", TagValue: "v".repeat(256) }] });
  });

  it("tags of a key of another region or account are not reachable", async () => {
    const key = await createKey(kms, { Tags: [tag(1)] });
    const west = kmsd.kms({ region: "eu-west-1" });
    await expectAwsError(west.send(new ListResourceTagsCommand({ KeyId: key.KeyId })), "NotFoundException");
    await expectAwsError(west.send(new TagResourceCommand({ KeyId: key.KeyId, Tags: [tag(2)] })), "NotFoundException");
    assert.deepEqual(await tagsOf(key.KeyId), [tag(1)]);
  });
});
