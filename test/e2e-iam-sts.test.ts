// IAM and STS end to end through @aws-sdk/client-iam, @aws-sdk/client-sts,
// @aws-sdk/client-kms and the AWS CLI, against a built `kmsd serve --dev`: users and
// their access keys (inactive or deleted keys stop working at once), groups, inline and
// managed policies, roles, AssumeRole and its sessions, AWS's errors and pagination.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, describe, it, type TestContext } from "node:test";
import { promisify } from "node:util";
import {
  AddUserToGroupCommand,
  AttachGroupPolicyCommand,
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  DeleteAccessKeyCommand,
  DeleteGroupCommand,
  DeleteGroupPolicyCommand,
  DeletePolicyCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DeleteUserCommand,
  DeleteUserPolicyCommand,
  DetachGroupPolicyCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  GetGroupCommand,
  GetGroupPolicyCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedGroupPoliciesCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupPoliciesCommand,
  ListGroupsForUserCommand,
  ListPoliciesCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
  ListUserPoliciesCommand,
  ListUsersCommand,
  paginateListUsers,
  PutGroupPolicyCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  RemoveUserFromGroupCommand,
  UpdateAccessKeyCommand,
  UpdateAssumeRolePolicyCommand,
  type User,
} from "@aws-sdk/client-iam";
import { CreateKeyCommand, EncryptCommand, KMSClient, ListKeysCommand } from "@aws-sdk/client-kms";
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient, type Credentials as StsCredentials } from "@aws-sdk/client-sts";
import { CACHE_TTL_MS } from "../src/identity/accessKeys.ts";
import { expectAwsError, rawRequest, startKmsd, type Kmsd } from "./support/kmsd.ts";
import { awsCliEnv } from "./support/awsCli.ts";

/** SDK credentials, with a session token for role sessions. */
interface Creds {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

const POLICY = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: ["kms:Encrypt", "kms:Decrypt"], Resource: "*" }],
});
const INVALID_TOKEN = "The security token included in the request is invalid.";
/** An identity policy that lets a user or role use KMS (keys with the default key policy delegate to it). */
const KMS_ADMIN_POLICY = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "kms:*", Resource: "*" }] });

const EXPIRED_TOKEN = "The security token included in the request is expired";

/** A trust policy letting `principals` (ARNs or account ids) assume the role. */
function trustPolicy(principals: string | string[], condition?: object): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Principal: { AWS: principals }, Action: "sts:AssumeRole", ...(condition ? { Condition: condition } : {}) }],
  });
}

void describe("IAM and STS", () => {
  let kmsd: Kmsd;
  const clients: { destroy(): void }[] = [];
  const iam = (credentials?: Creds, region = "us-east-1") => track(new IAMClient({ endpoint: kmsd.endpoint, region, credentials: credentials ?? kmsd.credentials, maxAttempts: 1 }));
  const sts = (credentials?: Creds) => track(new STSClient({ endpoint: kmsd.endpoint, region: "us-east-1", credentials: credentials ?? kmsd.credentials, maxAttempts: 1 }));
  const kms = (credentials: Creds) => track(new KMSClient({ endpoint: kmsd.endpoint, region: "us-east-1", credentials, maxAttempts: 1 }));
  function track<T extends { destroy(): void }>(client: T): T {
    clients.push(client);
    return client;
  }
  const arn = (kind: string, pathAndName: string) => `arn:aws:iam::${kmsd.accountId}:${kind}/${pathAndName}`;

  /** Creates a user with one access key; returns its credentials. */
  async function userWithKey(userName: string, path?: string): Promise<{ user: User; credentials: Creds }> {
    const { User: user } = await iam().send(new CreateUserCommand({ UserName: userName, ...(path ? { Path: path } : {}) }));
    const { AccessKey: key } = await iam().send(new CreateAccessKeyCommand({ UserName: userName }));
    assert.ok(user && key?.AccessKeyId && key.SecretAccessKey);
    return { user, credentials: { accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey } };
  }

  function sessionCredentials(credentials: StsCredentials | undefined): Creds {
    assert.ok(credentials?.AccessKeyId && credentials.SecretAccessKey && credentials.SessionToken);
    return { accessKeyId: credentials.AccessKeyId, secretAccessKey: credentials.SecretAccessKey, sessionToken: credentials.SessionToken };
  }

  before(async () => {
    kmsd = await startKmsd({ dev: true });
  });
  after(async () => {
    clients.splice(0).forEach((client) => client.destroy());
    await kmsd.dispose();
  });

  void it("creates a user whose access key authenticates as that user in STS, KMS and IAM", async () => {
    const { user, credentials } = await userWithKey("alice", "/team/");
    assert.equal(user.Arn, arn("user", "team/alice"));
    assert.match(user.UserId ?? "", /^AIDA[A-Z2-7]{17}$/);
    assert.match(credentials.accessKeyId, /^AKIA[A-Z2-7]{16}$/);

    const identity = await sts(credentials).send(new GetCallerIdentityCommand({}));
    assert.deepEqual([identity.Arn, identity.UserId, identity.Account], [user.Arn, user.UserId, kmsd.accountId]);
    const root = await sts().send(new GetCallerIdentityCommand({}));
    assert.deepEqual([root.Arn, root.UserId], [`arn:aws:iam::${kmsd.accountId}:root`, kmsd.accountId]);

    // KMS: the user is a principal of the account, allowed only what an identity policy allows.
    await expectAwsError(
      kms(credentials).send(new CreateKeyCommand({})),
      "AccessDeniedException",
      `User: ${user.Arn} is not authorized to perform: kms:CreateKey on resource: * because no identity-based policy allows the kms:CreateKey action`,
    );
    await iam().send(new PutUserPolicyCommand({ UserName: "alice", PolicyName: "kms", PolicyDocument: KMS_ADMIN_POLICY }));
    const { KeyMetadata } = await kms(credentials).send(new CreateKeyCommand({}));
    assert.equal(KeyMetadata?.AWSAccountId, kmsd.accountId);

    // IAM: without an identity policy the user may not call IAM; the message names the user.
    await expectAwsError(
      iam(credentials).send(new ListUsersCommand({})),
      "AccessDenied",
      `User: ${user.Arn} is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::${kmsd.accountId}:user/ because no identity-based policy allows the iam:ListUsers action`,
    );
    // GetUser without a name is the caller (the root shows as the account).
    const self = await iam().send(new GetUserCommand({}));
    assert.equal(self.User?.Arn, `arn:aws:iam::${kmsd.accountId}:root`);
    assert.equal(self.User?.UserId, kmsd.accountId);
    const fetched = await iam().send(new GetUserCommand({ UserName: "ALICE" }));
    assert.deepEqual(fetched.User, user);
  });

  void it("stops an inactive or deleted access key at once, and never lets it fall back to the --dev root", async () => {
    const { user, credentials } = await userWithKey("bob");
    await sts(credentials).send(new GetCallerIdentityCommand({}));
    // Authenticated (the refusal is authorization's, not authentication's).
    await expectAwsError(kms(credentials).send(new ListKeysCommand({})), "AccessDeniedException");

    await iam().send(new UpdateAccessKeyCommand({ UserName: "bob", AccessKeyId: credentials.accessKeyId, Status: "Inactive" }));
    await expectAwsError(sts(credentials).send(new GetCallerIdentityCommand({})), "InvalidClientTokenId", INVALID_TOKEN);
    await expectAwsError(iam(credentials).send(new GetUserCommand({})), "InvalidClientTokenId", INVALID_TOKEN);
    await expectAwsError(kms(credentials).send(new ListKeysCommand({})), "UnrecognizedClientException", INVALID_TOKEN);
    const { AccessKeyMetadata } = await iam().send(new ListAccessKeysCommand({ UserName: "bob" }));
    assert.deepEqual(AccessKeyMetadata?.map((k) => [k.UserName, k.AccessKeyId, k.Status]), [["bob", credentials.accessKeyId, "Inactive"]]);

    await iam().send(new UpdateAccessKeyCommand({ UserName: "bob", AccessKeyId: credentials.accessKeyId, Status: "Active" }));
    assert.equal((await sts(credentials).send(new GetCallerIdentityCommand({}))).Arn, user.Arn);

    // Two keys per user; a third is LimitExceeded.
    const second = await iam().send(new CreateAccessKeyCommand({ UserName: "bob" }));
    await expectAwsError(iam().send(new CreateAccessKeyCommand({ UserName: "bob" })), "LimitExceededException", "Cannot exceed quota for AccessKeysPerUser: 2");

    await iam().send(new DeleteAccessKeyCommand({ UserName: "bob", AccessKeyId: credentials.accessKeyId }));
    await expectAwsError(sts(credentials).send(new GetCallerIdentityCommand({})), "InvalidClientTokenId", INVALID_TOKEN);
    await expectAwsError(kms(credentials).send(new ListKeysCommand({})), "UnrecognizedClientException", INVALID_TOKEN);
    await expectAwsError(
      iam().send(new DeleteAccessKeyCommand({ UserName: "bob", AccessKeyId: credentials.accessKeyId })),
      "NoSuchEntityException",
      `The Access Key with id ${credentials.accessKeyId} cannot be found.`,
    );
    // Another user's key is not found under this user.
    await iam().send(new CreateUserCommand({ UserName: "bob2" }));
    await expectAwsError(
      iam().send(new UpdateAccessKeyCommand({ UserName: "bob2", AccessKeyId: second.AccessKey?.AccessKeyId, Status: "Inactive" })),
      "NoSuchEntityException",
    );

    // DeleteUser: DeleteConflict while a key is left.
    await expectAwsError(
      iam().send(new DeleteUserCommand({ UserName: "bob" })),
      "DeleteConflictException",
      "Cannot delete entity, must delete access keys first.",
    );
    await iam().send(new DeleteAccessKeyCommand({ UserName: "bob", AccessKeyId: second.AccessKey?.AccessKeyId }));
    await iam().send(new DeleteUserCommand({ UserName: "bob" }));
    await expectAwsError(iam().send(new GetUserCommand({ UserName: "bob" })), "NoSuchEntityException", "The user with name bob cannot be found.");
    // Whereas a key id kmsd never issued still acts as the default account's root in --dev.
    const unknown = await sts({ accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "x" }).send(new GetCallerIdentityCommand({}));
    assert.equal(unknown.Arn, `arn:aws:iam::${kmsd.accountId}:root`);
  });

  void it("answers AWS's errors: EntityAlreadyExists, NoSuchEntity, ValidationError, MalformedPolicyDocument, DeleteConflict", async () => {
    await iam().send(new CreateUserCommand({ UserName: "carol" }));
    await expectAwsError(iam().send(new CreateUserCommand({ UserName: "Carol" })), "EntityAlreadyExistsException", "User with name Carol already exists.");
    await expectAwsError(
      iam().send(new CreateUserCommand({ UserName: "bad name" })),
      "ValidationError",
      "1 validation error detected: Value 'bad name' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+",
    );
    await expectAwsError(
      iam().send(new CreateUserCommand({ UserName: "dave", Path: "no-slashes" })),
      "ValidationError",
      /at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern/,
    );
    await expectAwsError(iam().send(new GetRoleCommand({ RoleName: "nope" })), "NoSuchEntityException", "The role with name nope cannot be found.");
    await expectAwsError(
      iam().send(new GetUserPolicyCommand({ UserName: "carol", PolicyName: "nope" })),
      "NoSuchEntityException",
      "The user policy with name nope cannot be found.",
    );
    await expectAwsError(
      iam().send(new PutUserPolicyCommand({ UserName: "carol", PolicyName: "p", PolicyDocument: "{not json" })),
      "MalformedPolicyDocumentException",
      "This policy contains invalid Json",
    );
    await expectAwsError(
      iam().send(new PutUserPolicyCommand({ UserName: "carol", PolicyName: "p", PolicyDocument: JSON.stringify({ Version: "2012-10-17" }) })),
      "MalformedPolicyDocumentException",
      "Syntax errors in policy.",
    );
    await expectAwsError(
      iam().send(new CreateRoleCommand({ RoleName: "r-bad", AssumeRolePolicyDocument: POLICY })),
      "MalformedPolicyDocumentException",
      "Missing required field Principal",
    );
    await expectAwsError(
      iam().send(new GetPolicyCommand({ PolicyArn: arn("policy", "missing") })),
      "NoSuchEntityException",
      `Policy ${arn("policy", "missing")} was not found.`,
    );
    await iam().send(new PutUserPolicyCommand({ UserName: "carol", PolicyName: "p", PolicyDocument: POLICY }));
    await expectAwsError(iam().send(new DeleteUserCommand({ UserName: "carol" })), "DeleteConflictException", "Cannot delete entity, must delete policies first.");
    await iam().send(new DeleteUserPolicyCommand({ UserName: "carol", PolicyName: "p" }));
    await iam().send(new DeleteUserCommand({ UserName: "carol" }));

    // The raw answer: AWS's XML error document, status and content type.
    const raw = await rawRequest(kmsd.endpoint, {
      body: "Action=GetUser&Version=2010-05-08&UserName=nobody",
      headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
      sign: { credentials: kmsd.credentials, service: "iam" },
    });
    assert.equal(raw.status, 404);
    assert.match(String(raw.headers["content-type"]), /^text\/xml/);
    assert.match(
      raw.body,
      /^<ErrorResponse xmlns="https:\/\/iam.amazonaws.com\/doc\/2010-05-08\/"><Error><Type>Sender<\/Type><Code>NoSuchEntity<\/Code><Message>The user with name nobody cannot be found.<\/Message><\/Error><RequestId>[0-9a-f-]{36}<\/RequestId><\/ErrorResponse>$/,
    );
    const unknown = await rawRequest(kmsd.endpoint, {
      body: "Action=MakeCoffee&Version=2011-06-15",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      sign: { credentials: kmsd.credentials, service: "sts" },
    });
    assert.equal(unknown.status, 400);
    assert.match(unknown.body, /<Code>InvalidAction<\/Code><Message>Could not find operation MakeCoffee for version 2011-06-15<\/Message>/);
  });

  void it("refuses a trust policy naming a user or role that does not exist (MalformedPolicyDocument)", async () => {
    const ghostUser = arn("user", "ghost-user");
    const ghostRole = arn("role", "team/ghost-role");
    await expectAwsError(
      iam().send(new CreateRoleCommand({ RoleName: "trusts-ghost", AssumeRolePolicyDocument: trustPolicy(ghostUser) })),
      "MalformedPolicyDocumentException",
      `Invalid principal in policy: "AWS":"${ghostUser}"`,
    );
    await expectAwsError(iam().send(new GetRoleCommand({ RoleName: "trusts-ghost" })), "NoSuchEntityException");
    // Principals that do exist, the account itself, and accounts kmsd does not serve are accepted.
    const { user } = await userWithKey("trusted-user");
    await iam().send(new CreateRoleCommand({ RoleName: "trusts-real", AssumeRolePolicyDocument: trustPolicy([user.Arn ?? "", kmsd.accountId, "arn:aws:iam::999999999999:user/elsewhere"]) }));
    await expectAwsError(
      iam().send(new UpdateAssumeRolePolicyCommand({ RoleName: "trusts-real", PolicyDocument: trustPolicy([user.Arn ?? "", ghostRole]) })),
      "MalformedPolicyDocumentException",
      `Invalid principal in policy: "AWS":"${ghostRole}"`,
    );
    // The refused update left the trust policy as it was.
    const { Role: role } = await iam().send(new GetRoleCommand({ RoleName: "trusts-real" }));
    assert.deepEqual(JSON.parse(decodeURIComponent(role?.AssumeRolePolicyDocument ?? "")), JSON.parse(trustPolicy([user.Arn ?? "", kmsd.accountId, "arn:aws:iam::999999999999:user/elsewhere"])));
    await iam().send(new UpdateAssumeRolePolicyCommand({ RoleName: "trusts-real", PolicyDocument: trustPolicy(arn("role", "trusts-real")) }));
  });

  void it("manages groups, inline policies and managed policies", async () => {
    const client = iam();
    await client.send(new CreateUserCommand({ UserName: "erin" }));
    const { Group: group } = await client.send(new CreateGroupCommand({ GroupName: "devs", Path: "/eng/" }));
    assert.equal(group?.Arn, arn("group", "eng/devs"));
    await client.send(new AddUserToGroupCommand({ GroupName: "devs", UserName: "erin" }));
    const got = await client.send(new GetGroupCommand({ GroupName: "devs" }));
    assert.deepEqual(got.Users?.map((u) => u.UserName), ["erin"]);
    const groupsOfErin = await client.send(new ListGroupsForUserCommand({ UserName: "erin" }));
    assert.deepEqual(groupsOfErin.Groups?.map((g) => g.GroupName), ["devs"]);

    // Inline policies of a user, a group and a role; documents come back URL-encoded.
    await client.send(new PutUserPolicyCommand({ UserName: "erin", PolicyName: "mine", PolicyDocument: POLICY }));
    await client.send(new PutGroupPolicyCommand({ GroupName: "devs", PolicyName: "team", PolicyDocument: POLICY }));
    await client.send(new CreateRoleCommand({ RoleName: "worker", AssumeRolePolicyDocument: trustPolicy(kmsd.accountId) }));
    await client.send(new PutRolePolicyCommand({ RoleName: "worker", PolicyName: "work", PolicyDocument: POLICY }));
    const userPolicy = await client.send(new GetUserPolicyCommand({ UserName: "erin", PolicyName: "mine" }));
    assert.equal(userPolicy.UserName, "erin");
    assert.equal(decodeURIComponent(userPolicy.PolicyDocument ?? ""), POLICY);
    const groupPolicy = await client.send(new GetGroupPolicyCommand({ GroupName: "devs", PolicyName: "team" }));
    assert.equal(decodeURIComponent(groupPolicy.PolicyDocument ?? ""), POLICY);
    const rolePolicy = await client.send(new GetRolePolicyCommand({ RoleName: "worker", PolicyName: "work" }));
    assert.equal(decodeURIComponent(rolePolicy.PolicyDocument ?? ""), POLICY);
    assert.deepEqual((await client.send(new ListUserPoliciesCommand({ UserName: "erin" }))).PolicyNames, ["mine"]);
    assert.deepEqual((await client.send(new ListGroupPoliciesCommand({ GroupName: "devs" }))).PolicyNames, ["team"]);
    assert.deepEqual((await client.send(new ListRolePoliciesCommand({ RoleName: "worker" }))).PolicyNames, ["work"]);

    // A managed policy, attached to all three.
    const { Policy: policy } = await client.send(new CreatePolicyCommand({ PolicyName: "crypto", Path: "/kms/", PolicyDocument: POLICY }));
    assert.equal(policy?.Arn, arn("policy", "kms/crypto"));
    assert.equal(policy?.DefaultVersionId, "v1");
    await expectAwsError(
      client.send(new CreatePolicyCommand({ PolicyName: "CRYPTO", PolicyDocument: POLICY })),
      "EntityAlreadyExistsException",
      "A policy called CRYPTO already exists. Duplicate names are not allowed.",
    );
    const policyArn = policy?.Arn ?? "";
    await client.send(new AttachUserPolicyCommand({ UserName: "erin", PolicyArn: policyArn }));
    await client.send(new AttachGroupPolicyCommand({ GroupName: "devs", PolicyArn: policyArn }));
    await client.send(new AttachRolePolicyCommand({ RoleName: "worker", PolicyArn: policyArn }));
    const attached = [
      await client.send(new ListAttachedUserPoliciesCommand({ UserName: "erin" })),
      await client.send(new ListAttachedGroupPoliciesCommand({ GroupName: "devs" })),
      await client.send(new ListAttachedRolePoliciesCommand({ RoleName: "worker" })),
    ];
    for (const page of attached) assert.deepEqual(page.AttachedPolicies, [{ PolicyName: "crypto", PolicyArn: policyArn }]);
    assert.equal((await client.send(new GetPolicyCommand({ PolicyArn: policyArn }))).Policy?.AttachmentCount, 3);
    const version = await client.send(new GetPolicyVersionCommand({ PolicyArn: policyArn, VersionId: "v1" }));
    assert.equal(decodeURIComponent(version.PolicyVersion?.Document ?? ""), POLICY);
    assert.equal(version.PolicyVersion?.IsDefaultVersion, true);
    const listed = await client.send(new ListPoliciesCommand({ Scope: "Local", OnlyAttached: true }));
    assert.deepEqual(listed.Policies?.map((p) => p.PolicyName), ["crypto"]);
    await expectAwsError(
      client.send(new AttachUserPolicyCommand({ UserName: "erin", PolicyArn: arn("policy", "nope") })),
      "NoSuchEntityException",
      `Policy ${arn("policy", "nope")} does not exist or is not attachable.`,
    );

    // Deletes in the wrong order are DeleteConflict.
    await expectAwsError(client.send(new DeletePolicyCommand({ PolicyArn: policyArn })), "DeleteConflictException", "Cannot delete a policy attached to entities.");
    await expectAwsError(client.send(new DeleteGroupCommand({ GroupName: "devs" })), "DeleteConflictException", "Cannot delete entity, must remove users from group first.");
    await expectAwsError(client.send(new DeleteRoleCommand({ RoleName: "worker" })), "DeleteConflictException", "Cannot delete entity, must delete policies first.");
    await client.send(new DeleteRolePolicyCommand({ RoleName: "worker", PolicyName: "work" }));
    await expectAwsError(client.send(new DeleteRoleCommand({ RoleName: "worker" })), "DeleteConflictException", "Cannot delete entity, must detach all policies first.");

    await client.send(new DetachUserPolicyCommand({ UserName: "erin", PolicyArn: policyArn }));
    await expectAwsError(
      client.send(new DetachUserPolicyCommand({ UserName: "erin", PolicyArn: policyArn })),
      "NoSuchEntityException",
      `Policy ${policyArn} was not found.`,
    );
    await client.send(new DetachGroupPolicyCommand({ GroupName: "devs", PolicyArn: policyArn }));
    await client.send(new DetachRolePolicyCommand({ RoleName: "worker", PolicyArn: policyArn }));
    await client.send(new DeletePolicyCommand({ PolicyArn: policyArn }));
    await expectAwsError(client.send(new GetPolicyCommand({ PolicyArn: policyArn })), "NoSuchEntityException");
    await client.send(new DeleteRoleCommand({ RoleName: "worker" }));
    await client.send(new RemoveUserFromGroupCommand({ GroupName: "devs", UserName: "erin" }));
    await client.send(new DeleteGroupPolicyCommand({ GroupName: "devs", PolicyName: "team" }));
    await client.send(new DeleteGroupCommand({ GroupName: "devs" }));
    await expectAwsError(client.send(new GetGroupCommand({ GroupName: "devs" })), "NoSuchEntityException", "The group with name devs cannot be found.");
    await expectAwsError(client.send(new DeleteUserCommand({ UserName: "erin" })), "DeleteConflictException", "Cannot delete entity, must delete policies first.");
    await client.send(new DeleteUserPolicyCommand({ UserName: "erin", PolicyName: "mine" }));
    await client.send(new DeleteUserCommand({ UserName: "erin" }));
  });

  void it("counts all of an owner's inline policies together against its size quota (LimitExceeded)", async () => {
    /** An identity policy of exactly `size` characters other than whitespace. */
    const sized = (size: number): string => {
      const policy = (pad: string) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "kms:Encrypt", Resource: `arn:aws:kms:*:*:key/${pad}` }] });
      const document = policy("x".repeat(size - policy("").length));
      assert.equal(document.length, size);
      return document;
    };
    const client = iam();
    await client.send(new CreateUserCommand({ UserName: "quota-user" }));
    // 1,200 + 900 > 2,048: the second is refused though each fits on its own.
    await client.send(new PutUserPolicyCommand({ UserName: "quota-user", PolicyName: "first", PolicyDocument: sized(1200) }));
    await expectAwsError(
      client.send(new PutUserPolicyCommand({ UserName: "quota-user", PolicyName: "second", PolicyDocument: sized(900) })),
      "LimitExceededException",
      "Maximum policy size of 2048 bytes exceeded for user quota-user",
    );
    assert.deepEqual((await client.send(new ListUserPoliciesCommand({ UserName: "quota-user" }))).PolicyNames, ["first"]);
    await client.send(new PutUserPolicyCommand({ UserName: "quota-user", PolicyName: "second", PolicyDocument: sized(848) }));
    // Replacing a policy counts its new document instead of the old one (names compare without case).
    await client.send(new PutUserPolicyCommand({ UserName: "quota-user", PolicyName: "FIRST", PolicyDocument: sized(1200) }));
    await client.send(new PutUserPolicyCommand({ UserName: "quota-user", PolicyName: "second", PolicyDocument: sized(700) }));
    await expectAwsError(
      client.send(new PutUserPolicyCommand({ UserName: "quota-user", PolicyName: "first", PolicyDocument: sized(1349) })),
      "LimitExceededException",
      "Maximum policy size of 2048 bytes exceeded for user quota-user",
    );
    await client.send(new PutUserPolicyCommand({ UserName: "quota-user", PolicyName: "first", PolicyDocument: sized(1348) }));

    // Groups (5,120) and roles (10,240) likewise.
    await client.send(new CreateGroupCommand({ GroupName: "quota-group" }));
    await client.send(new PutGroupPolicyCommand({ GroupName: "quota-group", PolicyName: "a", PolicyDocument: sized(3000) }));
    await expectAwsError(
      client.send(new PutGroupPolicyCommand({ GroupName: "quota-group", PolicyName: "b", PolicyDocument: sized(2121) })),
      "LimitExceededException",
      "Maximum policy size of 5120 bytes exceeded for group quota-group",
    );
    await client.send(new PutGroupPolicyCommand({ GroupName: "quota-group", PolicyName: "b", PolicyDocument: sized(2120) }));
    await client.send(new CreateRoleCommand({ RoleName: "quota-role", AssumeRolePolicyDocument: trustPolicy(kmsd.accountId) }));
    for (const name of ["a", "b", "c"]) await client.send(new PutRolePolicyCommand({ RoleName: "quota-role", PolicyName: name, PolicyDocument: sized(3000) }));
    await expectAwsError(
      client.send(new PutRolePolicyCommand({ RoleName: "quota-role", PolicyName: "d", PolicyDocument: sized(1241) })),
      "LimitExceededException",
      "Maximum policy size of 10240 bytes exceeded for role quota-role",
    );
    await client.send(new PutRolePolicyCommand({ RoleName: "quota-role", PolicyName: "d", PolicyDocument: sized(1240) }));
  });

  void it("pages with Marker and MaxItems, by name, within a path", async () => {
    const client = iam();
    const names = ["u3", "U1", "u5", "u2", "u7", "u4", "u6"];
    for (const name of names) await client.send(new CreateUserCommand({ UserName: name, Path: "/paging/" }));
    const first = await client.send(new ListUsersCommand({ PathPrefix: "/paging/", MaxItems: 3 }));
    assert.deepEqual(first.Users?.map((u) => u.UserName), ["U1", "u2", "u3"]);
    assert.equal(first.IsTruncated, true);
    assert.ok(first.Marker);
    const second = await client.send(new ListUsersCommand({ PathPrefix: "/paging/", MaxItems: 3, Marker: first.Marker }));
    assert.deepEqual(second.Users?.map((u) => u.UserName), ["u4", "u5", "u6"]);
    const all: string[] = [];
    for await (const page of paginateListUsers({ client, pageSize: 2 }, { PathPrefix: "/paging/" })) {
      all.push(...(page.Users ?? []).map((u) => u.UserName ?? ""));
    }
    assert.deepEqual(all, ["U1", "u2", "u3", "u4", "u5", "u6", "u7"]);
    const last = await client.send(new ListUsersCommand({ PathPrefix: "/paging/", Marker: second.Marker }));
    assert.deepEqual([last.Users?.map((u) => u.UserName), last.IsTruncated, last.Marker], [["u7"], false, undefined]);
    await expectAwsError(
      client.send(new ListUsersCommand({ MaxItems: 0 })),
      "ValidationError",
      "1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );
  });

  void it("assumes a role whose trust policy names the caller; the session authenticates as the assumed role", async () => {
    const { user: frank, credentials } = await userWithKey("frank");
    const { Role: role } = await iam().send(
      new CreateRoleCommand({ RoleName: "deployer", Path: "/ci/", AssumeRolePolicyDocument: trustPolicy(frank.Arn ?? "") }),
    );
    assert.match(role?.RoleId ?? "", /^AROA[A-Z2-7]{17}$/);
    assert.equal(decodeURIComponent(role?.AssumeRolePolicyDocument ?? ""), trustPolicy(frank.Arn ?? ""));
    assert.equal(role?.MaxSessionDuration, 3600);

    const before = Date.now();
    const assumed = await sts(credentials).send(new AssumeRoleCommand({ RoleArn: role?.Arn, RoleSessionName: "build-42" }));
    const after = Date.now();
    const session = sessionCredentials(assumed.Credentials);
    assert.match(session.accessKeyId, /^ASIA[A-Z2-7]{16}$/);
    // One hour from the call, which the server counts in whole seconds.
    const expiresAt = assumed.Credentials?.Expiration?.getTime() ?? 0;
    const earliest = Math.floor(before / 1000) * 1000 + 3600_000;
    assert.ok(expiresAt >= earliest && expiresAt <= after + 3600_000, `expires at ${expiresAt}, called between ${before} and ${after}`);
    const sessionArn = `arn:aws:sts::${kmsd.accountId}:assumed-role/deployer/build-42`;
    assert.deepEqual(assumed.AssumedRoleUser, { AssumedRoleId: `${role?.RoleId}:build-42`, Arn: sessionArn });

    const identity = await sts(session).send(new GetCallerIdentityCommand({}));
    assert.deepEqual([identity.Arn, identity.UserId, identity.Account], [sessionArn, `${role?.RoleId}:build-42`, kmsd.accountId]);
    await expectAwsError(kms(session).send(new ListKeysCommand({})), "AccessDeniedException");
    await iam().send(new PutRolePolicyCommand({ RoleName: "deployer", PolicyName: "kms", PolicyDocument: KMS_ADMIN_POLICY }));
    await kms(session).send(new ListKeysCommand({}));
    await expectAwsError(iam(session).send(new GetUserCommand({})), "ValidationError", "Must specify userName when calling with non-User credentials");


    // The session token is checked: missing or altered, the credentials are invalid.
    const { sessionToken: _token, ...withoutToken } = session;
    await expectAwsError(sts(withoutToken).send(new GetCallerIdentityCommand({})), "InvalidClientTokenId", INVALID_TOKEN);
    await expectAwsError(
      sts({ ...session, sessionToken: `${session.sessionToken?.slice(0, -4)}AAAA` }).send(new GetCallerIdentityCommand({})),
      "InvalidClientTokenId",
      INVALID_TOKEN,
    );
    await expectAwsError(kms({ ...credentials, sessionToken: session.sessionToken ?? "" }).send(new ListKeysCommand({})), "UnrecognizedClientException", INVALID_TOKEN);

    // Role chaining: a session may assume a role that trusts its role, for an hour at most.
    await iam().send(new CreateRoleCommand({ RoleName: "chained", AssumeRolePolicyDocument: trustPolicy(role?.Arn ?? ""), MaxSessionDuration: 7200 }));
    const chained = await sts(session).send(new AssumeRoleCommand({ RoleArn: arn("role", "chained"), RoleSessionName: "hop" }));
    assert.equal(chained.AssumedRoleUser?.Arn, `arn:aws:sts::${kmsd.accountId}:assumed-role/chained/hop`);
    await expectAwsError(
      sts(session).send(new AssumeRoleCommand({ RoleArn: arn("role", "chained"), RoleSessionName: "hop", DurationSeconds: 3601 })),
      "ValidationError",
      "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
    );
  });

  void it("bounds DurationSeconds by the model and by the role's MaxSessionDuration", async () => {
    const { user, credentials } = await userWithKey("grace");
    await iam().send(new CreateRoleCommand({ RoleName: "short", AssumeRolePolicyDocument: trustPolicy(user.Arn ?? "") }));
    await iam().send(new CreateRoleCommand({ RoleName: "long", AssumeRolePolicyDocument: trustPolicy(user.Arn ?? ""), MaxSessionDuration: 43200 }));
    const client = sts(credentials);
    await expectAwsError(
      client.send(new AssumeRoleCommand({ RoleArn: arn("role", "short"), RoleSessionName: "sess", DurationSeconds: 899 })),
      "ValidationError",
      "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900",
    );
    await expectAwsError(
      client.send(new AssumeRoleCommand({ RoleArn: arn("role", "long"), RoleSessionName: "sess", DurationSeconds: 43201 })),
      "ValidationError",
      "1 validation error detected: Value '43201' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 43200",
    );
    await expectAwsError(
      client.send(new AssumeRoleCommand({ RoleArn: arn("role", "short"), RoleSessionName: "sess", DurationSeconds: 3601 })),
      "ValidationError",
      "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
    );
    const shortest = await client.send(new AssumeRoleCommand({ RoleArn: arn("role", "short"), RoleSessionName: "sess", DurationSeconds: 900 }));
    const longest = await client.send(new AssumeRoleCommand({ RoleArn: arn("role", "long"), RoleSessionName: "sess", DurationSeconds: 43200 }));
    const span = (longest.Credentials?.Expiration?.getTime() ?? 0) - (shortest.Credentials?.Expiration?.getTime() ?? 0);
    assert.ok(Math.abs(span - (43200 - 900) * 1000) <= 2000, `span ${span}`);
  });

  void it("refuses AssumeRole when the trust policy does not allow the caller", async () => {
    const { user: owner } = await userWithKey("heidi");
    const { credentials: intruder, user: ivan } = await userWithKey("ivan");
    await iam().send(new CreateRoleCommand({ RoleName: "private", AssumeRolePolicyDocument: trustPolicy(owner.Arn ?? "") }));
    const roleArn = arn("role", "private");
    const denied = `User: ${ivan.Arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`;
    await expectAwsError(sts(intruder).send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: "sess" })), "AccessDenied", denied);
    // A role that does not exist answers the same (AWS does not reveal which roles exist).
    await expectAwsError(
      sts(intruder).send(new AssumeRoleCommand({ RoleArn: arn("role", "ghost"), RoleSessionName: "sess" })),
      "AccessDenied",
      `User: ${ivan.Arn} is not authorized to perform: sts:AssumeRole on resource: ${arn("role", "ghost")}`,
    );
    // An account root may not assume roles at all.
    await expectAwsError(sts().send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: "sess" })), "AccessDenied", "Roles may not be assumed by root accounts.");
    // Trusting the account delegates to the caller's identity policies (none allow it yet).
    await iam().send(new UpdateAssumeRolePolicyCommand({ RoleName: "private", PolicyDocument: trustPolicy(kmsd.accountId) }));
    await expectAwsError(
      sts(intruder).send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: "sess" })),
      "AccessDenied",
      `${denied} because no identity-based policy allows the sts:AssumeRole action`,
    );
    // ExternalId conditions.
    await iam().send(
      new UpdateAssumeRolePolicyCommand({ RoleName: "private", PolicyDocument: trustPolicy(ivan.Arn ?? "", { StringEquals: { "sts:ExternalId": "xyz-123" } }) }),
    );
    await expectAwsError(sts(intruder).send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: "sess" })), "AccessDenied", denied);
    await expectAwsError(sts(intruder).send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: "sess", ExternalId: "nope-1" })), "AccessDenied", denied);
    await sts(intruder).send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: "sess", ExternalId: "xyz-123" }));
    // A malformed session policy is refused.
    await expectAwsError(
      sts(intruder).send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: "sess", ExternalId: "xyz-123", Policy: "[]" })),
      "MalformedPolicyDocumentException",
      "Syntax errors in policy.",
    );
    const listed = await iam().send(new ListRolesCommand({}));
    assert.ok(listed.Roles?.some((r) => r.RoleName === "private"));
    await expectAwsError(iam().send(new CreateRoleCommand({ RoleName: "PRIVATE", AssumeRolePolicyDocument: trustPolicy(kmsd.accountId) })), "EntityAlreadyExistsException", "Role with name PRIVATE already exists.");
  });

  void it("ends a role's sessions at once when the role is deleted, and a role created again under its name does not revive them", async () => {
    const { user, credentials } = await userWithKey("leo");
    const roleArn = arn("role", "ephemeral");
    const { Role: role } = await iam().send(new CreateRoleCommand({ RoleName: "ephemeral", AssumeRolePolicyDocument: trustPolicy(user.Arn ?? "") }));
    // The key policy names the role's ARN itself, so no identity policy of the role is needed.
    const keyPolicy = JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${kmsd.accountId}:root` }, Action: "kms:*", Resource: "*" },
        { Effect: "Allow", Principal: { AWS: roleArn }, Action: "kms:Encrypt", Resource: "*" },
      ],
    });
    const { KeyMetadata: key } = await kms(kmsd.credentials).send(new CreateKeyCommand({ Policy: keyPolicy }));
    const encrypt = (c: Creds) => kms(c).send(new EncryptCommand({ KeyId: key?.Arn, Plaintext: Buffer.from("secret") }));
    // A role policy too, so that DeleteRole has something to refuse over before it is removed.
    await iam().send(new PutRolePolicyCommand({ RoleName: "ephemeral", PolicyName: "kms", PolicyDocument: POLICY }));

    const assumed = await sts(credentials).send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: "old" }));
    const session = sessionCredentials(assumed.Credentials);
    await encrypt(session);

    await expectAwsError(iam().send(new DeleteRoleCommand({ RoleName: "ephemeral" })), "DeleteConflictException", "Cannot delete entity, must delete policies first.");
    await iam().send(new DeleteRolePolicyCommand({ RoleName: "ephemeral", PolicyName: "kms" }));
    await iam().send(new DeleteRoleCommand({ RoleName: "ephemeral" }));
    // At once (no wait for the credential cache): the session's credentials are no longer valid.
    await expectAwsError(encrypt(session), "UnrecognizedClientException", INVALID_TOKEN);
    await expectAwsError(sts(session).send(new GetCallerIdentityCommand({})), "InvalidClientTokenId", INVALID_TOKEN);

    // A new role of the same name has another unique id: the old session stays dead, new ones work.
    const { Role: again } = await iam().send(new CreateRoleCommand({ RoleName: "ephemeral", AssumeRolePolicyDocument: trustPolicy(user.Arn ?? "") }));
    assert.notEqual(again?.RoleId, role?.RoleId);
    await expectAwsError(encrypt(session), "UnrecognizedClientException", INVALID_TOKEN);
    await expectAwsError(sts(session).send(new GetCallerIdentityCommand({})), "InvalidClientTokenId", INVALID_TOKEN);
    const fresh = await sts(credentials).send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: "new" }));
    await encrypt(sessionCredentials(fresh.Credentials));
  });

  void it("serves keys and sessions from the data directory to another process, which sees a revoked key within the cache TTL", async () => {
    const { user, credentials } = await userWithKey("kim");
    await iam().send(new CreateRoleCommand({ RoleName: "shared", AssumeRolePolicyDocument: trustPolicy(user.Arn ?? "") }));
    const assumed = await sts(credentials).send(new AssumeRoleCommand({ RoleArn: arn("role", "shared"), RoleSessionName: "elsewhere" }));
    const other = await startKmsd({ dataDir: kmsd.dataDir });
    try {
      const otherSts = (c: Creds) => track(new STSClient({ endpoint: other.endpoint, region: "us-east-1", credentials: c, maxAttempts: 1 }));
      assert.equal((await otherSts(credentials).send(new GetCallerIdentityCommand({}))).Arn, user.Arn);
      const session = await otherSts(sessionCredentials(assumed.Credentials)).send(new GetCallerIdentityCommand({}));
      assert.equal(session.Arn, `arn:aws:sts::${kmsd.accountId}:assumed-role/shared/elsewhere`);
      // Deactivated through the first server: the second learns of it when its cache entry expires.
      await iam().send(new UpdateAccessKeyCommand({ UserName: "kim", AccessKeyId: credentials.accessKeyId, Status: "Inactive" }));
      await new Promise((resolve) => setTimeout(resolve, CACHE_TTL_MS + 250));
      await expectAwsError(otherSts(credentials).send(new GetCallerIdentityCommand({})), "InvalidClientTokenId", INVALID_TOKEN);
    } finally {
      await other.stop();
    }
  });

  void it("round-trips `aws iam create-user` and `aws sts get-caller-identity` through the AWS CLI", async (t: TestContext) => {
    const env = awsCliEnv(kmsd.credentials);
    const aws = async (...args: string[]) => {
      const { stdout } = await promisify(execFile)("aws", [...args, "--endpoint-url", kmsd.endpoint, "--output", "json"], { env });
      return JSON.parse(stdout) as Record<string, Record<string, string>>;
    };
    try {
      await promisify(execFile)("aws", ["--version"], { env });
    } catch {
      t.skip("the AWS CLI is not installed");
      return;
    }
    const created = await aws("iam", "create-user", "--user-name", "cli-user", "--path", "/cli/");
    assert.equal(created.User?.Arn, arn("user", "cli/cli-user"));
    const identity = await aws("sts", "get-caller-identity");
    assert.equal(identity.Arn, `arn:aws:iam::${kmsd.accountId}:root`);
    // The CLI decodes URL-encoded policy documents.
    await aws("iam", "create-role", "--role-name", "cli-role", "--assume-role-policy-document", trustPolicy(kmsd.accountId));
    const role = await aws("iam", "get-role", "--role-name", "cli-role");
    assert.deepEqual(role.Role?.AssumeRolePolicyDocument, JSON.parse(trustPolicy(kmsd.accountId)));
  });

  // Last: it moves the server clock forward for good.
  void it("answers ExpiredToken (STS, IAM) and ExpiredTokenException (KMS) once a session has expired", async () => {
    const { user, credentials } = await userWithKey("judy");
    await iam().send(new CreateRoleCommand({ RoleName: "brief", AssumeRolePolicyDocument: trustPolicy(user.Arn ?? "") }));
    const assumed = await sts(credentials).send(new AssumeRoleCommand({ RoleArn: arn("role", "brief"), RoleSessionName: "sess" }));
    const session = sessionCredentials(assumed.Credentials);
    await sts(session).send(new GetCallerIdentityCommand({}));
    await kmsd.advanceClock(4000);
    await expectAwsError(sts(session).send(new GetCallerIdentityCommand({})), "ExpiredToken", EXPIRED_TOKEN);
    await expectAwsError(iam(session).send(new ListUsersCommand({})), "ExpiredToken", EXPIRED_TOKEN);
    await expectAwsError(kms(session).send(new ListKeysCommand({})), "ExpiredTokenException", EXPIRED_TOKEN);
    // Long-term keys are unaffected, and a new session starts from the server clock.
    await sts(credentials).send(new GetCallerIdentityCommand({}));
    const fresh = await sts(credentials).send(new AssumeRoleCommand({ RoleArn: arn("role", "brief"), RoleSessionName: "sess2" }));
    await sts(sessionCredentials(fresh.Credentials)).send(new GetCallerIdentityCommand({}));
  });
});
