// IAM tags, UpdateRole and STS sessions end to end through @aws-sdk/client-iam and
// @aws-sdk/client-sts against a built `kmsd serve --dev`: tags of users, roles and policies
// with AWS's limits and errors; aws:PrincipalTag from a user's tags and from a role
// session's role and session tags (session tags win, sts:TagSession required, transitive
// tags carried along a role chain); AssumeRole's PolicyArns; GetSessionToken.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  GetRoleCommand,
  GetUserCommand,
  ListPolicyTagsCommand,
  ListRoleTagsCommand,
  ListUserTagsCommand,
  PutRolePolicyCommand,
  TagPolicyCommand,
  TagRoleCommand,
  TagUserCommand,
  UntagPolicyCommand,
  UntagRoleCommand,
  UntagUserCommand,
  UpdateRoleCommand,
  UpdateRoleDescriptionCommand,
  type IAMClient,
  type Tag,
} from "@aws-sdk/client-iam";
import { CreateKeyCommand, EncryptCommand, KMSClient } from "@aws-sdk/client-kms";
import { AssumeRoleCommand, GetCallerIdentityCommand, GetSessionTokenCommand, type Credentials as StsCredentials } from "@aws-sdk/client-sts";
import { expectAwsError, startKmsd, type Kmsd } from "./support/kmsd.ts";
import { allow, policy, TestIdentities, type Creds } from "./support/identities.ts";

/** How each taggable kind is named and tagged through the SDK. */
interface TaggableCase {
  kind: string;
  create(iam: IAMClient, name: string, tags?: Tag[]): Promise<string>;
  tag(iam: IAMClient, id: string, tags: Tag[]): Promise<unknown>;
  untag(iam: IAMClient, id: string, keys: string[]): Promise<unknown>;
  list(iam: IAMClient, id: string, marker?: string, maxItems?: number): Promise<{ Tags?: Tag[]; IsTruncated?: boolean; Marker?: string }>;
  quota: string;
}

const TRUST_ACCOUNT = (accountId: string, actions: string[] = ["sts:AssumeRole", "sts:TagSession"]) =>
  JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${accountId}:root` }, Action: actions }] });

const CASES: TaggableCase[] = [
  {
    kind: "user",
    create: async (iam, name, Tags) => (await iam.send(new CreateUserCommand({ UserName: name, Tags })), name),
    tag: (iam, UserName, Tags) => iam.send(new TagUserCommand({ UserName, Tags })),
    untag: (iam, UserName, TagKeys) => iam.send(new UntagUserCommand({ UserName, TagKeys })),
    list: (iam, UserName, Marker, MaxItems) => iam.send(new ListUserTagsCommand({ UserName, Marker, MaxItems })),
    quota: "TagsPerUser",
  },
  {
    kind: "role",
    create: async (iam, name, Tags) => (await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: TRUST_ACCOUNT("000000000000"), Tags })), name),
    tag: (iam, RoleName, Tags) => iam.send(new TagRoleCommand({ RoleName, Tags })),
    untag: (iam, RoleName, TagKeys) => iam.send(new UntagRoleCommand({ RoleName, TagKeys })),
    list: (iam, RoleName, Marker, MaxItems) => iam.send(new ListRoleTagsCommand({ RoleName, Marker, MaxItems })),
    quota: "TagsPerRole",
  },
  {
    kind: "policy",
    create: async (iam, name, Tags) => (await iam.send(new CreatePolicyCommand({ PolicyName: name, PolicyDocument: policy(allow("kms:Encrypt")), Tags }))).Policy?.Arn ?? "",
    tag: (iam, PolicyArn, Tags) => iam.send(new TagPolicyCommand({ PolicyArn, Tags })),
    untag: (iam, PolicyArn, TagKeys) => iam.send(new UntagPolicyCommand({ PolicyArn, TagKeys })),
    list: (iam, PolicyArn, Marker, MaxItems) => iam.send(new ListPolicyTagsCommand({ PolicyArn, Marker, MaxItems })),
    quota: "TagsPerPolicy",
  },
];

const tagList = (count: number, prefix = "k") => Array.from({ length: count }, (_, i) => ({ Key: `${prefix}${i}`, Value: `v${i}` }));

void describe("IAM tags, UpdateRole and STS sessions", () => {
  let kmsd: Kmsd;
  let keyId: string;
  const identities = new TestIdentities(() => kmsd);
  const iam = (credentials?: Creds) => identities.iam(credentials);
  const sts = (credentials?: Creds) => identities.sts(credentials);
  const clients: KMSClient[] = [];
  const encrypt = (credentials: Creds) => {
    const client = new KMSClient({ endpoint: kmsd.endpoint, region: "us-east-1", credentials, maxAttempts: 1 });
    clients.push(client);
    return client.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("x") }));
  };
  const sessionOf = (credentials: StsCredentials | undefined): Creds => {
    assert.ok(credentials?.AccessKeyId && credentials.SecretAccessKey && credentials.SessionToken);
    return { accessKeyId: credentials.AccessKeyId, secretAccessKey: credentials.SecretAccessKey, sessionToken: credentials.SessionToken };
  };
  /** Allows kms:Encrypt only to principals tagged team=blue. */
  const TEAM_BLUE = policy(allow("kms:Encrypt", "*", { Condition: { StringEquals: { "aws:PrincipalTag/team": "blue" } } }));

  /** A role any principal of the account may assume (and tag sessions of), whose policy is TEAM_BLUE. */
  async function teamRole(tags?: Tag[], trust = TRUST_ACCOUNT(kmsd.accountId)): Promise<string> {
    const name = identities.uniqueName("team-role");
    const { Role: role } = await iam().send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trust, Tags: tags }));
    await iam().send(new PutRolePolicyCommand({ RoleName: name, PolicyName: "team", PolicyDocument: TEAM_BLUE }));
    assert.ok(role?.Arn);
    return role.Arn;
  }

  before(async () => {
    kmsd = await startKmsd({ dev: true });
    keyId = (await kmsd.kms().send(new CreateKeyCommand({}))).KeyMetadata?.KeyId ?? "";
  });
  after(async () => {
    clients.splice(0).forEach((client) => client.destroy());
    identities.destroy();
    await kmsd.dispose();
  });

  for (const c of CASES) {
    void it(`${c.kind}: Tag merges (keys without regard to case), Untag removes, List pages`, async () => {
      const id = await c.create(iam(), identities.uniqueName(`tagged-${c.kind}`), [{ Key: "Team", Value: "red" }]);
      await c.tag(iam(), id, [{ Key: "team", Value: "blue" }, { Key: "env", Value: "" }]);
      assert.deepEqual((await c.list(iam(), id)).Tags, [{ Key: "team", Value: "blue" }, { Key: "env", Value: "" }]);
      await c.untag(iam(), id, ["ENV", "absent"]);
      const listed = await c.list(iam(), id);
      assert.deepEqual([listed.Tags, listed.IsTruncated], [[{ Key: "team", Value: "blue" }], false]);

      await c.tag(iam(), id, tagList(4));
      const first = await c.list(iam(), id, undefined, 3);
      assert.deepEqual([first.Tags?.length, first.IsTruncated], [3, true]);
      const rest = await c.list(iam(), id, first.Marker, 3);
      assert.deepEqual([rest.Tags?.map((t) => t.Key), rest.IsTruncated], [["k2", "k3"], false]);
    });

    void it(`${c.kind}: AWS's errors for the tag quota, aws: keys, duplicate keys and a missing ${c.kind}; nothing changes`, async () => {
      const id = await c.create(iam(), identities.uniqueName(`quota-${c.kind}`));
      await c.tag(iam(), id, tagList(30, "a"));
      await expectAwsError(c.tag(iam(), id, tagList(21, "b")), "LimitExceededException", `Cannot exceed quota for ${c.quota}: 50`);
      await c.tag(iam(), id, [...tagList(20, "b"), { Key: "A0", Value: "replaced" }]); // exactly 50: a replaced key does not count twice
      assert.equal((await c.list(iam(), id)).Tags?.length, 50);
      await expectAwsError(c.tag(iam(), id, [{ Key: "aws:team", Value: "x" }]), "InvalidInputException", /aws:/);
      await expectAwsError(
        c.tag(iam(), id, [{ Key: "dup", Value: "1" }, { Key: "DUP", Value: "2" }]),
        "InvalidInputException",
        "Duplicate tag keys found. Please note that Tag keys are case insensitive.",
      );
      await expectAwsError(c.create(iam(), identities.uniqueName(`reserved-${c.kind}`), [{ Key: "AWS:x", Value: "y" }]), "InvalidInputException", /aws:/);
      await expectAwsError(c.tag(iam(), id, [{ Key: "x".repeat(129), Value: "y" }]), "ValidationError");
      assert.equal((await c.list(iam(), id)).Tags?.length, 50);
      const missing = c.kind === "policy" ? `arn:aws:iam::${kmsd.accountId}:policy/nope` : "nope";
      await expectAwsError(c.tag(iam(), missing, [{ Key: "a", Value: "b" }]), "NoSuchEntityException");
    });
  }

  void it("a user's tags are its aws:PrincipalTag at once: TagUser and UntagUser decide its next request", async () => {
    const user = await identities.newUser("tagged-user", TEAM_BLUE);
    await expectAwsError(encrypt(user.credentials), "AccessDeniedException");
    await iam().send(new TagUserCommand({ UserName: user.name, Tags: [{ Key: "Team", Value: "blue" }] }));
    await encrypt(user.credentials);
    assert.deepEqual((await iam().send(new GetUserCommand({ UserName: user.name }))).User?.Tags, [{ Key: "Team", Value: "blue" }]);
    await iam().send(new UntagUserCommand({ UserName: user.name, TagKeys: ["team"] }));
    await expectAwsError(encrypt(user.credentials), "AccessDeniedException");
  });

  void it("a role session's aws:PrincipalTag: the role's tags, overridden by session tags, which need sts:TagSession", async () => {
    const caller = await identities.newUser("assumer", policy(allow(["sts:AssumeRole", "sts:TagSession"])));
    const redRole = await teamRole([{ Key: "team", Value: "red" }]);
    const assume = (RoleArn: string, Tags?: Tag[], TransitiveTagKeys?: string[], credentials = caller.credentials) =>
      sts(credentials).send(new AssumeRoleCommand({ RoleArn, RoleSessionName: "tagged", Tags, TransitiveTagKeys }));

    const plain = sessionOf((await assume(redRole)).Credentials);
    await expectAwsError(encrypt(plain), "AccessDeniedException");
    const blue = sessionOf((await assume(redRole, [{ Key: "TEAM", Value: "blue" }])).Credentials);
    await encrypt(blue);
    // TagRole reaches live sessions: the session tag still wins over the role's new tag.
    await iam().send(new TagRoleCommand({ RoleName: redRole.split("/").at(-1), Tags: [{ Key: "team", Value: "blue" }] }));
    await encrypt(plain);
    await encrypt(blue);

    // Without sts:TagSession in the trust policy, a tagged AssumeRole is refused; an untagged one is not.
    const strictRole = await teamRole([], TRUST_ACCOUNT(kmsd.accountId, ["sts:AssumeRole"]));
    await expectAwsError(
      assume(strictRole, [{ Key: "team", Value: "blue" }]),
      "AccessDenied",
      `User: ${caller.arn} is not authorized to perform: sts:TagSession on resource: ${strictRole}`,
    );
    await assume(strictRole);
    await expectAwsError(assume(redRole, [{ Key: "aws:x", Value: "y" }]), "ValidationError");
    await expectAwsError(assume(redRole, [{ Key: "a", Value: "1" }], ["b"]), "ValidationError");
  });

  void it("transitive session tags follow a role chain and cannot be overridden there", async () => {
    const caller = await identities.newUser("chainer", policy(allow(["sts:AssumeRole", "sts:TagSession"])));
    const firstRole = await teamRole();
    await iam().send(new PutRolePolicyCommand({ RoleName: firstRole.split("/").at(-1), PolicyName: "chain", PolicyDocument: policy(allow(["sts:AssumeRole", "sts:TagSession"])) }));
    const secondRole = await teamRole();
    const first = sessionOf(
      (await sts(caller.credentials).send(new AssumeRoleCommand({ RoleArn: firstRole, RoleSessionName: "one", Tags: [{ Key: "team", Value: "blue" }, { Key: "cost", Value: "1" }], TransitiveTagKeys: ["team"] }))).Credentials,
    );
    const chained = sessionOf((await sts(first).send(new AssumeRoleCommand({ RoleArn: secondRole, RoleSessionName: "two" }))).Credentials);
    await encrypt(chained);
    await expectAwsError(
      sts(first).send(new AssumeRoleCommand({ RoleArn: secondRole, RoleSessionName: "three", Tags: [{ Key: "Team", Value: "red" }] })),
      "ValidationError",
    );
  });

  void it("AssumeRole's PolicyArns narrow the session to what the managed policies allow too", async () => {
    const caller = await identities.newUser("narrowed", policy(allow("sts:AssumeRole")));
    const roleName = identities.uniqueName("broad-role");
    const { Role: role } = await iam().send(new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: TRUST_ACCOUNT(kmsd.accountId) }));
    await iam().send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: "kms", PolicyDocument: policy(allow("kms:*")) }));
    const { Policy: onlyDecrypt } = await iam().send(new CreatePolicyCommand({ PolicyName: identities.uniqueName("only-decrypt"), PolicyDocument: policy(allow("kms:Decrypt")) }));
    const { Policy: onlyEncrypt } = await iam().send(new CreatePolicyCommand({ PolicyName: identities.uniqueName("only-encrypt"), PolicyDocument: policy(allow("kms:Encrypt")) }));
    const assume = async (arns: (string | undefined)[]) =>
      sessionOf((await sts(caller.credentials).send(new AssumeRoleCommand({ RoleArn: role?.Arn, RoleSessionName: "narrowed", PolicyArns: arns.map((arn) => ({ arn })) }))).Credentials);
    await expectAwsError(encrypt(await assume([onlyDecrypt?.Arn])), "AccessDeniedException", /session policy/);
    await encrypt(await assume([onlyDecrypt?.Arn, onlyEncrypt?.Arn]));
    // A session policy that does not exist allows nothing.
    await expectAwsError(encrypt(await assume([`arn:aws:iam::${kmsd.accountId}:policy/none-such`])), "AccessDeniedException");
    await expectAwsError(assume(["arn:aws:iam::123456789012:role/not-a-policy"]), "ValidationError");
  });

  void it("GetSessionToken: credentials that act as the user (same permissions), refused by IAM and by GetSessionToken itself", async () => {
    const user = await identities.newUser("token-user", policy(allow(["kms:Encrypt", "iam:*"])));
    const { Credentials: credentials } = await sts(user.credentials).send(new GetSessionTokenCommand({ DurationSeconds: 900 }));
    const session = sessionOf(credentials);
    assert.match(session.accessKeyId, /^ASIA/);
    const expiresIn = (credentials?.Expiration?.getTime() ?? 0) - Date.now();
    assert.ok(expiresIn > 890_000 && expiresIn <= 900_000, String(expiresIn));
    const identity = await sts(session).send(new GetCallerIdentityCommand({}));
    assert.equal(identity.Arn, user.arn);
    await encrypt(session);
    await expectAwsError(iam(session).send(new GetUserCommand({})), "InvalidClientTokenId", "The security token included in the request is invalid.");
    await expectAwsError(sts(session).send(new GetSessionTokenCommand({})), "AccessDenied", "Cannot call GetSessionToken with session credentials");

    // The account root's session lasts an hour at most.
    const root = await sts().send(new GetSessionTokenCommand({ DurationSeconds: 7200 }));
    assert.ok((root.Credentials?.Expiration?.getTime() ?? 0) - Date.now() <= 3_600_000);
    assert.equal((await sts(sessionOf(root.Credentials)).send(new GetCallerIdentityCommand({}))).Arn, `arn:aws:iam::${kmsd.accountId}:root`);
  });

  void it("UpdateRole changes only what it is given; UpdateRoleDescription answers the role", async () => {
    const name = identities.uniqueName("updated-role");
    await iam().send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: TRUST_ACCOUNT(kmsd.accountId), Description: "first", Tags: [{ Key: "a", Value: "1" }] }));
    await iam().send(new UpdateRoleCommand({ RoleName: name, MaxSessionDuration: 7200 }));
    let role = (await iam().send(new GetRoleCommand({ RoleName: name }))).Role;
    assert.deepEqual([role?.Description, role?.MaxSessionDuration, role?.Tags], ["first", 7200, [{ Key: "a", Value: "1" }]]);
    await iam().send(new UpdateRoleCommand({ RoleName: name, Description: "second" }));
    role = (await iam().send(new GetRoleCommand({ RoleName: name }))).Role;
    assert.deepEqual([role?.Description, role?.MaxSessionDuration], ["second", 7200]);
    const described = await iam().send(new UpdateRoleDescriptionCommand({ RoleName: name, Description: "third" }));
    assert.equal(described.Role?.Description, "third");
    await expectAwsError(iam().send(new UpdateRoleCommand({ RoleName: name, MaxSessionDuration: 60 })), "ValidationError");
    await expectAwsError(iam().send(new UpdateRoleCommand({ RoleName: "nope", Description: "x" })), "NoSuchEntityException", "The role with name nope cannot be found.");
  });
});
