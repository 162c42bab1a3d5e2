// The KMS-specific tables and builders of the policy engine: which policy governs each
// operation (per AWS's "AWS KMS permissions" reference) and the KMS condition keys built
// from request facts. Evaluation itself is covered by the fixtures in authz.test.ts.
// (`void`: node:test returns promises that the runner itself awaits.)
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { accessDeniedMessage, KMS_PERMISSIONS, kmsPermission, kmsRequestContext, requestAlias } from "../src/authz/index.ts";
import { KMS_OPERATIONS } from "../src/model/index.ts";

void describe("KMS permissions table", () => {
  void it("covers every operation of the KMS model", () => {
    for (const operation of KMS_OPERATIONS) assert.ok(kmsPermission(operation), `${operation} has no entry`);
    assert.equal(Object.keys(KMS_PERMISSIONS).length, KMS_OPERATIONS.length);
  });

  const iamOnly = [
    "CreateKey",
    "ListKeys",
    "ListAliases",
    "GenerateRandom",
    "ListRetirableGrants",
    "CreateCustomKeyStore",
    "DescribeCustomKeyStores",
    "ConnectCustomKeyStore",
    "DisconnectCustomKeyStore",
    "UpdateCustomKeyStore",
    "DeleteCustomKeyStore",
  ];
  for (const operation of iamOnly) {
    void it(`${operation} is authorized by IAM policy alone, on resource *`, () => {
      const first = kmsPermission(operation)?.checks[0];
      assert.deepEqual(first, { action: `kms:${operation}`, resource: "none", policy: "iam-policy" });
    });
  }

  const aliasOperations: [string, string[]][] = [
    ["CreateAlias", ["alias", "key"]],
    ["DeleteAlias", ["alias", "key"]],
    ["UpdateAlias", ["alias", "key", "target-key"]],
  ];
  for (const [operation, resources] of aliasOperations) {
    void it(`${operation} needs permission on the alias (IAM) and on each key (key policy)`, () => {
      const checks = kmsPermission(operation)?.checks ?? [];
      assert.deepEqual(checks.map((c) => c.resource), resources);
      assert.deepEqual(checks.map((c) => c.policy), ["iam-policy", ...resources.slice(1).map(() => "key-policy")]);
    });
  }

  void it("ReEncrypt is checked as kms:ReEncryptFrom on the source key and kms:ReEncryptTo on the destination key", () => {
    assert.deepEqual(kmsPermission("ReEncrypt")?.checks.map((c) => [c.action, c.resource]), [
      ["kms:ReEncryptFrom", "key"],
      ["kms:ReEncryptTo", "destination-key"],
    ]);
  });

  void it("Encrypt is a key-policy operation usable across accounts; ScheduleKeyDeletion is not cross-account", () => {
    assert.equal(kmsPermission("Encrypt")?.crossAccount, true);
    assert.equal(kmsPermission("Encrypt")?.checks[0]?.policy, "key-policy");
    assert.equal(kmsPermission("ScheduleKeyDeletion")?.crossAccount, false);
  });

  void it("answers undefined for a name that is not a KMS operation", () => {
    assert.equal(kmsPermission("toString"), undefined);
  });
});

void describe("KMS condition keys", () => {
  void it("an encryption context becomes one key per pair plus kms:EncryptionContextKeys", () => {
    assert.deepEqual(kmsRequestContext({ encryptionContext: { AppName: "App", Dept: "IT" } }), {
      "kms:EncryptionContext:AppName": "App",
      "kms:EncryptionContext:Dept": "IT",
      "kms:EncryptionContextKeys": ["AppName", "Dept"],
    });
  });

  void it("an empty encryption context leaves kms:EncryptionContextKeys absent (Null: true)", () => {
    assert.deepEqual(kmsRequestContext({ encryptionContext: {} }), {});
  });

  void it("the key's properties, aliases and tags", () => {
    const context = kmsRequestContext({
      key: { keySpec: "SYMMETRIC_DEFAULT", keyUsage: "ENCRYPT_DECRYPT", origin: "AWS_KMS", multiRegion: true, multiRegionKeyType: "PRIMARY", aliases: ["alias/a"], tags: { env: "prod" } },
    });
    assert.deepEqual(context, {
      "kms:KeySpec": "SYMMETRIC_DEFAULT",
      "kms:CustomerMasterKeySpec": "SYMMETRIC_DEFAULT",
      "kms:KeyUsage": "ENCRYPT_DECRYPT",
      "kms:CustomerMasterKeyUsage": "ENCRYPT_DECRYPT",
      "kms:KeyOrigin": "AWS_KMS",
      "kms:MultiRegion": true,
      "kms:MultiRegionKeyType": "PRIMARY",
      "kms:ResourceAliases": ["alias/a"],
      "aws:ResourceTag/env": "prod",
    });
  });

  void it("CreateGrant facts: operations, constraint type and the constraint's pairs", () => {
    assert.deepEqual(
      kmsRequestContext({ grantOperations: ["Decrypt"], grantConstraints: { encryptionContextSubset: { Dept: "IT" } }, granteePrincipal: "arn:aws:iam::111122223333:user/bob" }),
      {
        "kms:GranteePrincipal": "arn:aws:iam::111122223333:user/bob",
        "kms:GrantConstraintType": "EncryptionContextSubset",
        "kms:EncryptionContext:Dept": "IT",
        "kms:EncryptionContextKeys": ["Dept"],
        "kms:GrantOperations": ["Decrypt"],
      },
    );
  });

  const aliases: [string, string | undefined][] = [
    ["alias/finance-key", "alias/finance-key"],
    ["arn:aws:kms:us-west-2:111122223333:alias/finance-key", "alias/finance-key"],
    ["1234abcd-12ab-34cd-56ef-1234567890ab", undefined],
    ["arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", undefined],
  ];
  for (const [keyId, expected] of aliases) {
    void it(`kms:RequestAlias for KeyId ${keyId} is ${String(expected)}`, () => assert.equal(requestAlias(keyId), expected));
  }
});

void describe("accessDeniedMessage", () => {
  void it("refuses an allowed decision", () => {
    const request = {
      principal: { arn: "arn:aws:iam::111122223333:root", accountId: "111122223333", type: "Root" as const, userId: "111122223333" },
      action: "kms:ListKeys",
      resource: "*",
      context: {},
    };
    assert.throws(() => accessDeniedMessage(request, { allowed: true, reason: "allowed" }));
  });
});
