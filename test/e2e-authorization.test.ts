// Authorization end to end through @aws-sdk/client-iam, @aws-sdk/client-sts and
// @aws-sdk/client-kms against a built `kmsd serve --dev` with two accounts: identity
// policies, key policies and their delegation to IAM, explicit denies, cross-account use,
// role sessions narrowed by session policies, trust policies, condition keys read from
// real requests, key policy validation and the lockout safety check, and IAM calls
// authorized by IAM policies. Grants are in e2e-grants.test.ts.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  AddUserToGroupCommand,
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreateRoleCommand,
  CreateUserCommand,
  GetUserCommand,
  PutGroupPolicyCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
} from "@aws-sdk/client-iam";
import {
  CreateAliasCommand,
  CreateGrantCommand,
  CreateKeyCommand,
  DecryptCommand,
  DeleteAliasCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateDataKeyPairCommand,
  GenerateMacCommand,
  GenerateRandomCommand,
  GetKeyPolicyCommand,
  GetParametersForImportCommand,
  ListAliasesCommand,
  ListGrantsCommand,
  ListKeyPoliciesCommand,
  ListKeysCommand,
  PutKeyPolicyCommand,
  ScheduleKeyDeletionCommand,
  SignCommand,
  UpdateAliasCommand,
  type CreateKeyCommandInput,
  type EncryptionAlgorithmSpec,
  type KMSClient,
} from "@aws-sdk/client-kms";
import { AssumeRoleCommand } from "@aws-sdk/client-sts";
import { bytes, createKey, uniqueAlias, type CreatedKey } from "./support/e2e.ts";
import { createAccount, credentialsOf, expectAwsError, startKmsd, type CreatedAccount, type Kmsd } from "./support/kmsd.ts";
import { allow, deny, policy, rootStatement, TestIdentities, type Creds, type Statement, type TestUser } from "./support/identities.ts";

const PLAINTEXT = Buffer.from("attack at dawn");

/** `User: ARN is not authorized to perform: ACTION on resource: RESOURCE because no POLICY allows the ACTION action`. */
function notAllowed(principal: string, action: string, resource: string, by: "identity-based policy" | "resource-based policy" | "session policy"): string {
  return `User: ${principal} is not authorized to perform: ${action} on resource: ${resource} because no ${by} allows the ${action} action`;
}

/** `User: ARN is not authorized to perform: ACTION on resource: RESOURCE with an explicit deny in POLICY`. */
function explicitlyDenied(principal: string, action: string, resource: string, by: "an identity-based policy" | "a resource-based policy" | "a session policy"): string {
  return `User: ${principal} is not authorized to perform: ${action} on resource: ${resource} with an explicit deny in ${by}`;
}

void describe("authorization", () => {
  let kmsd: Kmsd;
  let accountB: CreatedAccount;
  const identities = new TestIdentities(() => kmsd);
  const iam = (credentials?: Creds) => identities.iam(credentials);
  const sts = (credentials?: Creds) => identities.sts(credentials);
  const kms = (credentials?: Creds, viaService?: string): KMSClient => kmsd.kms({ ...(credentials ? { credentials } : {}), ...(viaService ? { viaService } : {}) });
  const rootB = (): Creds => credentialsOf(accountB);
  const userArn = (accountId: string, name: string) => `arn:aws:iam::${accountId}:user/${name}`;

  const newUser = (prefix: string, identityPolicy?: string, admin?: Creds): Promise<TestUser> => identities.newUser(prefix, identityPolicy, admin);

  /** A key of account A (or of the account whose root `owner` is) with `keyPolicy`, created by that root. */
  async function keyWithPolicy(keyPolicy: string | undefined, owner?: Creds, input: CreateKeyCommandInput = {}): Promise<CreatedKey> {
    return createKey(kms(owner), { ...input, ...(keyPolicy === undefined ? {} : { Policy: keyPolicy }) });
  }

  const encrypt = (client: KMSClient, keyId: string, context?: Record<string, string>) =>
    client.send(new EncryptCommand({ KeyId: keyId, Plaintext: PLAINTEXT, ...(context ? { EncryptionContext: context } : {}) }));

  before(async () => {
    kmsd = await startKmsd({ dev: true });
    accountB = await createAccount(kmsd.dataDir);
  });
  after(async () => {
    identities.destroy();
    await kmsd.dispose();
  });

  void describe("in the key's account", () => {
    void it("denies a user with no policy, naming the identity-based policy", async () => {
      const key = await keyWithPolicy(undefined);
      const user = await newUser("nopolicy");
      await expectAwsError(encrypt(kms(user.credentials), key.Arn), "AccessDeniedException", notAllowed(user.arn, "kms:Encrypt", key.Arn, "identity-based policy"));
      await expectAwsError(
        kms(user.credentials).send(new CreateKeyCommand({})),
        "AccessDeniedException",
        notAllowed(user.arn, "kms:CreateKey", "*", "identity-based policy"),
      );
    });

    void it("allows what an identity policy allows when the key policy delegates to the account, and no more", async () => {
      const key = await keyWithPolicy(undefined);
      const user = await newUser("identity", policy(allow(["kms:Encrypt", "kms:Decrypt"], key.Arn)));
      const { CiphertextBlob } = await encrypt(kms(user.credentials), key.KeyId);
      const { Plaintext } = await kms(user.credentials).send(new DecryptCommand({ CiphertextBlob }));
      assert.deepEqual(bytes(Plaintext), PLAINTEXT);
      await expectAwsError(
        kms(user.credentials).send(new GenerateDataKeyCommand({ KeyId: key.KeyId, KeySpec: "AES_256" })),
        "AccessDeniedException",
        notAllowed(user.arn, "kms:GenerateDataKey", key.Arn, "identity-based policy"),
      );
      // The policy names this key only.
      const other = await keyWithPolicy(undefined);
      await expectAwsError(encrypt(kms(user.credentials), other.KeyId), "AccessDeniedException", notAllowed(user.arn, "kms:Encrypt", other.Arn, "identity-based policy"));
    });

    void it("lets a key-policy Deny beat an identity policy's Allow", async () => {
      const user = await newUser("denied", policy(allow("kms:*")));
      const key = await keyWithPolicy(policy(rootStatement(kmsd.accountId), { Effect: "Deny", Principal: { AWS: user.arn }, Action: "kms:Encrypt", Resource: "*" }));
      await expectAwsError(encrypt(kms(user.credentials), key.KeyId), "AccessDeniedException", explicitlyDenied(user.arn, "kms:Encrypt", key.Arn, "a resource-based policy"));
      await kms(user.credentials).send(new DescribeKeyCommand({ KeyId: key.KeyId }));
    });

    void it("lets an identity-policy Deny beat a key policy naming the user", async () => {
      const user = await newUser("selfdeny", policy(deny("kms:Decrypt")));
      const key = await keyWithPolicy(policy(rootStatement(kmsd.accountId), { Effect: "Allow", Principal: { AWS: user.arn }, Action: "kms:*", Resource: "*" }));
      const { CiphertextBlob } = await encrypt(kms(user.credentials), key.KeyId);
      await expectAwsError(
        kms(user.credentials).send(new DecryptCommand({ CiphertextBlob })),
        "AccessDeniedException",
        explicitlyDenied(user.arn, "kms:Decrypt", key.Arn, "an identity-based policy"),
      );
    });

    void it("denies an IAM-allowed user when the key policy does not delegate to the account", async () => {
      const admin = await newUser("keyadmin");
      const user = await newUser("iamonly", policy(allow("kms:*")));
      const key = await keyWithPolicy(policy({ Effect: "Allow", Principal: { AWS: admin.arn }, Action: "kms:*", Resource: "*" }), undefined, {
        BypassPolicyLockoutSafetyCheck: true,
      });
      await expectAwsError(encrypt(kms(user.credentials), key.KeyId), "AccessDeniedException", notAllowed(user.arn, "kms:Encrypt", key.Arn, "resource-based policy"));
      // Not even the account's root: the key policy alone decides.
      await expectAwsError(encrypt(kms(), key.KeyId), "AccessDeniedException", notAllowed(`arn:aws:iam::${kmsd.accountId}:root`, "kms:Encrypt", key.Arn, "resource-based policy"));
      // The user the key policy names needs no identity policy.
      await encrypt(kms(admin.credentials), key.KeyId);
    });

    void it("allows a user the key policy names without any identity policy", async () => {
      const user = await newUser("named");
      const key = await keyWithPolicy(
        policy(rootStatement(kmsd.accountId), { Effect: "Allow", Principal: { AWS: user.arn }, Action: ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"], Resource: "*" }),
      );
      const { CiphertextBlob } = await encrypt(kms(user.credentials), key.KeyId);
      await kms(user.credentials).send(new DecryptCommand({ CiphertextBlob }));
      const { KeyMetadata } = await kms(user.credentials).send(new DescribeKeyCommand({ KeyId: key.KeyId }));
      assert.equal(KeyMetadata?.Arn, key.Arn);
      await expectAwsError(
        kms(user.credentials).send(new DisableKeyCommand({ KeyId: key.KeyId })),
        "AccessDeniedException",
        notAllowed(user.arn, "kms:DisableKey", key.Arn, "identity-based policy"),
      );
    });

    void it("lets a group's policy allow its members", async () => {
      const user = await newUser("member");
      const key = await keyWithPolicy(undefined);
      await iam().send(new CreateGroupCommand({ GroupName: "encryptors" }));
      await iam().send(new PutGroupPolicyCommand({ GroupName: "encryptors", PolicyName: "enc", PolicyDocument: policy(allow("kms:Encrypt")) }));
      await expectAwsError(encrypt(kms(user.credentials), key.KeyId), "AccessDeniedException");
      await iam().send(new AddUserToGroupCommand({ GroupName: "encryptors", UserName: user.name }));
      await encrypt(kms(user.credentials), key.KeyId);
    });
  });

  void describe("operations that are not about one key", () => {
    void it("authorizes IAM-only operations (CreateKey, ListKeys, ListAliases, GenerateRandom) by identity policies alone", async () => {
      const user = await newUser("iam-only");
      const calls: [string, () => Promise<unknown>][] = [
        ["kms:CreateKey", () => kms(user.credentials).send(new CreateKeyCommand({}))],
        ["kms:ListKeys", () => kms(user.credentials).send(new ListKeysCommand({}))],
        ["kms:ListAliases", () => kms(user.credentials).send(new ListAliasesCommand({}))],
        ["kms:GenerateRandom", () => kms(user.credentials).send(new GenerateRandomCommand({ NumberOfBytes: 16 }))],
      ];
      for (const [action, call] of calls) await expectAwsError(call(), "AccessDeniedException", notAllowed(user.arn, action, "*", "identity-based policy"));
      await iam().send(new PutUserPolicyCommand({ UserName: user.name, PolicyName: "iam-only", PolicyDocument: policy(allow(calls.map(([action]) => action))) }));
      for (const [, call] of calls) await call();
    });

    void it("needs permission on the alias and on each key for alias operations", async () => {
      const first = await keyWithPolicy(undefined);
      const second = await keyWithPolicy(undefined);
      const alias = uniqueAlias("perm");
      const aliasArn = `arn:aws:kms:us-east-1:${kmsd.accountId}:${alias}`;
      const onAliasOnly = await newUser("alias-only", policy(allow(["kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias"], aliasArn)));
      await expectAwsError(
        kms(onAliasOnly.credentials).send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: first.KeyId })),
        "AccessDeniedException",
        notAllowed(onAliasOnly.arn, "kms:CreateAlias", first.Arn, "identity-based policy"),
      );
      const onKeyOnly = await newUser("key-only", policy(allow("kms:CreateAlias", first.Arn)));
      await expectAwsError(
        kms(onKeyOnly.credentials).send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: first.KeyId })),
        "AccessDeniedException",
        notAllowed(onKeyOnly.arn, "kms:CreateAlias", aliasArn, "identity-based policy"),
      );
      const both = await newUser("alias-and-key", policy(allow(["kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias"], [aliasArn, first.Arn])));
      await kms(both.credentials).send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: first.KeyId }));
      // UpdateAlias: the alias, the current key and the new key.
      await expectAwsError(
        kms(both.credentials).send(new UpdateAliasCommand({ AliasName: alias, TargetKeyId: second.KeyId })),
        "AccessDeniedException",
        notAllowed(both.arn, "kms:UpdateAlias", second.Arn, "identity-based policy"),
      );
      await iam().send(new PutUserPolicyCommand({ UserName: both.name, PolicyName: "inline", PolicyDocument: policy(allow(["kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias"], [aliasArn, first.Arn, second.Arn])) }));
      await kms(both.credentials).send(new UpdateAliasCommand({ AliasName: alias, TargetKeyId: second.KeyId }));
      await expectAwsError(
        kms(onAliasOnly.credentials).send(new DeleteAliasCommand({ AliasName: alias })),
        "AccessDeniedException",
        notAllowed(onAliasOnly.arn, "kms:DeleteAlias", second.Arn, "identity-based policy"),
      );
      await kms(both.credentials).send(new DeleteAliasCommand({ AliasName: alias }));
    });

    void it("applies NotAction and NotResource in identity policies, and NotPrincipal in key policies", async () => {
      const key = await keyWithPolicy(undefined);
      const other = await keyWithPolicy(undefined);
      const user = await newUser("not-elements", policy(allow("*", "*", { Action: undefined, NotAction: ["kms:Decrypt", "iam:*"] }), deny("kms:Encrypt", "*", { Resource: undefined, NotResource: key.Arn })));
      const { CiphertextBlob } = await encrypt(kms(user.credentials), key.KeyId);
      await expectAwsError(kms(user.credentials).send(new DecryptCommand({ CiphertextBlob })), "AccessDeniedException", notAllowed(user.arn, "kms:Decrypt", key.Arn, "identity-based policy"));
      await expectAwsError(encrypt(kms(user.credentials), other.KeyId), "AccessDeniedException", explicitlyDenied(user.arn, "kms:Encrypt", other.Arn, "an identity-based policy"));
      // A Deny with NotPrincipal applies to everyone but the principals it names (with their account).
      const keeper = await newUser("keeper", policy(allow("kms:*")));
      const guarded = await keyWithPolicy(
        policy(rootStatement(kmsd.accountId), { Effect: "Deny", NotPrincipal: { AWS: [keeper.arn, `arn:aws:iam::${kmsd.accountId}:root`] }, Action: "kms:Encrypt", Resource: "*" }),
      );
      await encrypt(kms(keeper.credentials), guarded.KeyId);
      await encrypt(kms(), guarded.KeyId);
      await expectAwsError(encrypt(kms(user.credentials), guarded.KeyId), "AccessDeniedException", explicitlyDenied(user.arn, "kms:Encrypt", guarded.Arn, "a resource-based policy"));
    });
  });

  void describe("across accounts", () => {
    void it("needs both the key policy of A and the identity policy of B", async () => {
      const bAccount = accountB.AccountId;
      const withPolicy = await newUser("b-allowed", policy(allow(["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"])), rootB());
      const withoutPolicy = await newUser("b-bare", undefined, rootB());
      const trustingB = await keyWithPolicy(
        policy(rootStatement(kmsd.accountId), { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${bAccount}:root` }, Action: ["kms:Encrypt", "kms:Decrypt", "kms:DescribeKey", "kms:DisableKey", "kms:ScheduleKeyDeletion"], Resource: "*" }),
      );
      const notTrustingB = await keyWithPolicy(undefined);

      // Both sides: allowed.
      const { CiphertextBlob } = await encrypt(kms(withPolicy.credentials), trustingB.Arn);
      // Only A's key policy: B's identity policies must allow too.
      await expectAwsError(
        encrypt(kms(withoutPolicy.credentials), trustingB.Arn),
        "AccessDeniedException",
        notAllowed(withoutPolicy.arn, "kms:Encrypt", trustingB.Arn, "identity-based policy"),
      );
      // Only B's identity policy: A's key policy must name B.
      await expectAwsError(
        encrypt(kms(withPolicy.credentials), notTrustingB.Arn),
        "AccessDeniedException",
        notAllowed(withPolicy.arn, "kms:Encrypt", notTrustingB.Arn, "resource-based policy"),
      );
      // B decrypts ciphertext made under A's key.
      const { Plaintext, KeyId } = await kms(withPolicy.credentials).send(new DecryptCommand({ CiphertextBlob }));
      assert.deepEqual(bytes(Plaintext), PLAINTEXT);
      assert.equal(KeyId, trustingB.Arn);
      // A's own ciphertext too.
      const fromA = await encrypt(kms(), trustingB.KeyId);
      assert.deepEqual(bytes((await kms(withPolicy.credentials).send(new DecryptCommand({ CiphertextBlob: fromA.CiphertextBlob }))).Plaintext), PLAINTEXT);
      // B's root has every permission in B: A's key policy suffices.
      await encrypt(kms(rootB()), trustingB.Arn);
      // A key id (not an ARN) is looked up in the caller's own account.
      await expectAwsError(encrypt(kms(withPolicy.credentials), trustingB.KeyId), "NotFoundException");
    });

    void it("allows a B user that A's key policy names, when B's identity policy allows too", async () => {
      const user = await newUser("b-named", undefined, rootB());
      const key = await keyWithPolicy(policy(rootStatement(kmsd.accountId), { Effect: "Allow", Principal: { AWS: user.arn }, Action: "kms:Encrypt", Resource: "*" }));
      await expectAwsError(encrypt(kms(user.credentials), key.Arn), "AccessDeniedException", notAllowed(user.arn, "kms:Encrypt", key.Arn, "identity-based policy"));
      await iam(rootB()).send(new PutUserPolicyCommand({ UserName: user.name, PolicyName: "use-a", PolicyDocument: policy(allow("kms:Encrypt", key.Arn)) }));
      await encrypt(kms(user.credentials), key.Arn);
      // Another B user is not named.
      const other = await newUser("b-other", policy(allow("kms:Encrypt")), rootB());
      await expectAwsError(encrypt(kms(other.credentials), key.Arn), "AccessDeniedException", notAllowed(other.arn, "kms:Encrypt", key.Arn, "resource-based policy"));
    });

    void it("refuses operations AWS does not allow across accounts, whatever the policies say", async () => {
      const user = await newUser("b-admin", policy(allow("kms:*")), rootB());
      const key = await keyWithPolicy(policy(rootStatement(kmsd.accountId), { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${accountB.AccountId}:root` }, Action: "kms:*", Resource: "*" }));
      for (const client of [kms(user.credentials), kms(rootB())]) {
        await expectAwsError(client.send(new DisableKeyCommand({ KeyId: key.Arn })), "AccessDeniedException");
        await expectAwsError(client.send(new ScheduleKeyDeletionCommand({ KeyId: key.Arn, PendingWindowInDays: 7 })), "AccessDeniedException");
        await expectAwsError(client.send(new GetKeyPolicyCommand({ KeyId: key.Arn })), "AccessDeniedException");
        await expectAwsError(
          client.send(new PutKeyPolicyCommand({ KeyId: key.Arn, Policy: policy(rootStatement(accountB.AccountId)), BypassPolicyLockoutSafetyCheck: true })),
          "AccessDeniedException",
        );
        // Whereas the cross-account operations work.
        await client.send(new DescribeKeyCommand({ KeyId: key.Arn }));
      }
      const { KeyMetadata } = await kms().send(new DescribeKeyCommand({ KeyId: key.KeyId }));
      assert.equal(KeyMetadata?.KeyState, "Enabled");
    });
  });

  void describe("roles and sessions", () => {
    const trust = (principals: string | string[]) => policy({ Effect: "Allow", Principal: { AWS: principals }, Action: "sts:AssumeRole" });

    async function assume(credentials: Creds, roleArn: string, sessionPolicy?: string): Promise<Creds> {
      const { Credentials: c } = await sts(credentials).send(
        new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: "s1", ...(sessionPolicy ? { Policy: sessionPolicy } : {}) }),
      );
      assert.ok(c?.AccessKeyId && c.SecretAccessKey && c.SessionToken);
      return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
    }

    void it("gives a session its role's permissions, narrowed by the session policy", async () => {
      const user = await newUser("assumer");
      const roleName = identities.uniqueName("worker");
      const { Role: role } = await iam().send(new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: trust(user.arn) }));
      assert.ok(role?.Arn);
      await iam().send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: "kms", PolicyDocument: policy(allow(["kms:Encrypt", "kms:Decrypt"])) }));
      const key = await keyWithPolicy(undefined);
      const sessionArn = `arn:aws:sts::${kmsd.accountId}:assumed-role/${roleName}/s1`;

      // No session policy: the role's permissions.
      const full = await assume(user.credentials, role.Arn);
      const { CiphertextBlob } = await encrypt(kms(full), key.KeyId);
      await kms(full).send(new DecryptCommand({ CiphertextBlob }));
      await expectAwsError(
        kms(full).send(new GenerateDataKeyCommand({ KeyId: key.KeyId, KeySpec: "AES_256" })),
        "AccessDeniedException",
        notAllowed(sessionArn, "kms:GenerateDataKey", key.Arn, "identity-based policy"),
      );

      // A session policy narrows them: what both allow.
      const narrowed = await assume(user.credentials, role.Arn, policy(allow(["kms:Encrypt", "kms:GenerateDataKey"])));
      await encrypt(kms(narrowed), key.KeyId);
      await expectAwsError(kms(narrowed).send(new DecryptCommand({ CiphertextBlob })), "AccessDeniedException", notAllowed(sessionArn, "kms:Decrypt", key.Arn, "session policy"));
      // ... and never widens them.
      await expectAwsError(
        kms(narrowed).send(new GenerateDataKeyCommand({ KeyId: key.KeyId, KeySpec: "AES_256" })),
        "AccessDeniedException",
        notAllowed(sessionArn, "kms:GenerateDataKey", key.Arn, "identity-based policy"),
      );
      // A Deny in the session policy is an explicit deny.
      const denying = await assume(user.credentials, role.Arn, policy(allow("kms:*"), deny("kms:Encrypt")));
      await expectAwsError(encrypt(kms(denying), key.KeyId), "AccessDeniedException", explicitlyDenied(sessionArn, "kms:Encrypt", key.Arn, "a session policy"));

      // A key policy naming the role allows its sessions without identity policy, still narrowed by the session policy.
      const roleKey = await keyWithPolicy(policy(rootStatement(kmsd.accountId), { Effect: "Allow", Principal: { AWS: role.Arn }, Action: ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"], Resource: "*" }));
      await kms(full).send(new GenerateDataKeyCommand({ KeyId: roleKey.KeyId, KeySpec: "AES_256" }));
      await kms(narrowed).send(new GenerateDataKeyCommand({ KeyId: roleKey.KeyId, KeySpec: "AES_256" }));
      const roleCiphertext = await encrypt(kms(full), roleKey.KeyId);
      await expectAwsError(kms(narrowed).send(new DecryptCommand({ CiphertextBlob: roleCiphertext.CiphertextBlob })), "AccessDeniedException");
    });

    void it("evaluates trust policies: naming the user, naming the account with an identity policy, or refusing", async () => {
      const user = await newUser("trusting");
      const stranger = await newUser("stranger");
      const roleFor = async (principals: string) => {
        const name = identities.uniqueName("trust");
        const { Role: role } = await iam().send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: trust(principals) }));
        assert.ok(role?.Arn);
        return role.Arn;
      };
      const namingUser = await roleFor(user.arn);
      const namingAccount = await roleFor(kmsd.accountId);
      const namingB = await roleFor(`arn:aws:iam::${accountB.AccountId}:root`);
      const bare = (principal: string, roleArn: string) => `User: ${principal} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`;

      await assume(user.credentials, namingUser);
      await expectAwsError(assume(stranger.credentials, namingUser), "AccessDenied", bare(stranger.arn, namingUser));
      // Naming the account delegates to the caller's identity policies.
      await expectAwsError(assume(user.credentials, namingAccount), "AccessDenied", notAllowed(user.arn, "sts:AssumeRole", namingAccount, "identity-based policy"));
      await iam().send(new PutUserPolicyCommand({ UserName: user.name, PolicyName: "assume", PolicyDocument: policy(allow("sts:AssumeRole", namingAccount)) }));
      await assume(user.credentials, namingAccount);
      // A role trusting another account does not let this one in.
      await expectAwsError(assume(user.credentials, namingB), "AccessDenied", bare(user.arn, namingB));
      // A B user trusted by the role needs B's identity policy too.
      const bUser = await newUser("b-assumer", undefined, rootB());
      await expectAwsError(assume(bUser.credentials, namingB), "AccessDenied", notAllowed(bUser.arn, "sts:AssumeRole", namingB, "identity-based policy"));
      await iam(rootB()).send(new PutUserPolicyCommand({ UserName: bUser.name, PolicyName: "assume", PolicyDocument: policy(allow("sts:AssumeRole")) }));
      await assume(bUser.credentials, namingB);
    });
  });

  void describe("condition keys", () => {
    /** What a call in a condition case gets. */
    interface CallContext {
      user: KMSClient;
      /** The same user, claiming to call through EC2 (kms:ViaService). */
      viaEc2: KMSClient;
      key: CreatedKey;
      alias: string;
    }
    type Call = (c: CallContext) => Promise<unknown>;
    interface ConditionCase {
      name: string;
      /** The Condition of the key policy statement that names the user. */
      condition: Record<string, Record<string, unknown>>;
      keyInput?: CreateKeyCommandInput;
      /** The statement's actions (default: kms:Encrypt and kms:Sign). */
      actions?: string[];
      allowed: Call[];
      denied: Call[];
    }
    const enc = (context?: Record<string, string>, algorithm?: EncryptionAlgorithmSpec): Call =>
      ({ user, key }) =>
        user.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: PLAINTEXT, ...(context ? { EncryptionContext: context } : {}), ...(algorithm ? { EncryptionAlgorithm: algorithm } : {}) }));
    const sign = (algorithm: "RSASSA_PSS_SHA_256" | "RSASSA_PKCS1_V1_5_SHA_256"): Call =>
      ({ user, key }) => user.send(new SignCommand({ KeyId: key.KeyId, Message: PLAINTEXT, SigningAlgorithm: algorithm }));

    const mac = (): Call =>
      ({ user, key }) => user.send(new GenerateMacCommand({ KeyId: key.KeyId, Message: PLAINTEXT, MacAlgorithm: "HMAC_SHA_256" }));
    const wrapping = (algorithm: "RSAES_OAEP_SHA_256" | "RSA_AES_KEY_WRAP_SHA_256", spec: "RSA_2048" | "RSA_3072"): Call =>
      ({ user, key }) => user.send(new GetParametersForImportCommand({ KeyId: key.KeyId, WrappingAlgorithm: algorithm, WrappingKeySpec: spec }));

    const cases: ConditionCase[] = [
      {
        name: "kms:EncryptionContext:<key> with StringEquals",
        condition: { StringEquals: { "kms:EncryptionContext:purpose": "backup" } },
        allowed: [enc({ purpose: "backup" }), enc({ purpose: "backup", extra: "x" })],
        denied: [enc({ purpose: "Backup" }), enc({ other: "backup" }), enc()],
      },
      {
        name: "kms:EncryptionContextKeys with ForAllValues (an empty context passes, as in AWS)",
        condition: { "ForAllValues:StringEquals": { "kms:EncryptionContextKeys": ["app", "env"] } },
        allowed: [enc({ app: "a" }), enc({ app: "a", env: "prod" }), enc()],
        denied: [enc({ app: "a", user: "u" }), enc({ user: "u" })],
      },
      {
        name: "kms:EncryptionContextKeys with ForAnyValue",
        condition: { "ForAnyValue:StringEquals": { "kms:EncryptionContextKeys": ["app"] } },
        allowed: [enc({ app: "a", user: "u" }), enc({ app: "a" })],
        denied: [enc({ user: "u" }), enc()],
      },
      {
        name: "kms:EncryptionContext:<key> with StringEqualsIfExists",
        condition: { StringEqualsIfExists: { "kms:EncryptionContext:dept": "eng" } },
        allowed: [enc(), enc({ dept: "eng" }), enc({ team: "x" })],
        denied: [enc({ dept: "ops" })],
      },
      {
        name: "kms:ViaService",
        condition: { StringEquals: { "kms:ViaService": "ec2.us-east-1.amazonaws.com" } },
        allowed: [({ viaEc2, key }) => viaEc2.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: PLAINTEXT }))],
        denied: [enc()],
      },
      {
        name: "kms:EncryptionAlgorithm on a symmetric key (the default counts as SYMMETRIC_DEFAULT)",
        condition: { StringEquals: { "kms:EncryptionAlgorithm": "SYMMETRIC_DEFAULT" } },
        allowed: [enc(undefined, "SYMMETRIC_DEFAULT"), enc()],
        denied: [],
      },
      {
        name: "kms:EncryptionAlgorithm on an RSA key",
        condition: { StringEquals: { "kms:EncryptionAlgorithm": "RSAES_OAEP_SHA_256" } },
        keyInput: { KeySpec: "RSA_2048", KeyUsage: "ENCRYPT_DECRYPT" },
        allowed: [enc(undefined, "RSAES_OAEP_SHA_256")],
        denied: [enc(undefined, "RSAES_OAEP_SHA_1")],
      },
      {
        name: "kms:SigningAlgorithm",
        condition: { StringEquals: { "kms:SigningAlgorithm": "RSASSA_PSS_SHA_256" } },
        keyInput: { KeySpec: "RSA_2048", KeyUsage: "SIGN_VERIFY" },
        allowed: [sign("RSASSA_PSS_SHA_256")],
        denied: [sign("RSASSA_PKCS1_V1_5_SHA_256")],
      },
      {
        name: "kms:MessageType (a request without it is RAW)",
        condition: { StringEquals: { "kms:MessageType": "RAW" } },
        keyInput: { KeySpec: "RSA_2048", KeyUsage: "SIGN_VERIFY" },
        allowed: [sign("RSASSA_PSS_SHA_256")],
        denied: [({ user, key }) => user.send(new SignCommand({ KeyId: key.KeyId, Message: Buffer.alloc(32, 7), MessageType: "DIGEST", SigningAlgorithm: "RSASSA_PSS_SHA_256" }))],
      },
      {
        name: "kms:RequestAlias (alias name or alias ARN, not the key id)",
        condition: { StringEquals: { "kms:RequestAlias": "ALIAS" } },
        allowed: [
          ({ user, alias }) => user.send(new EncryptCommand({ KeyId: alias, Plaintext: PLAINTEXT })),
          ({ user, alias, key }) => user.send(new EncryptCommand({ KeyId: key.Arn.replace(/key\/.*$/, alias), Plaintext: PLAINTEXT })),
        ],
        denied: [enc(), ({ user, key }) => user.send(new EncryptCommand({ KeyId: key.Arn, Plaintext: PLAINTEXT }))],
      },
      {
        name: "aws:SourceIp with IpAddress (loopback)",
        condition: { IpAddress: { "aws:SourceIp": ["127.0.0.0/8", "::1/128"] } },
        allowed: [enc()],
        denied: [],
      },
      {
        name: "aws:SourceIp with IpAddress (another network)",
        condition: { IpAddress: { "aws:SourceIp": "203.0.113.0/24" } },
        allowed: [],
        denied: [enc()],
      },
      {
        name: "aws:ResourceTag/<key> in a key policy",
        condition: { StringEquals: { "aws:ResourceTag/env": "prod" } },
        keyInput: { Tags: [{ TagKey: "env", TagValue: "prod" }] },
        allowed: [enc()],
        denied: [],
      },
      {
        name: "aws:ResourceTag/<key> in a key policy (tag absent)",
        condition: { StringEquals: { "aws:ResourceTag/env": "prod" } },
        allowed: [],
        denied: [enc()],
      },
      {
        name: "kms:MacAlgorithm",
        condition: { StringEquals: { "kms:MacAlgorithm": "HMAC_SHA_256" } },
        keyInput: { KeySpec: "HMAC_256", KeyUsage: "GENERATE_VERIFY_MAC" },
        actions: ["kms:GenerateMac"],
        allowed: [mac()],
        denied: [],
      },
      {
        name: "kms:MacAlgorithm (another algorithm named)",
        condition: { StringEquals: { "kms:MacAlgorithm": "HMAC_SHA_512" } },
        keyInput: { KeySpec: "HMAC_256", KeyUsage: "GENERATE_VERIFY_MAC" },
        actions: ["kms:GenerateMac"],
        allowed: [],
        denied: [mac()],
      },
      {
        name: "kms:WrappingAlgorithm and kms:WrappingKeySpec",
        condition: { StringEquals: { "kms:WrappingAlgorithm": "RSAES_OAEP_SHA_256", "kms:WrappingKeySpec": "RSA_3072" } },
        keyInput: { Origin: "EXTERNAL" },
        actions: ["kms:GetParametersForImport"],
        allowed: [wrapping("RSAES_OAEP_SHA_256", "RSA_3072")],
        denied: [wrapping("RSA_AES_KEY_WRAP_SHA_256", "RSA_3072"), wrapping("RSAES_OAEP_SHA_256", "RSA_2048")],
      },
      {
        name: "kms:DataKeyPairSpec",
        condition: { StringEquals: { "kms:DataKeyPairSpec": "ECC_NIST_P256" } },
        actions: ["kms:GenerateDataKeyPair"],
        allowed: [({ user, key }) => user.send(new GenerateDataKeyPairCommand({ KeyId: key.KeyId, KeyPairSpec: "ECC_NIST_P256" }))],
        denied: [({ user, key }) => user.send(new GenerateDataKeyPairCommand({ KeyId: key.KeyId, KeyPairSpec: "ECC_NIST_P384" }))],
      },
      {
        name: "aws:SecureTransport (plain HTTP)",
        condition: { Bool: { "aws:SecureTransport": "true" } },
        allowed: [],
        denied: [enc()],
      },
    ];

    for (const c of cases) {
      void it(c.name, async () => {
        const user = await newUser("cond");
        const alias = uniqueAlias("cond");
        const statement = { Effect: "Allow", Principal: { AWS: user.arn }, Action: c.actions ?? ["kms:Encrypt", "kms:Sign"], Resource: "*", Condition: c.condition };
        const key = await keyWithPolicy(policy(rootStatement(kmsd.accountId), statement).replace('"ALIAS"', JSON.stringify(alias)), undefined, c.keyInput);
        await kms().send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: key.KeyId }));
        const context: CallContext = { user: kms(user.credentials), viaEc2: kms(user.credentials, "ec2.us-east-1.amazonaws.com"), key, alias };
        for (const [i, call] of c.allowed.entries()) {
          await assert.doesNotReject(call(context), `allowed call #${i} was refused`);
        }
        for (const [i, call] of c.denied.entries()) {
          await expectAwsError(call(context), "AccessDeniedException").catch((error: unknown) => {
            throw new Error(`denied call #${i}: ${String(error)}`);
          });
        }
      });
    }

    void it("kms:CallerAccount and aws:PrincipalArn with Principal \"*\"", async () => {
      const alice = await newUser("star-alice");
      const bob = await newUser("star-bob");
      const bUser = await newUser("star-b", policy(allow("kms:*")), rootB());
      const byAccount = await keyWithPolicy(
        policy(rootStatement(kmsd.accountId), { Effect: "Allow", Principal: { AWS: "*" }, Action: "kms:Encrypt", Resource: "*", Condition: { StringEquals: { "kms:CallerAccount": kmsd.accountId } } }),
      );
      await encrypt(kms(alice.credentials), byAccount.KeyId);
      await encrypt(kms(bob.credentials), byAccount.KeyId);
      await expectAwsError(encrypt(kms(bUser.credentials), byAccount.Arn), "AccessDeniedException", notAllowed(bUser.arn, "kms:Encrypt", byAccount.Arn, "resource-based policy"));

      const byArn = await keyWithPolicy(
        policy(rootStatement(kmsd.accountId), { Effect: "Allow", Principal: "*", Action: "kms:Encrypt", Resource: "*", Condition: { ArnEquals: { "aws:PrincipalArn": alice.arn } } }),
      );
      await encrypt(kms(alice.credentials), byArn.KeyId);
      await expectAwsError(encrypt(kms(bob.credentials), byArn.KeyId), "AccessDeniedException", notAllowed(bob.arn, "kms:Encrypt", byArn.Arn, "identity-based policy"));

      // A role session's aws:PrincipalArn is its role's ARN.
      const roleName = identities.uniqueName("star-role");
      const { Role: role } = await iam().send(
        new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: alice.arn }, Action: "sts:AssumeRole" }] }) }),
      );
      assert.ok(role?.Arn);
      const byRole = await keyWithPolicy(
        policy(rootStatement(kmsd.accountId), { Effect: "Allow", Principal: "*", Action: "kms:Encrypt", Resource: "*", Condition: { ArnLike: { "aws:PrincipalArn": `arn:aws:iam::${kmsd.accountId}:role/star-*` } } }),
      );
      const { Credentials: c } = await sts(alice.credentials).send(new AssumeRoleCommand({ RoleArn: role.Arn, RoleSessionName: "s1" }));
      assert.ok(c?.AccessKeyId && c.SecretAccessKey && c.SessionToken);
      await encrypt(kms({ accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken }), byRole.KeyId);
      await expectAwsError(encrypt(kms(alice.credentials), byRole.KeyId), "AccessDeniedException");
    });

    void it("kms:GrantIsForAWSResource: true only when an integrated service calls", async () => {
      const user = await newUser("attach");
      const grantee = await newUser("attach-grantee");
      const key = await keyWithPolicy(
        policy(rootStatement(kmsd.accountId), {
          Sid: "Allow attachment of persistent resources",
          Effect: "Allow",
          Principal: { AWS: user.arn },
          Action: ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
          Resource: "*",
          Condition: { Bool: { "kms:GrantIsForAWSResource": "true" } },
        }),
      );
      const input = { KeyId: key.KeyId, GranteePrincipal: grantee.arn, Operations: ["Decrypt" as const] };
      await expectAwsError(kms(user.credentials).send(new CreateGrantCommand(input)), "AccessDeniedException");
      await kms(user.credentials, "ebs.us-east-1.amazonaws.com").send(new CreateGrantCommand(input));
      await kms(user.credentials, "ebs.us-east-1.amazonaws.com").send(new ListGrantsCommand({ KeyId: key.KeyId }));
      await expectAwsError(kms(user.credentials).send(new ListGrantsCommand({ KeyId: key.KeyId })), "AccessDeniedException");
    });

    void it("aws:ResourceTag/<key> in an identity policy (ABAC)", async () => {
      const user = await newUser("abac", policy(allow("kms:Encrypt", "*", { Condition: { StringEquals: { "aws:ResourceTag/team": "blue" } } })));
      const blue = await keyWithPolicy(undefined, undefined, { Tags: [{ TagKey: "team", TagValue: "blue" }] });
      const red = await keyWithPolicy(undefined, undefined, { Tags: [{ TagKey: "team", TagValue: "red" }] });
      await encrypt(kms(user.credentials), blue.KeyId);
      await expectAwsError(encrypt(kms(user.credentials), red.KeyId), "AccessDeniedException", notAllowed(user.arn, "kms:Encrypt", red.Arn, "identity-based policy"));
    });

    void it("aws:RequestTag/<key> and aws:TagKeys on CreateKey", async () => {
      const tagged = { Condition: { StringEquals: { "aws:RequestTag/team": "blue" }, "ForAllValues:StringEquals": { "aws:TagKeys": ["team"] } } };
      const user = await newUser("tagger", policy(allow(["kms:CreateKey", "kms:TagResource"], "*", tagged)));
      const created = await kms(user.credentials).send(new CreateKeyCommand({ Tags: [{ TagKey: "team", TagValue: "blue" }] }));
      assert.ok(created.KeyMetadata?.KeyId);
      await expectAwsError(
        kms(user.credentials).send(new CreateKeyCommand({ Tags: [{ TagKey: "team", TagValue: "red" }] })),
        "AccessDeniedException",
        notAllowed(user.arn, "kms:CreateKey", "*", "identity-based policy"),
      );
      await expectAwsError(kms(user.credentials).send(new CreateKeyCommand({ Tags: [{ TagKey: "team", TagValue: "blue" }, { TagKey: "cost", TagValue: "1" }] })), "AccessDeniedException");
      await expectAwsError(kms(user.credentials).send(new CreateKeyCommand({})), "AccessDeniedException");
      // kms:TagResource is needed too when the request has tags.
      const noTagging = await newUser("tagger2", policy(allow("kms:CreateKey")));
      await kms(noTagging.credentials).send(new CreateKeyCommand({}));
      await expectAwsError(
        kms(noTagging.credentials).send(new CreateKeyCommand({ Tags: [{ TagKey: "team", TagValue: "blue" }] })),
        "AccessDeniedException",
        notAllowed(noTagging.arn, "kms:TagResource", "*", "identity-based policy"),
      );
    });

    void it("kms:KeySpec on CreateKey (the default counts as SYMMETRIC_DEFAULT)", async () => {
      const user = await newUser("keyspec", policy(allow("kms:CreateKey", "*", { Condition: { StringEquals: { "kms:KeySpec": "SYMMETRIC_DEFAULT" } } })));
      await kms(user.credentials).send(new CreateKeyCommand({}));
      await kms(user.credentials).send(new CreateKeyCommand({ KeySpec: "SYMMETRIC_DEFAULT" }));
      await expectAwsError(kms(user.credentials).send(new CreateKeyCommand({ KeySpec: "HMAC_256", KeyUsage: "GENERATE_VERIFY_MAC" })), "AccessDeniedException");
    });

    void it("the policy variable ${aws:username}", async () => {
      const group = identities.uniqueName("owners");
      await iam().send(new CreateGroupCommand({ GroupName: group }));
      await iam().send(
        new PutGroupPolicyCommand({
          GroupName: group,
          PolicyName: "own-context",
          PolicyDocument: policy(allow("kms:Encrypt", "*", { Condition: { StringEquals: { "kms:EncryptionContext:owner": "${aws:username}" } } })),
        }),
      );
      const alice = await newUser("var-alice");
      const bob = await newUser("var-bob");
      for (const user of [alice, bob]) await iam().send(new AddUserToGroupCommand({ GroupName: group, UserName: user.name }));
      const key = await keyWithPolicy(undefined);
      await encrypt(kms(alice.credentials), key.KeyId, { owner: alice.name });
      await encrypt(kms(bob.credentials), key.KeyId, { owner: bob.name });
      await expectAwsError(encrypt(kms(alice.credentials), key.KeyId, { owner: bob.name }), "AccessDeniedException");
      await expectAwsError(encrypt(kms(alice.credentials), key.KeyId), "AccessDeniedException");
      // In a Resource element too.
      const own = await newUser("var-res");
      await iam().send(new PutUserPolicyCommand({ UserName: own.name, PolicyName: "self", PolicyDocument: policy(allow("iam:GetUser", `arn:aws:iam::${kmsd.accountId}:user/\${aws:username}`)) }));
      await iam(own.credentials).send(new GetUserCommand({ UserName: own.name }));
      await expectAwsError(iam(own.credentials).send(new GetUserCommand({ UserName: alice.name })), "AccessDenied");
    });
  });

  void describe("conditions that cannot be evaluated", () => {
    void it("never allow, and always let a Deny apply (${aws:username} for a role session)", async () => {
      const user = await newUser("owner", policy(allow(["kms:Encrypt", "sts:AssumeRole"])));
      const roleName = identities.uniqueName("no-username");
      const { Role: role } = await iam().send(
        new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: user.arn }, Action: "sts:AssumeRole" }] }) }),
      );
      assert.ok(role?.Arn);
      await iam().send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: "kms", PolicyDocument: policy(allow("kms:Encrypt")) }));
      const key = await keyWithPolicy(
        policy(rootStatement(kmsd.accountId), {
          Effect: "Deny",
          Principal: { AWS: "*" },
          Action: "kms:Encrypt",
          Resource: "*",
          Condition: { StringNotEquals: { "kms:EncryptionContext:owner": "${aws:username}" } },
        }),
      );
      await encrypt(kms(user.credentials), key.KeyId, { owner: user.name });
      await expectAwsError(encrypt(kms(user.credentials), key.KeyId, { owner: "someone-else" }), "AccessDeniedException", explicitlyDenied(user.arn, "kms:Encrypt", key.Arn, "a resource-based policy"));
      const { Credentials: c } = await sts(user.credentials).send(new AssumeRoleCommand({ RoleArn: role.Arn, RoleSessionName: user.name }));
      assert.ok(c?.AccessKeyId && c.SecretAccessKey && c.SessionToken);
      const session = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
      // A session has no aws:username: the Deny applies whatever the context.
      await expectAwsError(encrypt(kms(session), key.KeyId, { owner: user.name }), "AccessDeniedException", /with an explicit deny in a resource-based policy$/);
      // The same condition in an Allow never allows.
      const allowKey = await keyWithPolicy(
        policy(rootStatement(kmsd.accountId), { Effect: "Allow", Principal: { AWS: role.Arn }, Action: "kms:Decrypt", Resource: "*", Condition: { StringEquals: { "kms:EncryptionContext:owner": "${aws:username}" } } }),
      );
      const { CiphertextBlob } = await encrypt(kms(), allowKey.KeyId, { owner: user.name });
      await expectAwsError(kms(session).send(new DecryptCommand({ CiphertextBlob, EncryptionContext: { owner: user.name } })), "AccessDeniedException");
    });
  });

  void describe("key policies", () => {
    void it("stores CreateKey's Policy; GetKeyPolicy returns it and ListKeyPolicies names only \"default\"", async () => {
      const document = policy(rootStatement(kmsd.accountId), { Sid: "Readers may describe", Effect: "Allow", Principal: { AWS: kmsd.accountId }, Action: "kms:DescribeKey", Resource: "*" });
      const key = await keyWithPolicy(document);
      const got = await kms().send(new GetKeyPolicyCommand({ KeyId: key.KeyId }));
      assert.equal(got.Policy, document);
      assert.equal(got.PolicyName, "default");
      const listed = await kms().send(new ListKeyPoliciesCommand({ KeyId: key.KeyId }));
      assert.deepEqual([listed.PolicyNames, listed.Truncated], [["default"], false]);
      await expectAwsError(kms().send(new GetKeyPolicyCommand({ KeyId: key.KeyId, PolicyName: "other" })), "NotFoundException");

      const replacement = policy(rootStatement(kmsd.accountId));
      await kms().send(new PutKeyPolicyCommand({ KeyId: key.KeyId, Policy: replacement }));
      assert.equal((await kms().send(new GetKeyPolicyCommand({ KeyId: key.KeyId, PolicyName: "default" }))).Policy, replacement);
    });

    void it("gives a key without a Policy the default policy, which delegates to IAM", async () => {
      const key = await keyWithPolicy(undefined);
      const { Policy } = await kms().send(new GetKeyPolicyCommand({ KeyId: key.KeyId }));
      const parsed = JSON.parse(Policy ?? "") as { Version: string; Statement: Statement[] };
      assert.equal(parsed.Version, "2012-10-17");
      assert.deepEqual(parsed.Statement, [
        { Sid: "Enable IAM User Permissions", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${kmsd.accountId}:root` }, Action: "kms:*", Resource: "*" },
      ]);
      // Which is why an identity policy is enough.
      const user = await newUser("delegated", policy(allow("kms:GetKeyPolicy")));
      assert.equal((await kms(user.credentials).send(new GetKeyPolicyCommand({ KeyId: key.KeyId }))).Policy, Policy);
    });

    const malformed: { name: string; document: () => string; message?: RegExp }[] = [
      { name: "bad JSON", document: () => "{not json" },
      { name: "an unknown element", document: () => JSON.stringify({ Version: "2012-10-17", Statement: [{ ...rootStatement(kmsd.accountId), Colour: "blue" }] }) },
      { name: "an unknown top-level element", document: () => JSON.stringify({ Version: "2012-10-17", Flavour: "x", Statement: [rootStatement(kmsd.accountId)] }) },
      {
        name: "a bad principal ARN",
        document: () => policy(rootStatement(kmsd.accountId), { Effect: "Allow", Principal: { AWS: "arn:aws:iam::12345:user/x" }, Action: "kms:*", Resource: "*" }),
        message: /^Policy contains a statement with one or more invalid principals\.$/,
      },
      {
        name: "a principal that does not exist",
        document: () => policy(rootStatement(kmsd.accountId), { Effect: "Allow", Principal: { AWS: userArn(kmsd.accountId, "nobody-at-all") }, Action: "kms:*", Resource: "*" }),
        message: /^Policy contains a statement with one or more invalid principals\.$/,
      },
      {
        name: "a role that does not exist",
        document: () => policy(rootStatement(kmsd.accountId), { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${kmsd.accountId}:role/ghost` }, Action: "kms:*", Resource: "*" }),
        message: /invalid principals/,
      },
      { name: "an invalid Effect", document: () => policy({ ...rootStatement(kmsd.accountId), Effect: "Perhaps" }) },
      { name: "no Statement", document: () => JSON.stringify({ Version: "2012-10-17" }) },
      {
        name: "over 32 KB",
        document: () => JSON.stringify({ Version: "2012-10-17", Id: "x".repeat(32 * 1024), Statement: [rootStatement(kmsd.accountId)] }),
      },
    ];
    for (const c of malformed) {
      void it(`refuses a policy with ${c.name} (MalformedPolicyDocumentException) in PutKeyPolicy and CreateKey`, async () => {
        const key = await keyWithPolicy(undefined);
        const before = (await kms().send(new GetKeyPolicyCommand({ KeyId: key.KeyId }))).Policy;
        await expectAwsError(kms().send(new PutKeyPolicyCommand({ KeyId: key.KeyId, Policy: c.document() })), "MalformedPolicyDocumentException", c.message);
        await expectAwsError(kms().send(new CreateKeyCommand({ Policy: c.document() })), "MalformedPolicyDocumentException", c.message);
        assert.equal((await kms().send(new GetKeyPolicyCommand({ KeyId: key.KeyId }))).Policy, before);
      });
    }

    void it("accepts a policy just under 32 KB and principals of other accounts as they are", async () => {
      const key = await keyWithPolicy(undefined);
      const base = { Version: "2012-10-17", Id: "", Statement: [rootStatement(kmsd.accountId), { Effect: "Allow", Principal: { AWS: userArn("999988887777", "elsewhere") }, Action: "kms:Decrypt", Resource: "*" }] };
      const padding = 32 * 1024 - Buffer.byteLength(JSON.stringify(base));
      const document = JSON.stringify({ ...base, Id: "x".repeat(padding) });
      assert.equal(Buffer.byteLength(document), 32 * 1024);
      await kms().send(new PutKeyPolicyCommand({ KeyId: key.KeyId, Policy: document }));
    });

    void it("refuses a policy that would lock the caller out, unless BypassPolicyLockoutSafetyCheck", async () => {
      const lockout = "The new key policy will not allow you to update the key policy in the future.";
      const other = await newUser("other-admin");
      const otherStatement = { Effect: "Allow", Principal: { AWS: other.arn }, Action: "kms:*", Resource: "*" };
      const onlyOther = policy(otherStatement);
      const key = await keyWithPolicy(undefined);
      // The root would lose kms:PutKeyPolicy.
      await expectAwsError(kms().send(new PutKeyPolicyCommand({ KeyId: key.KeyId, Policy: onlyOther })), "MalformedPolicyDocumentException", lockout);
      await expectAwsError(kms().send(new CreateKeyCommand({ Policy: onlyOther })), "MalformedPolicyDocumentException", lockout);
      await expectAwsError(
        kms().send(new PutKeyPolicyCommand({ KeyId: key.KeyId, Policy: policy(rootStatement(kmsd.accountId), { Effect: "Deny", Principal: { AWS: "*" }, Action: "kms:PutKeyPolicy", Resource: "*" }) })),
        "MalformedPolicyDocumentException",
        lockout,
      );
      // A user whose permission comes from IAM: a policy that stops delegating to the account locks it out.
      const admin = await newUser("iam-admin", policy(allow("kms:*")));
      await expectAwsError(kms(admin.credentials).send(new PutKeyPolicyCommand({ KeyId: key.KeyId, Policy: onlyOther })), "MalformedPolicyDocumentException", lockout);
      await kms(admin.credentials).send(new PutKeyPolicyCommand({ KeyId: key.KeyId, Policy: policy(rootStatement(kmsd.accountId)) }));

      // Bypassed: stored, and the root is then locked out indeed.
      await kms().send(new PutKeyPolicyCommand({ KeyId: key.KeyId, Policy: onlyOther, BypassPolicyLockoutSafetyCheck: true }));
      await expectAwsError(
        kms().send(new PutKeyPolicyCommand({ KeyId: key.KeyId, Policy: policy(rootStatement(kmsd.accountId)) })),
        "AccessDeniedException",
        notAllowed(`arn:aws:iam::${kmsd.accountId}:root`, "kms:PutKeyPolicy", key.Arn, "resource-based policy"),
      );
      // The named user may still change it, but not to a policy that locks it out.
      await expectAwsError(
        kms(other.credentials).send(new PutKeyPolicyCommand({ KeyId: key.KeyId, Policy: policy(rootStatement(kmsd.accountId)) })),
        "MalformedPolicyDocumentException",
        lockout,
      );
      await kms(other.credentials).send(new PutKeyPolicyCommand({ KeyId: key.KeyId, Policy: policy(rootStatement(kmsd.accountId), otherStatement) }));
      await kms().send(new DescribeKeyCommand({ KeyId: key.KeyId }));
      // The check evaluates the caller's own request: conditions it meets keep it in.
      const fromLoopback = policy({ ...rootStatement(kmsd.accountId), Condition: { IpAddress: { "aws:SourceIp": ["127.0.0.0/8", "::1/128"] } } });
      await kms().send(new PutKeyPolicyCommand({ KeyId: key.KeyId, Policy: fromLoopback }));
      const callerAccount = policy({ Effect: "Allow", Principal: { AWS: "*" }, Action: "kms:*", Resource: "*", Condition: { StringEquals: { "kms:CallerAccount": kmsd.accountId } } });
      await kms().send(new PutKeyPolicyCommand({ KeyId: key.KeyId, Policy: callerAccount }));
      const elsewhere = policy({ ...rootStatement(kmsd.accountId), Condition: { IpAddress: { "aws:SourceIp": "203.0.113.0/24" } } });
      await expectAwsError(kms().send(new PutKeyPolicyCommand({ KeyId: key.KeyId, Policy: elsewhere })), "MalformedPolicyDocumentException", lockout);
      const created = await kms().send(new CreateKeyCommand({ Policy: onlyOther, BypassPolicyLockoutSafetyCheck: true }));
      assert.equal((await kms(other.credentials).send(new GetKeyPolicyCommand({ KeyId: created.KeyMetadata?.KeyId }))).Policy, onlyOther);
    });
  });

  void describe("IAM calls", () => {
    void it("are authorized by IAM policies; an explicit Deny wins", async () => {
      const creator = await newUser("creator", policy(allow("iam:CreateUser")));
      const bystander = await newUser("bystander");
      const denied = await newUser("denied-creator", policy(allow("iam:*"), deny("iam:CreateUser", `arn:aws:iam::${kmsd.accountId}:user/forbidden-*`)));
      await iam(creator.credentials).send(new CreateUserCommand({ UserName: "made-by-creator" }));
      await expectAwsError(
        iam(bystander.credentials).send(new CreateUserCommand({ UserName: "made-by-bystander" })),
        "AccessDenied",
        notAllowed(bystander.arn, "iam:CreateUser", userArn(kmsd.accountId, "made-by-bystander"), "identity-based policy"),
      );
      await iam(denied.credentials).send(new CreateUserCommand({ UserName: "allowed-one" }));
      await expectAwsError(
        iam(denied.credentials).send(new CreateUserCommand({ UserName: "forbidden-one" })),
        "AccessDenied",
        explicitlyDenied(denied.arn, "iam:CreateUser", userArn(kmsd.accountId, "forbidden-one"), "an identity-based policy"),
      );
      // iam:CreateUser does not include iam:CreateAccessKey.
      await expectAwsError(iam(creator.credentials).send(new CreateAccessKeyCommand({ UserName: "made-by-creator" })), "AccessDenied");
      // Nobody acts on another account's IAM: B's root cannot see A's users.
      await expectAwsError(iam(rootB()).send(new GetUserCommand({ UserName: "made-by-creator" })), "NoSuchEntityException");
    });
  });

  void it("--dev lets an unknown access key act as the account root", async () => {
    const unknown = { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "anything" };
    const key = await createKey(kms(unknown), {});
    assert.equal(key.AWSAccountId, kmsd.accountId);
    await encrypt(kms(unknown), key.KeyId);
    await kms(unknown).send(new PutKeyPolicyCommand({ KeyId: key.KeyId, Policy: policy(rootStatement(kmsd.accountId)) }));
  });

  // Last: it moves the server clock forward for good.
  void it("aws:CurrentTime follows the server's (dev) clock", async () => {
    const user = await newUser("timer");
    const now = Date.now();
    const later = new Date(now + 2 * 3600_000).toISOString();
    const key = await keyWithPolicy(
      policy(rootStatement(kmsd.accountId), { Effect: "Allow", Principal: { AWS: user.arn }, Action: "kms:Encrypt", Resource: "*", Condition: { DateGreaterThan: { "aws:CurrentTime": later } } }),
    );
    await expectAwsError(encrypt(kms(user.credentials), key.KeyId), "AccessDeniedException");
    await kmsd.advanceClock(3 * 3600);
    await encrypt(kms(user.credentials), key.KeyId);
  });
});
