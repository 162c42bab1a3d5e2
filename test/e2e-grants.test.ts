// Grants end to end through @aws-sdk/client-iam and @aws-sdk/client-kms against a built
// `kmsd serve --dev`: CreateGrant (operations, grantee, retiring principal, constraints,
// Name idempotency), the grantee's use of the key without any policy, encryption-context
// constraints, grant tokens, ListGrants and ListRetirableGrants, RetireGrant by token or
// by key and grant id, RevokeGrant, and CreateGrant's refusals.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CreateRoleCommand } from "@aws-sdk/client-iam";
import { AssumeRoleCommand } from "@aws-sdk/client-sts";
import {
  CreateGrantCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  ListGrantsCommand,
  ListRetirableGrantsCommand,
  ReEncryptCommand,
  RetireGrantCommand,
  RevokeGrantCommand,
  type CreateGrantCommandInput,
  type GrantConstraints,
  KMSClient,
} from "@aws-sdk/client-kms";
import { bytes, createKey, type CreatedKey } from "./support/e2e.ts";
import { createAccount, credentialsOf, expectAwsError, startKmsd, startKmsdWorkers, type CreatedAccount, type Kmsd } from "./support/kmsd.ts";
import { policy, TestIdentities, type Creds, type TestUser } from "./support/identities.ts";

const PLAINTEXT = Buffer.from("grant me this");
const GRANT_ID = /^[0-9a-f]{64}$/;

void describe("grants", () => {
  let kmsd: Kmsd;
  let accountB: CreatedAccount;
  const identities = new TestIdentities(() => kmsd);
  const iam = (credentials?: Creds) => identities.iam(credentials);
  const sts = (credentials: Creds) => identities.sts(credentials);
  const kms = (credentials?: Creds): KMSClient => kmsd.kms(credentials ? { credentials } : {});

  const newUser = (prefix: string, identityPolicy?: string, admin?: Creds): Promise<TestUser> => identities.newUser(prefix, identityPolicy, admin);

  async function grant(key: CreatedKey, input: Omit<CreateGrantCommandInput, "KeyId">, client = kms()): Promise<{ GrantId: string; GrantToken: string }> {
    const { GrantId, GrantToken } = await client.send(new CreateGrantCommand({ KeyId: key.KeyId, ...input }));
    assert.ok(GrantId && GrantToken);
    assert.match(GrantId, GRANT_ID);
    return { GrantId, GrantToken };
  }

  const encrypt = (client: KMSClient, keyId: string, context?: Record<string, string>, grantTokens?: string[]) =>
    client.send(new EncryptCommand({ KeyId: keyId, Plaintext: PLAINTEXT, ...(context ? { EncryptionContext: context } : {}), ...(grantTokens ? { GrantTokens: grantTokens } : {}) }));

  before(async () => {
    kmsd = await startKmsd({ dev: true });
    accountB = await createAccount(kmsd.dataDir);
  });
  after(async () => {
    identities.destroy();
    await kmsd.dispose();
  });

  void it("lets the grantee use the key for the grant's operations without any policy, and no others", async () => {
    const grantee = await newUser("grantee");
    const key = await createKey(kms());
    const denied = `User: ${grantee.arn} is not authorized to perform: kms:Encrypt on resource: ${key.Arn} because no identity-based policy allows the kms:Encrypt action`;
    await expectAwsError(encrypt(kms(grantee.credentials), key.Arn), "AccessDeniedException", denied);

    const { GrantToken } = await grant(key, { GranteePrincipal: grantee.arn, Operations: ["Encrypt", "Decrypt", "DescribeKey"] });
    // Usable at once, with or without the token.
    const { CiphertextBlob } = await encrypt(kms(grantee.credentials), key.Arn, undefined, [GrantToken]);
    const { Plaintext } = await kms(grantee.credentials).send(new DecryptCommand({ CiphertextBlob }));
    assert.deepEqual(bytes(Plaintext), PLAINTEXT);
    await kms(grantee.credentials).send(new DescribeKeyCommand({ KeyId: key.Arn }));
    await expectAwsError(
      kms(grantee.credentials).send(new GenerateDataKeyCommand({ KeyId: key.Arn, KeySpec: "AES_256" })),
      "AccessDeniedException",
      `User: ${grantee.arn} is not authorized to perform: kms:GenerateDataKey on resource: ${key.Arn} because no identity-based policy allows the kms:GenerateDataKey action`,
    );
    await expectAwsError(kms(grantee.credentials).send(new DisableKeyCommand({ KeyId: key.Arn })), "AccessDeniedException");
    // Another user gets nothing from it.
    const other = await newUser("not-grantee");
    await expectAwsError(encrypt(kms(other.credentials), key.Arn), "AccessDeniedException");
  });

  void it("does not let a grant beat an explicit Deny", async () => {
    const grantee = await newUser("grantee-denied", policy({ Effect: "Deny", Action: "kms:Encrypt", Resource: "*" }));
    const key = await createKey(kms());
    await grant(key, { GranteePrincipal: grantee.arn, Operations: ["Encrypt"] });
    await expectAwsError(
      encrypt(kms(grantee.credentials), key.Arn),
      "AccessDeniedException",
      `User: ${grantee.arn} is not authorized to perform: kms:Encrypt on resource: ${key.Arn} with an explicit deny in an identity-based policy`,
    );
  });

  const constraintCases: { name: string; constraints: GrantConstraints; allowed: (Record<string, string> | undefined)[]; denied: (Record<string, string> | undefined)[] }[] = [
    {
      name: "EncryptionContextEquals allows only exactly that context",
      constraints: { EncryptionContextEquals: { dept: "eng", app: "x" } },
      allowed: [{ dept: "eng", app: "x" }, { app: "x", dept: "eng" }],
      denied: [undefined, { dept: "eng" }, { dept: "eng", app: "x", extra: "1" }, { dept: "ENG", app: "x" }],
    },
    {
      name: "EncryptionContextSubset allows any context containing those pairs",
      constraints: { EncryptionContextSubset: { dept: "eng" } },
      // Keys compare case-insensitively, values case-sensitively.
      allowed: [{ dept: "eng" }, { dept: "eng", app: "y" }, { DEPT: "eng" }],
      denied: [undefined, { app: "y" }, { dept: "ops" }],
    },
  ];
  for (const c of constraintCases) {
    void it(`a grant with ${c.name}`, async () => {
      const grantee = await newUser("constrained");
      const key = await createKey(kms());
      await grant(key, { GranteePrincipal: grantee.arn, Operations: ["Encrypt", "Decrypt", "DescribeKey"], Constraints: c.constraints });
      // The constraint does not apply to DescribeKey, which takes no encryption context.
      await kms(grantee.credentials).send(new DescribeKeyCommand({ KeyId: key.Arn }));
      for (const context of c.allowed) {
        const { CiphertextBlob } = await encrypt(kms(grantee.credentials), key.Arn, context);
        await kms(grantee.credentials).send(new DecryptCommand({ CiphertextBlob, ...(context ? { EncryptionContext: context } : {}) }));
      }
      for (const context of c.denied) {
        await expectAwsError(encrypt(kms(grantee.credentials), key.Arn, context), "AccessDeniedException").catch((error: unknown) => {
          throw new Error(`context ${JSON.stringify(context)}: ${String(error)}`);
        });
        // Ciphertext the root made with that context cannot be decrypted by the grantee either.
        const { CiphertextBlob } = await encrypt(kms(), key.KeyId, context);
        await expectAwsError(kms(grantee.credentials).send(new DecryptCommand({ CiphertextBlob, ...(context ? { EncryptionContext: context } : {}) })), "AccessDeniedException");
      }
    });
  }

  void it("returns the same grant for the same Name and parameters, a new one otherwise", async () => {
    const grantee = await newUser("named-grantee");
    const key = await createKey(kms());
    const input = { GranteePrincipal: grantee.arn, Operations: ["Encrypt" as const, "Decrypt" as const], Name: "app-grant" };
    const first = await grant(key, input);
    const again = await grant(key, { ...input, Operations: ["Decrypt", "Encrypt"] });
    assert.equal(again.GrantId, first.GrantId);
    assert.notEqual(again.GrantToken, first.GrantToken);
    const different = await grant(key, { ...input, Operations: ["Encrypt"] });
    assert.notEqual(different.GrantId, first.GrantId);
    const unnamed1 = await grant(key, { GranteePrincipal: grantee.arn, Operations: ["Encrypt"] });
    const unnamed2 = await grant(key, { GranteePrincipal: grantee.arn, Operations: ["Encrypt"] });
    assert.notEqual(unnamed1.GrantId, unnamed2.GrantId);
    const { Grants } = await kms().send(new ListGrantsCommand({ KeyId: key.KeyId }));
    assert.equal(Grants?.length, 4);
    // Both tokens of the named grant work.
    await encrypt(kms(grantee.credentials), key.Arn, undefined, [first.GrantToken, again.GrantToken]);
  });

  void it("lists grants with filters and paging", async () => {
    const [alice, bob, retirer] = [await newUser("list-a"), await newUser("list-b"), await newUser("list-r")];
    const key = await createKey(kms());
    const created: string[] = [];
    for (const grantee of [alice, bob, alice, bob, alice]) {
      created.push((await grant(key, { GranteePrincipal: grantee.arn, RetiringPrincipal: retirer.arn, Operations: ["Encrypt"], Constraints: { EncryptionContextSubset: { a: "1" } } })).GrantId);
    }
    const all = await kms().send(new ListGrantsCommand({ KeyId: key.Arn }));
    assert.deepEqual(all.Grants?.map((g) => g.GrantId).sort(), [...created].sort());
    assert.equal(all.Truncated, false);
    const entry = all.Grants?.find((g) => g.GrantId === created[0]);
    assert.deepEqual(
      { ...entry, CreationDate: undefined },
      {
        KeyId: key.Arn,
        GrantId: created[0],
        CreationDate: undefined,
        GranteePrincipal: alice.arn,
        RetiringPrincipal: retirer.arn,
        IssuingAccount: `arn:aws:iam::${kmsd.accountId}:root`,
        Operations: ["Encrypt"],
        Constraints: { EncryptionContextSubset: { a: "1" } },
      },
    );
    assert.ok(entry?.CreationDate instanceof Date);

    const byGrantee = await kms().send(new ListGrantsCommand({ KeyId: key.KeyId, GranteePrincipal: bob.arn }));
    assert.equal(byGrantee.Grants?.length, 2);
    assert.ok(byGrantee.Grants?.every((g) => g.GranteePrincipal === bob.arn));
    const byId = await kms().send(new ListGrantsCommand({ KeyId: key.KeyId, GrantId: created[2] }));
    assert.deepEqual(byId.Grants?.map((g) => g.GrantId), [created[2]]);

    const paged: string[] = [];
    let marker: string | undefined;
    let pages = 0;
    do {
      const page = await kms().send(new ListGrantsCommand({ KeyId: key.KeyId, Limit: 2, ...(marker ? { Marker: marker } : {}) }));
      pages++;
      assert.ok((page.Grants?.length ?? 0) <= 2);
      paged.push(...(page.Grants ?? []).map((g) => g.GrantId ?? ""));
      assert.equal(page.Truncated, page.NextMarker !== undefined);
      marker = page.NextMarker;
    } while (marker);
    assert.equal(pages, 3);
    assert.deepEqual(paged.sort(), [...created].sort());

    // ListRetirableGrants: the grants the principal may retire.
    const retirable = await kms().send(new ListRetirableGrantsCommand({ RetiringPrincipal: retirer.arn }));
    assert.deepEqual(retirable.Grants?.map((g) => g.GrantId).sort(), [...created].sort());
    const none = await kms().send(new ListRetirableGrantsCommand({ RetiringPrincipal: alice.arn }));
    assert.deepEqual(none.Grants, []);
    // ListRetirableGrants is authorized by IAM policy only.
    await expectAwsError(kms(alice.credentials).send(new ListRetirableGrantsCommand({ RetiringPrincipal: retirer.arn })), "AccessDeniedException");
  });

  void it("pages ListRetirableGrants with Limit and Marker", async () => {
    const retirer = await newUser("page-r");
    const grantee = await newUser("page-g");
    const key = await createKey(kms());
    const created: string[] = [];
    for (let i = 0; i < 5; i++) created.push((await grant(key, { GranteePrincipal: grantee.arn, RetiringPrincipal: retirer.arn, Operations: ["Encrypt"] })).GrantId);
    const firstPage = await kms().send(new ListRetirableGrantsCommand({ RetiringPrincipal: retirer.arn, Limit: 3 }));
    assert.equal(firstPage.Grants?.length, 3);
    assert.equal(firstPage.Truncated, true);
    const rest = await kms().send(new ListRetirableGrantsCommand({ RetiringPrincipal: retirer.arn, Marker: firstPage.NextMarker }));
    assert.deepEqual([...(firstPage.Grants ?? []), ...(rest.Grants ?? [])].map((g) => g.GrantId).sort(), [...created].sort());
    assert.equal(rest.Truncated, false);
  });

  void it("retires a grant by token (the retiring principal) or by key and grant id; a retired grant no longer allows", async () => {
    const grantee = await newUser("retiree");
    const retirer = await newUser("retirer");
    const outsider = await newUser("outsider");
    const key = await createKey(kms());

    // By token, by the retiring principal, who has no policy at all.
    const byToken = await grant(key, { GranteePrincipal: grantee.arn, RetiringPrincipal: retirer.arn, Operations: ["Encrypt"] });
    await encrypt(kms(grantee.credentials), key.Arn);
    await expectAwsError(kms(outsider.credentials).send(new RetireGrantCommand({ GrantToken: byToken.GrantToken })), "AccessDeniedException");
    await kms(retirer.credentials).send(new RetireGrantCommand({ GrantToken: byToken.GrantToken }));
    await expectAwsError(encrypt(kms(grantee.credentials), key.Arn), "AccessDeniedException");
    await expectAwsError(encrypt(kms(grantee.credentials), key.Arn, undefined, [byToken.GrantToken]), "AccessDeniedException");
    assert.deepEqual((await kms().send(new ListGrantsCommand({ KeyId: key.KeyId }))).Grants, []);

    // By key and grant id, by the grantee of a grant that includes RetireGrant.
    const selfRetiring = await grant(key, { GranteePrincipal: grantee.arn, Operations: ["Encrypt", "RetireGrant"] });
    await encrypt(kms(grantee.credentials), key.Arn);
    await kms(grantee.credentials).send(new RetireGrantCommand({ KeyId: key.Arn, GrantId: selfRetiring.GrantId }));
    await expectAwsError(encrypt(kms(grantee.credentials), key.Arn), "AccessDeniedException");

    // The grantee of a grant without RetireGrant may not; the account (its root) may.
    const plain = await grant(key, { GranteePrincipal: grantee.arn, Operations: ["Encrypt"] });
    await expectAwsError(kms(grantee.credentials).send(new RetireGrantCommand({ KeyId: key.Arn, GrantId: plain.GrantId })), "AccessDeniedException");
    await kms().send(new RetireGrantCommand({ KeyId: key.KeyId, GrantId: plain.GrantId }));
    await expectAwsError(encrypt(kms(grantee.credentials), key.Arn), "AccessDeniedException");

    // Gone: retiring again is NotFound.
    await expectAwsError(kms().send(new RetireGrantCommand({ KeyId: key.KeyId, GrantId: plain.GrantId })), "NotFoundException");
    await expectAwsError(kms().send(new RetireGrantCommand({ KeyId: key.KeyId, GrantId: "not-a-grant-id" })), "InvalidGrantIdException");
    await expectAwsError(kms().send(new RetireGrantCommand({ KeyId: key.KeyId })), "ValidationException");
  });

  void it("revokes a grant (kms:RevokeGrant); a revoked grant no longer allows", async () => {
    const grantee = await newUser("revoked");
    const key = await createKey(kms());
    const { GrantId, GrantToken } = await grant(key, { GranteePrincipal: grantee.arn, Operations: ["Encrypt", "RetireGrant"] });
    await encrypt(kms(grantee.credentials), key.Arn);
    // The grantee may retire but not revoke.
    await expectAwsError(kms(grantee.credentials).send(new RevokeGrantCommand({ KeyId: key.Arn, GrantId })), "AccessDeniedException");
    await kms().send(new RevokeGrantCommand({ KeyId: key.KeyId, GrantId }));
    await expectAwsError(encrypt(kms(grantee.credentials), key.Arn, undefined, [GrantToken]), "AccessDeniedException");
    await expectAwsError(kms().send(new RevokeGrantCommand({ KeyId: key.KeyId, GrantId })), "NotFoundException");
  });

  void it("refuses a garbled grant token (InvalidGrantTokenException)", async () => {
    const grantee = await newUser("garbled");
    const key = await createKey(kms());
    const { GrantToken } = await grant(key, { GranteePrincipal: grantee.arn, Operations: ["Encrypt", "CreateGrant"] });
    const garbled = `${GrantToken.slice(0, -6)}AAAAAA`;
    await expectAwsError(encrypt(kms(grantee.credentials), key.Arn, undefined, [garbled]), "InvalidGrantTokenException");
    await expectAwsError(encrypt(kms(), key.KeyId, undefined, ["not-a-token"]), "InvalidGrantTokenException");
    // A genuine token with anything appended (another segment, or characters the MAC's decoder would skip) is not a token.
    await encrypt(kms(grantee.credentials), key.Arn, undefined, [GrantToken]);
    for (const extended of [`${GrantToken}.extra`, `${GrantToken}.`, `${GrantToken}=`, `${GrantToken}*`]) {
      await expectAwsError(encrypt(kms(grantee.credentials), key.Arn, undefined, [extended]), "InvalidGrantTokenException");
      await expectAwsError(kms().send(new RetireGrantCommand({ GrantToken: extended })), "InvalidGrantTokenException");
    }
    await expectAwsError(kms().send(new RetireGrantCommand({ GrantToken: garbled })), "InvalidGrantTokenException");
    await expectAwsError(
      kms().send(new CreateGrantCommand({ KeyId: key.KeyId, GranteePrincipal: grantee.arn, Operations: ["Decrypt"], GrantTokens: [garbled] })),
      "InvalidGrantTokenException",
    );
    const ciphertext = (await encrypt(kms(), key.KeyId)).CiphertextBlob;
    await expectAwsError(kms().send(new DecryptCommand({ CiphertextBlob: ciphertext, GrantTokens: [garbled] })), "InvalidGrantTokenException");
  });

  void it("lets a grantee with CreateGrant create narrower grants only", async () => {
    const grantee = await newUser("delegator");
    const third = await newUser("third");
    const key = await createKey(kms());
    await grant(key, { GranteePrincipal: grantee.arn, Operations: ["Encrypt", "Decrypt", "CreateGrant"], Constraints: { EncryptionContextSubset: { team: "a" } } });
    // A subset of the operations with constraints at least as strict.
    await grant(key, { GranteePrincipal: third.arn, Operations: ["Encrypt"], Constraints: { EncryptionContextSubset: { team: "a" } } }, kms(grantee.credentials));
    await encrypt(kms(third.credentials), key.Arn, { team: "a" });
    await expectAwsError(encrypt(kms(third.credentials), key.Arn, { team: "b" }), "AccessDeniedException");
    // Wider operations or looser constraints: refused.
    await expectAwsError(
      kms(grantee.credentials).send(new CreateGrantCommand({ KeyId: key.Arn, GranteePrincipal: third.arn, Operations: ["GenerateDataKey"], Constraints: { EncryptionContextSubset: { team: "a" } } })),
      "AccessDeniedException",
    );
    await expectAwsError(kms(grantee.credentials).send(new CreateGrantCommand({ KeyId: key.Arn, GranteePrincipal: third.arn, Operations: ["Encrypt"] })), "AccessDeniedException");
  });

  void it("grants to a role: its sessions use the grant (narrowed by session policies) and, as retiring principal, retire it", async () => {
    const user = await newUser("role-user");
    const roleName = identities.uniqueName("granted-role");
    const { Role: role } = await iam().send(
      new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: user.arn }, Action: "sts:AssumeRole" }] }) }),
    );
    assert.ok(role?.Arn);
    const key = await createKey(kms());
    const { GrantToken } = await grant(key, { GranteePrincipal: role.Arn, RetiringPrincipal: role.Arn, Operations: ["Encrypt", "Decrypt"] });
    const session = async (sessionPolicy?: string) => {
      const { Credentials: c } = await sts(user.credentials).send(new AssumeRoleCommand({ RoleArn: role.Arn, RoleSessionName: "granted", ...(sessionPolicy ? { Policy: sessionPolicy } : {}) }));
      assert.ok(c?.AccessKeyId && c.SecretAccessKey && c.SessionToken);
      return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
    };
    const full = await session();
    const { CiphertextBlob } = await encrypt(kms(full), key.Arn);
    await kms(full).send(new DecryptCommand({ CiphertextBlob }));
    const narrowed = await session(policy({ Effect: "Allow", Action: "kms:Encrypt", Resource: "*" }));
    await encrypt(kms(narrowed), key.Arn);
    await expectAwsError(kms(narrowed).send(new DecryptCommand({ CiphertextBlob })), "AccessDeniedException");
    // The role's session retires the grant it is the retiring principal of.
    await kms(full).send(new RetireGrantCommand({ GrantToken }));
    await expectAwsError(encrypt(kms(full), key.Arn), "AccessDeniedException");
  });

  void it("grants to a principal of another account: usable by ARN", async () => {
    const bUser = await newUser("b-grantee", undefined, credentialsOf(accountB));
    const key = await createKey(kms());
    await grant(key, { GranteePrincipal: bUser.arn, Operations: ["Encrypt", "Decrypt", "ReEncryptFrom", "ReEncryptTo"] });
    const { CiphertextBlob } = await encrypt(kms(bUser.credentials), key.Arn);
    await kms(bUser.credentials).send(new DecryptCommand({ CiphertextBlob }));
    await kms(bUser.credentials).send(new ReEncryptCommand({ CiphertextBlob, DestinationKeyId: key.Arn }));
  });

  void it("refuses CreateGrant on a disabled key and operations the key type does not support", async () => {
    const grantee = await newUser("refused");
    const key = await createKey(kms());
    await kms().send(new DisableKeyCommand({ KeyId: key.KeyId }));
    await expectAwsError(kms().send(new CreateGrantCommand({ KeyId: key.KeyId, GranteePrincipal: grantee.arn, Operations: ["Encrypt"] })), "DisabledException");

    const hmac = await createKey(kms(), { KeySpec: "HMAC_256", KeyUsage: "GENERATE_VERIFY_MAC" });
    await expectAwsError(kms().send(new CreateGrantCommand({ KeyId: hmac.KeyId, GranteePrincipal: grantee.arn, Operations: ["Encrypt"] })), "ValidationException");
    await grant(hmac, { GranteePrincipal: grantee.arn, Operations: ["GenerateMac", "VerifyMac"] });
    const signing = await createKey(kms(), { KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY" });
    await expectAwsError(kms().send(new CreateGrantCommand({ KeyId: signing.KeyId, GranteePrincipal: grantee.arn, Operations: ["Decrypt"] })), "ValidationException");
    // Constraints only with operations that take an encryption context (DescribeKey, RetireGrant and CreateGrant may come along).
    await expectAwsError(
      kms().send(new CreateGrantCommand({ KeyId: hmac.KeyId, GranteePrincipal: grantee.arn, Operations: ["GenerateMac"], Constraints: { EncryptionContextSubset: { a: "1" } } })),
      "ValidationException",
    );
    const rsa = await createKey(kms(), { KeySpec: "RSA_2048", KeyUsage: "ENCRYPT_DECRYPT" });
    await expectAwsError(
      kms().send(new CreateGrantCommand({ KeyId: rsa.KeyId, GranteePrincipal: grantee.arn, Operations: ["Encrypt"], Constraints: { EncryptionContextEquals: { a: "1" } } })),
      "ValidationException",
    );
    const symmetric = await createKey(kms());
    await expectAwsError(kms().send(new CreateGrantCommand({ KeyId: symmetric.KeyId, GranteePrincipal: "not a principal", Operations: ["Encrypt"] })), "ValidationException");
  });

  void it("authorizes CreateGrant by policy, with the kms:GrantOperations and kms:GranteePrincipal condition keys", async () => {
    const granter = await newUser(
      "granter",
      policy({ Effect: "Allow", Action: "kms:CreateGrant", Resource: "*", Condition: { "ForAllValues:StringEquals": { "kms:GrantOperations": ["Encrypt", "Decrypt"] }, StringLike: { "kms:GranteePrincipal": "*:user/ok-*" } } }),
    );
    const ok = await newUser("ok");
    const notOk = await newUser("nope");
    const key = await createKey(kms());
    await grant(key, { GranteePrincipal: ok.arn, Operations: ["Encrypt"] }, kms(granter.credentials));
    await expectAwsError(kms(granter.credentials).send(new CreateGrantCommand({ KeyId: key.Arn, GranteePrincipal: ok.arn, Operations: ["Encrypt", "GenerateDataKey"] })), "AccessDeniedException");
    await expectAwsError(kms(granter.credentials).send(new CreateGrantCommand({ KeyId: key.Arn, GranteePrincipal: notOk.arn, Operations: ["Encrypt"] })), "AccessDeniedException");
  });
});

void describe("grant order across worker processes", () => {
  let kmsd: Kmsd;
  before(async () => {
    kmsd = await startKmsdWorkers(2);
  });
  after(async () => kmsd.dispose());

  // Two workers creating grants in the same millisecond must not give them the same place in
  // the order: ListRetirableGrants pages after the last grant's place, and would skip a tied one.
  void it("ListRetirableGrants with Limit 1 pages through grants created at once by two workers, each exactly once", async () => {
    const key = await createKey(kmsd.kms());
    const root = `arn:aws:iam::${kmsd.accountId}:root`;
    const created: string[] = [];
    for (let round = 0; round < 100; round++) {
      // Two requests at once, each on a new connection: the workers take connections in turn, so
      // each creates one grant, often in the same millisecond (and, before the fix, with the same counter).
      const clients = Array.from({ length: 2 }, () => new KMSClient({ endpoint: kmsd.endpoint, region: "us-east-1", credentials: kmsd.credentials, maxAttempts: 1 }));
      try {
        const grants = await Promise.all(
          clients.map((client) => client.send(new CreateGrantCommand({ KeyId: key.KeyId, GranteePrincipal: root, RetiringPrincipal: root, Operations: ["Encrypt"] }))),
        );
        created.push(...grants.map((g) => String(g.GrantId)));
      } finally {
        clients.forEach((client) => client.destroy());
      }
    }
    const listed: string[] = [];
    let marker: string | undefined;
    do {
      const page = await kmsd.kms().send(new ListRetirableGrantsCommand({ RetiringPrincipal: root, Limit: 1, Marker: marker }));
      listed.push(...(page.Grants ?? []).map((g) => String(g.GrantId)));
      marker = page.Truncated ? page.NextMarker : undefined;
    } while (marker !== undefined);
    assert.equal(new Set(listed).size, listed.length, "no grant listed twice");
    assert.deepEqual([...listed].sort(), [...created].sort());
  });
});
