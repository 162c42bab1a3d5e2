/**
 * What an audit record keeps of requests and responses: CloudTrail's camelCase names, the
 * caller's encryption context keys as written, and never a blob, a `sensitive` member or a
 * secret named in the deny-list, for every operation of every model kmsd serves.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { requestParameters, responseElements } from "../src/audit/redact.ts";
import { SecretBytes } from "../src/crypto/secret.ts";
import { CLOUDTRAIL_MODEL } from "../src/model/cloudtrail.generated.ts";
import { IAM_MODEL } from "../src/model/iam.generated.ts";
import { KMS_MODEL } from "../src/model/kms.generated.ts";
import { STS_MODEL } from "../src/model/sts.generated.ts";
import type { ServiceModel } from "../src/model/types.ts";
import { isDeniedMember } from "../src/audit/redact.ts";

const BLOB = Buffer.from("BLOB-MARKER-6c1f");
const SENSITIVE = "SENSITIVE-MARKER-93ab";
const DENIED = "DENIED-MARKER-44de";

/** A value for every member of a shape: blobs, sensitive and denied members carry markers. */
function sample(model: ServiceModel, shapeName: string, memberName: string, depth: number): unknown {
  const shape = model.shapes[shapeName];
  if (!shape || depth > 6) return undefined;
  switch (shape.type) {
    case "structure":
      return Object.fromEntries(Object.entries(shape.members ?? {}).map(([member, memberShape]) => [member, sample(model, memberShape, member, depth + 1)]));
    case "list":
      return [sample(model, shape.member ?? "", memberName, depth + 1)];
    case "map":
      return { "ctx-key": sample(model, shape.value ?? "", memberName, depth + 1) };
    case "blob":
      return BLOB;
    case "string":
      if (shape.sensitive) return SENSITIVE;
      if (isDeniedMember(memberName)) return DENIED;
      return shape.enum?.[0] ?? "text";
    case "boolean":
      return true;
    case "timestamp":
      return new Date(0);
    default:
      return 7;
  }
}

describe("audit redaction", () => {
  const models: [string, ServiceModel][] = [
    ["KMS", KMS_MODEL],
    ["IAM", IAM_MODEL],
    ["STS", STS_MODEL],
    ["CloudTrail", CLOUDTRAIL_MODEL],
  ];
  for (const [name, model] of models) {
    it(`no ${name} request keeps a blob, a sensitive member or a denied secret, in decoded or raw (base64) form`, () => {
      for (const [operation, inputShape] of Object.entries(model.operations)) {
        if (!inputShape) continue;
        const input = sample(model, inputShape as string, "", 0);
        const raw = JSON.parse(JSON.stringify(input, (_key, value: unknown) => (isBufferJson(value) ? BLOB.toString("base64") : value)));
        for (const form of [input, raw]) {
          const text = JSON.stringify(requestParameters(model, operation, form));
          for (const marker of [BLOB.toString("utf8"), BLOB.toString("base64"), BLOB.toString("hex"), SENSITIVE, DENIED]) {
            assert.ok(!text.includes(marker), `${name} ${operation}: ${marker} survived in ${text}`);
          }
        }
      }
    });
  }

  const requests: { name: string; model: ServiceModel; operation: string; input: unknown; expected: unknown }[] = [
    {
      name: "Encrypt keeps the key, context (keys as written) and algorithm, drops plaintext and grant tokens",
      model: KMS_MODEL,
      operation: "Encrypt",
      input: { KeyId: "alias/a", Plaintext: Buffer.from("p"), EncryptionContext: { Plaintext: "v", Dept: "x" }, GrantTokens: ["t"], EncryptionAlgorithm: "SYMMETRIC_DEFAULT" },
      expected: { keyId: "alias/a", encryptionContext: { Plaintext: "v", Dept: "x" }, encryptionAlgorithm: "SYMMETRIC_DEFAULT" },
    },
    {
      name: "a raw body that failed validation loses its base64 blob too",
      model: KMS_MODEL,
      operation: "Encrypt",
      input: { KeyId: "k", Plaintext: "c2VjcmV0", Unknown: "dropped" },
      expected: { keyId: "k" },
    },
    {
      name: "GenerateDataKey keeps keySpec and numberOfBytes",
      model: KMS_MODEL,
      operation: "GenerateDataKey",
      input: { KeyId: "k", KeySpec: "AES_256", NumberOfBytes: 32 },
      expected: { keyId: "k", keySpec: "AES_256", numberOfBytes: 32 },
    },
    {
      name: "Verify drops message and signature, keeps the algorithm",
      model: KMS_MODEL,
      operation: "Verify",
      input: { KeyId: "k", Message: Buffer.from("m"), Signature: Buffer.from("s"), MessageType: "RAW", SigningAlgorithm: "ECDSA_SHA_256" },
      expected: { keyId: "k", messageType: "RAW", signingAlgorithm: "ECDSA_SHA_256" },
    },
    {
      name: "ImportKeyMaterial drops token and material, writes ValidTo as CloudTrail does",
      model: KMS_MODEL,
      operation: "ImportKeyMaterial",
      input: { KeyId: "k", ImportToken: Buffer.from("t"), EncryptedKeyMaterial: Buffer.from("m"), ExpirationModel: "KEY_MATERIAL_EXPIRES", ValidTo: new Date(Date.UTC(2030, 0, 2, 15, 4, 5)) },
      expected: { keyId: "k", expirationModel: "KEY_MATERIAL_EXPIRES", validTo: "Jan 2, 2030, 3:04:05 PM" },
    },
    {
      name: "DeriveSharedSecret drops the peer public key and the attestation document",
      model: KMS_MODEL,
      operation: "DeriveSharedSecret",
      input: { KeyId: "k", KeyAgreementAlgorithm: "ECDH", PublicKey: Buffer.from("p"), Recipient: { KeyEncryptionAlgorithm: "RSAES_OAEP_SHA_256", AttestationDocument: Buffer.from("a") } },
      expected: { keyId: "k", keyAgreementAlgorithm: "ECDH", recipient: { keyEncryptionAlgorithm: "RSAES_OAEP_SHA_256" } },
    },
    {
      name: "CreateGrant keeps grant fields and constraints",
      model: KMS_MODEL,
      operation: "CreateGrant",
      input: { KeyId: "k", GranteePrincipal: "arn:aws:iam::111122223333:role/r", Operations: ["Decrypt"], Constraints: { EncryptionContextSubset: { Team: "a" } }, Name: "g" },
      expected: { keyId: "k", granteePrincipal: "arn:aws:iam::111122223333:role/r", operations: ["Decrypt"], constraints: { encryptionContextSubset: { Team: "a" } }, name: "g" },
    },
    {
      name: "an operation without parameters records null",
      model: KMS_MODEL,
      operation: "ListKeys",
      input: {},
      expected: null,
    },
    {
      name: "IAM CreateLoginProfile drops the (sensitive) password",
      model: IAM_MODEL,
      operation: "CreateLoginProfile",
      input: { UserName: "alice", Password: "hunter2hunter2", PasswordResetRequired: true },
      expected: { userName: "alice", passwordResetRequired: true },
    },
    {
      name: "STS AssumeRole drops the MFA token code, keeps role, session and policy",
      model: STS_MODEL,
      operation: "AssumeRole",
      input: { RoleArn: "arn:aws:iam::111122223333:role/r", RoleSessionName: "s", TokenCode: "123456", Policy: "{}", DurationSeconds: 900 },
      expected: { roleArn: "arn:aws:iam::111122223333:role/r", roleSessionName: "s", policy: "{}", durationSeconds: 900 },
    },
  ];
  for (const { name, model, operation, input, expected } of requests) {
    it(`request: ${name}`, () => assert.deepEqual(requestParameters(model, operation, input), expected));
  }

  const responses: { name: string; output: unknown; expected: unknown }[] = [
    {
      name: "GenerateDataKeyPair keeps the key id and spec, drops every key and ciphertext",
      output: { KeyId: "arn", KeyPairSpec: "RSA_2048", PrivateKeyPlaintext: new Uint8Array([1]), PrivateKeyCiphertextBlob: new Uint8Array([2]), PublicKey: new Uint8Array([3]) },
      expected: { keyId: "arn", keyPairSpec: "RSA_2048" },
    },
    {
      name: "AssumeRole keeps the access key id and expiration, drops the secret and session token",
      output: {
        Credentials: { AccessKeyId: "ASIA1", SecretAccessKey: "secret", SessionToken: "token", Expiration: new Date(Date.UTC(2024, 4, 1, 0, 30, 0)) },
        AssumedRoleUser: { AssumedRoleId: "AROA1:s", Arn: "arn:aws:sts::1:assumed-role/r/s" },
      },
      expected: {
        credentials: { accessKeyId: "ASIA1", expiration: "May 1, 2024, 12:30:00 AM" },
        assumedRoleUser: { assumedRoleId: "AROA1:s", arn: "arn:aws:sts::1:assumed-role/r/s" },
      },
    },
    {
      name: "CreateAccessKey drops the secret access key",
      output: { AccessKey: { UserName: "u", AccessKeyId: "AKIA1", Status: "Active", SecretAccessKey: "secret" } },
      expected: { accessKey: { userName: "u", accessKeyId: "AKIA1", status: "Active" } },
    },
    {
      name: "CreateGrant keeps the grant id, drops the grant token",
      output: { GrantId: "g1", GrantToken: "token" },
      expected: { grantId: "g1" },
    },
    {
      name: "a response member holding SecretBytes is dropped, and encryption context keys stay as written",
      output: { KeyId: "k", Secret: SecretBytes.copyOf(Buffer.from("x")), Constraints: { EncryptionContextSubset: { KeyName: "v" } } },
      expected: { keyId: "k", constraints: { encryptionContextSubset: { KeyName: "v" } } },
    },
    { name: "an empty response records null", output: {}, expected: null },
  ];
  for (const { name, output, expected } of responses) {
    it(`response: ${name}`, () => assert.deepEqual(responseElements(output), expected));
  }

  it("an encryption context key named __proto__ is recorded as written, as a member like any other", () => {
    const context = JSON.parse('{"__proto__": "v", "other": "w"}') as Record<string, string>;
    const recorded = requestParameters(KMS_MODEL, "Encrypt", { KeyId: "k", EncryptionContext: context });
    // Members come in canonical order (CloudTrail names sorted), as the record is written.
    assert.equal(JSON.stringify(recorded), '{"encryptionContext":{"__proto__":"v","other":"w"},"keyId":"k"}');
  });
});

function isBufferJson(value: unknown): boolean {
  return typeof value === "object" && value !== null && (value as { type?: unknown }).type === "Buffer" && Array.isArray((value as { data?: unknown }).data);
}
