// Request decoding and validation against the generated models (src/model/).
// Expected ValidationException messages marked "recorded" are AWS's own answers from
// the reference recordings (aws-kms-recorded/README.md, "Request validation and size limits").
// (`void`: node:test returns promises that the runner itself awaits.)
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AwsError } from "../src/errors.ts";
import {
  CLOUDTRAIL_MODEL,
  CLOUDTRAIL_OPERATIONS,
  decodeInput,
  isOperation,
  KMS_MODEL,
  KMS_OPERATIONS,
  type KmsOperation,
  type ServiceModel,
} from "../src/model/index.ts";
import { IAM_MODEL } from "../src/model/iam.generated.ts";
import { compileJavaPattern } from "../src/model/pattern.ts";
import { STS_MODEL } from "../src/model/sts.generated.ts";

const b64 = (bytes: number, fill = 0x61) => Buffer.alloc(bytes, fill).toString("base64");

// Runs decodeInput and returns the AWS error it throws (fails if it does not throw one).
function failure(operation: string, input: unknown, model: ServiceModel = KMS_MODEL): AwsError {
  try {
    decodeInput(model, operation, input);
  } catch (error) {
    assert.ok(error instanceof AwsError, `expected an AwsError, got ${String(error)}`);
    return error;
  }
  assert.fail(`${operation} ${JSON.stringify(input)} was accepted`);
}

void describe("recorded AWS ValidationException messages", () => {
  const cases: { name: string; operation: KmsOperation; input: unknown; message: string }[] = [
    {
      name: "GenerateRandom NumberOfBytes 0 (recorded)",
      operation: "GenerateRandom",
      input: { NumberOfBytes: 0 },
      message:
        "1 validation error detected: Value '0' at 'numberOfBytes' failed to satisfy constraint: Member must have value greater than or equal to 1",
    },
    {
      name: "GenerateRandom NumberOfBytes 1025 (recorded)",
      operation: "GenerateRandom",
      input: { NumberOfBytes: 1025 },
      message:
        "1 validation error detected: Value '1025' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024",
    },
    {
      name: "CreateKey tag key of 129 characters (recorded)",
      operation: "CreateKey",
      input: { Tags: [{ TagKey: "a".repeat(129), TagValue: "v" }] },
      message: `1 validation error detected: Value '${"a".repeat(129)}' at 'tags.1.member.tagKey' failed to satisfy constraint: Member must have length less than or equal to 128`,
    },
    {
      name: "CreateKey tag value of 257 characters (recorded)",
      operation: "CreateKey",
      input: { Tags: [{ TagKey: "k", TagValue: "v".repeat(257) }] },
      message: `1 validation error detected: Value '${"v".repeat(257)}' at 'tags.1.member.tagValue' failed to satisfy constraint: Member must have length less than or equal to 256`,
    },
    {
      name: "Encrypt plaintext over 4096 bytes: sensitive, no value (recorded)",
      operation: "Encrypt",
      input: { KeyId: "alias/k", Plaintext: b64(4097) },
      message:
        "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096",
    },
    {
      name: "GenerateMac unknown MacAlgorithm, AWS's enum order (recorded)",
      operation: "GenerateMac",
      input: { KeyId: "k", Message: b64(3), MacAlgorithm: "INVALID" },
      message:
        "1 validation error detected: Value 'INVALID' at 'macAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [HMAC_SHA_384, HMAC_SHA_256, HMAC_SHA_224, HMAC_SHA_512]",
    },
    {
      name: "DeriveSharedSecret unknown KeyAgreementAlgorithm (recorded)",
      operation: "DeriveSharedSecret",
      input: { KeyId: "k", KeyAgreementAlgorithm: "INVALID", PublicKey: b64(91) },
      message:
        "1 validation error detected: Value 'INVALID' at 'keyAgreementAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [ECDH]",
    },
  ];
  for (const c of cases) {
    void it(c.name, () => {
      const error = failure(c.operation, c.input);
      assert.equal(error.code, "ValidationException");
      assert.equal(error.status, 400);
      assert.equal(error.message, c.message);
    });
  }

  // Recorded in 2023; AWS has added values since, so only the form and the old values are checked.
  const enumCases = [
    {
      name: "CreateKey unknown KeySpec",
      input: { KeySpec: "HMAC_random" },
      prefix: "1 validation error detected: Value 'HMAC_random' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [",
      recorded: "RSA_2048, ECC_NIST_P384, ECC_NIST_P256, ECC_NIST_P521, HMAC_384, RSA_3072, ECC_SECG_P256K1, RSA_4096, SYMMETRIC_DEFAULT, HMAC_256, HMAC_224, HMAC_512",
    },
    {
      name: "CreateKey unknown KeyUsage",
      input: { KeyUsage: "RANDOM" },
      prefix: "1 validation error detected: Value 'RANDOM' at 'keyUsage' failed to satisfy constraint: Member must satisfy enum value set: [",
      recorded: "ENCRYPT_DECRYPT, SIGN_VERIFY, GENERATE_VERIFY_MAC",
    },
  ];
  for (const c of enumCases) {
    void it(`${c.name} (recorded form)`, () => {
      const { message } = failure("CreateKey", c.input);
      assert.ok(message.startsWith(c.prefix) && message.endsWith("]"), message);
      const values = message.slice(c.prefix.length, -1).split(", ");
      for (const value of c.recorded.split(", ")) assert.ok(values.includes(value), `${value} missing from ${message}`);
    });
  }
});

void describe("other constraint messages", () => {
  const cases: { name: string; operation: string; input: unknown; message: string; model?: ServiceModel }[] = [
    {
      name: "missing required member",
      operation: "DescribeKey",
      input: {},
      message: "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null",
    },
    {
      name: "explicit null counts as missing",
      operation: "DescribeKey",
      input: { KeyId: null },
      message: "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null",
    },
    {
      name: "several errors, in member order, joined by '; ' (sensitive null shows no value)",
      operation: "Encrypt",
      input: { EncryptionAlgorithm: "ROT13" },
      message:
        "3 validation errors detected: Value null at 'keyId' failed to satisfy constraint: Member must not be null; " +
        "Value at 'plaintext' failed to satisfy constraint: Member must not be null; " +
        "Value 'ROT13' at 'encryptionAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [SYMMETRIC_DEFAULT, RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256, SM2PKE]",
    },
    {
      name: "one member breaking two constraints gives two errors",
      operation: "CreateAlias",
      input: { AliasName: "", TargetKeyId: "k" },
      message:
        "2 validation errors detected: Value '' at 'aliasName' failed to satisfy constraint: Member must have length greater than or equal to 1; " +
        "Value '' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$",
    },
    {
      name: "pattern",
      operation: "CreateAlias",
      input: { AliasName: "alias/with space", TargetKeyId: "k" },
      message:
        "1 validation error detected: Value 'alias/with space' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$",
    },
    {
      name: "unanchored model patterns must match the whole value (Java matches())",
      operation: "CreateCustomKeyStore",
      input: { CustomKeyStoreName: "s", CloudHsmClusterId: "xcluster-abcdefghijkl" },
      message:
        "1 validation error detected: Value 'xcluster-abcdefghijkl' at 'cloudHsmClusterId' failed to satisfy constraint: Member must satisfy regular expression pattern: cluster-[2-7a-zA-Z]{11,16}",
    },
    {
      name: "non-sensitive blob shows Java's ByteBuffer, never the bytes",
      operation: "Decrypt",
      input: { CiphertextBlob: "" },
      message:
        "1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=0 cap=0]' at 'ciphertextBlob' failed to satisfy constraint: Member must have length greater than or equal to 1",
    },
    {
      name: "list length",
      operation: "StartQuery",
      model: CLOUDTRAIL_MODEL,
      input: { QueryParameters: Array.from({ length: 11 }, (_, i) => `p${i}`) },
      message:
        "1 validation error detected: Value '[p0, p1, p2, p3, p4, p5, p6, p7, p8, p9, p10]' at 'queryParameters' failed to satisfy constraint: Member must have length less than or equal to 10",
    },
    {
      name: "list items are reported once for the list, with all their constraints",
      operation: "StartQuery",
      model: CLOUDTRAIL_MODEL,
      input: { QueryParameters: ["", "ok", ""] },
      message:
        "1 validation error detected: Value '[, ok, ]' at 'queryParameters' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 1024, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: .*]",
    },
    {
      name: "grant tokens (never recorded, though not sensitive in the model) show no value: list length",
      operation: "Encrypt",
      input: { KeyId: "k", Plaintext: b64(1), GrantTokens: Array.from({ length: 11 }, (_, i) => `t${i}`) },
      message:
        "1 validation error detected: Value at 'grantTokens' failed to satisfy constraint: Member must have length less than or equal to 10",
    },
    {
      name: "grant tokens show no value: list items",
      operation: "Encrypt",
      input: { KeyId: "k", Plaintext: b64(1), GrantTokens: ["", "AQpAM2secretgranttoken"] },
      message:
        "1 validation error detected: Value at 'grantTokens' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 8192, Member must have length greater than or equal to 1]",
    },
    {
      name: "an MFA token code (never recorded, though not sensitive in the model) shows no value",
      operation: "GetSessionToken",
      model: STS_MODEL,
      input: { TokenCode: "12345x" },
      message: "1 validation error detected: Value at 'tokenCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\d]*",
    },
    {
      name: "MFA authentication codes show no value",
      operation: "EnableMFADevice",
      model: IAM_MODEL,
      input: { UserName: "u", SerialNumber: "arn:aws:iam::111111111111:mfa/u", AuthenticationCode1: "12345", AuthenticationCode2: "654321" },
      message: "1 validation error detected: Value at 'authenticationCode1' failed to satisfy constraint: Member must have length greater than or equal to 6",
    },
    {
      name: "a grant token shows no value (RetireGrant)",
      operation: "RetireGrant",
      input: { GrantToken: "" },
      message: "1 validation error detected: Value at 'grantToken' failed to satisfy constraint: Member must have length greater than or equal to 1",
    },
    {
      name: "list items with an enum",
      operation: "CreateGrant",
      input: { KeyId: "k", GranteePrincipal: "p", Operations: ["Decrypt", "Fly"] },
      message:
        "1 validation error detected: Value '[Decrypt, Fly]' at 'operations' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [Decrypt, Encrypt, GenerateDataKey, GenerateDataKeyWithoutPlaintext, ReEncryptFrom, ReEncryptTo, Sign, Verify, GetPublicKey, CreateGrant, RetireGrant, DescribeKey, GenerateDataKeyPair, GenerateDataKeyPairWithoutPlaintext, GenerateMac, VerifyMac, DeriveSharedSecret]]",
    },
  ];
  for (const c of cases) {
    void it(c.name, () => {
      const error = failure(c.operation, c.input, c.model);
      assert.equal(error.code, "ValidationException");
      assert.equal(error.message, c.message);
    });
  }

  void it("map keys and values are reported once for the map, keys first (CloudTrail)", () => {
    const error = failure(
      "ListInsightsData",
      { InsightSource: "arn", DataType: "InsightsEvents", Dimensions: { Bogus: "", Other: "" } },
      CLOUDTRAIL_MODEL,
    );
    assert.equal(
      error.message,
      "3 validation errors detected: Value '{Bogus=, Other=}' at 'dimensions' failed to satisfy constraint: Member must have length less than or equal to 1; " +
        "Value '{Bogus=, Other=}' at 'dimensions' failed to satisfy constraint: Map keys must satisfy constraint: [Member must satisfy enum value set: [EventId, EventName, EventSource]]; " +
        "Value '{Bogus=, Other=}' at 'dimensions' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 2000, Member must have length greater than or equal to 1]",
    );
  });

  void it("a container's own error comes before the errors inside it", () => {
    const tags = Array.from({ length: 201 }, () => ({ Key: "k" }));
    tags[1] = { Key: "" };
    const { message } = failure("CreateTrail", { Name: "t", S3BucketName: "b", TagsList: tags }, CLOUDTRAIL_MODEL);
    assert.match(message, /^2 validation errors detected: Value '\[\{Key=k\}, \{Key=\}, .*\]' at 'tagsList' failed to satisfy constraint: Member must have length less than or equal to 200; Value '' at 'tagsList.2.member.key' failed to satisfy constraint: Member must have length greater than or equal to 1$/);
  });

  void it("containers holding sensitive data never show their value", () => {
    const { message } = failure("CreateCustomKeyStore", {
      CustomKeyStoreName: "s",
      XksProxyAuthenticationCredential: { AccessKeyId: "short", RawSecretAccessKey: "secret-secret-secret-secret-secret-secret" },
    });
    assert.ok(!message.includes("short") && !message.includes("secret-"), message);
    assert.match(message, /Value at 'xksProxyAuthenticationCredential\.accessKeyId' failed to satisfy constraint: Member must have length greater than or equal to 20/);
  });

  void it("strings count UTF-16 code units", () => {
    assert.doesNotThrow(() => decodeInput(KMS_MODEL, "CreateKey", { Tags: [{ TagKey: "é".repeat(128), TagValue: "" }] }));
    const { message } = failure("CreateKey", { Tags: [{ TagKey: "😀".repeat(65), TagValue: "" }] });
    assert.match(message, /Member must have length less than or equal to 128$/);
  });
});

void describe("type mismatches are SerializationException", () => {
  const cases: { name: string; operation: KmsOperation; input: unknown; message: string }[] = [
    { name: "string for an integer", operation: "GenerateRandom", input: { NumberOfBytes: "5" }, message: "STRING_VALUE can not be converted to an Integer" },
    { name: "fraction for an integer", operation: "GenerateRandom", input: { NumberOfBytes: 1.5 }, message: "NUMBER_VALUE can not be converted to an Integer" },
    { name: "integer out of Java int range", operation: "GenerateRandom", input: { NumberOfBytes: 2 ** 31 }, message: "NUMBER_VALUE can not be converted to an Integer" },
    { name: "boolean for an integer", operation: "GenerateRandom", input: { NumberOfBytes: true }, message: "TRUE_VALUE can not be converted to an Integer" },
    { name: "number for a string", operation: "DescribeKey", input: { KeyId: 42 }, message: "NUMBER_VALUE can not be converted to a String" },
    { name: "false for a string", operation: "DescribeKey", input: { KeyId: false }, message: "FALSE_VALUE can not be converted to a String" },
    { name: "string for a boolean", operation: "Encrypt", input: { KeyId: "k", Plaintext: "AA==", DryRun: "true" }, message: "STRING_VALUE can not be converted to a Boolean" },
    { name: "list for a string", operation: "DescribeKey", input: { KeyId: ["k"] }, message: "Start of list found where not expected" },
    { name: "object for a string", operation: "DescribeKey", input: { KeyId: { id: "k" } }, message: "Start of structure or map found where not expected." },
    { name: "object for a list", operation: "CreateKey", input: { Tags: { TagKey: "k" } }, message: "Start of structure or map found where not expected." },
    { name: "string for a list", operation: "CreateKey", input: { Tags: "k=v" }, message: "Expected list or null" },
    { name: "list for a map", operation: "Encrypt", input: { KeyId: "k", Plaintext: "AA==", EncryptionContext: [] }, message: "Start of list found where not expected" },
    { name: "string for a map", operation: "Encrypt", input: { KeyId: "k", Plaintext: "AA==", EncryptionContext: "a=b" }, message: "Expected map or null" },
    { name: "number as a map value", operation: "Encrypt", input: { KeyId: "k", Plaintext: "AA==", EncryptionContext: { a: 1 } }, message: "NUMBER_VALUE can not be converted to a String" },
    { name: "string for a structure (list item)", operation: "CreateKey", input: { Tags: ["k=v"] }, message: "Expected null" },
    { name: "number for a blob", operation: "Encrypt", input: { KeyId: "k", Plaintext: 7 }, message: "NUMBER_VALUE can not be converted to a Blob" },
    { name: "string for a timestamp", operation: "ImportKeyMaterial", input: { KeyId: "k", ImportToken: "AA==", EncryptedKeyMaterial: "AA==", ValidTo: "tomorrow" }, message: "STRING_VALUE can not be converted to a Timestamp" },
    { name: "timestamp out of range", operation: "ImportKeyMaterial", input: { KeyId: "k", ImportToken: "AA==", EncryptedKeyMaterial: "AA==", ValidTo: 1e20 }, message: "NUMBER_VALUE can not be converted to a Timestamp" },
    { name: "array body", operation: "DescribeKey", input: [], message: "Start of list found where not expected" },
    { name: "string body", operation: "DescribeKey", input: "KeyId", message: "Expected null" },
    { name: "null body", operation: "DescribeKey", input: null, message: "Start of structure expected" },
  ];
  for (const c of cases) {
    void it(c.name, () => {
      const error = failure(c.operation, c.input);
      assert.equal(error.code, "SerializationException");
      assert.equal(error.message, c.message);
    });
  }

  void it("a type error wins over constraint errors found before it", () => {
    const error = failure("GenerateRandom", { NumberOfBytes: 0, CustomKeyStoreId: 5 });
    assert.equal(error.code, "SerializationException");
  });

  void it("unknown members are not type-checked", () => {
    assert.deepEqual(decodeInput(KMS_MODEL, "DescribeKey", { KeyId: "k", Extra: [{ deep: true }] }), { KeyId: "k" });
  });
});

void describe("base64 blobs", () => {
  const invalid: [string, string][] = [
    ["bad length", "QUJD="],
    ["invalid character", "QU*D"],
    ["URL-safe alphabet", "-_-_"],
    ["whitespace", "QUJD\nQUJD"],
    ["padding in the middle", "QQ==QUJD"],
    ["missing padding", "QUI"],
    ["non-zero unused bits", "QUJ="],
  ];
  for (const [name, text] of invalid) {
    void it(`rejects ${name} without echoing the value`, () => {
      const error = failure("Encrypt", { KeyId: "k", Plaintext: text });
      assert.equal(error.code, "SerializationException");
      assert.match(error.message, /^STRING_VALUE can not be converted to a Blob: /);
      assert.ok(!error.message.includes(text), error.message);
    });
  }

  void it("decodes to bytes, and length limits apply to the bytes", () => {
    const out = decodeInput(KMS_MODEL, "Encrypt", { KeyId: "k", Plaintext: b64(4096, 0xff) });
    assert.ok(out.Plaintext instanceof Uint8Array);
    assert.equal(out.Plaintext.byteLength, 4096);
    assert.ok(out.Plaintext.every((b) => b === 0xff));
  });
});

void describe("decoded output", () => {
  void it("keeps modelled members, decodes blobs and timestamps, drops unknown members", () => {
    const out = decodeInput(KMS_MODEL, "ImportKeyMaterial", {
      KeyId: "k",
      ImportToken: "aGVsbG8=",
      EncryptedKeyMaterial: "AAEC",
      ValidTo: 1700000000.5,
      ExpirationModel: "KEY_MATERIAL_EXPIRES",
      Unknown: "dropped",
      keyId: "member names are case-sensitive",
    });
    assert.deepEqual(out, {
      KeyId: "k",
      ImportToken: Buffer.from("hello"),
      EncryptedKeyMaterial: Buffer.from([0, 1, 2]),
      ValidTo: new Date(1700000000500),
      ExpirationModel: "KEY_MATERIAL_EXPIRES",
    });
  });

  void it("accepts ISO 8601 timestamps", () => {
    const out = decodeInput(CLOUDTRAIL_MODEL, "LookupEvents", { StartTime: "2024-01-02T03:04:05Z", EndTime: 1704164645 });
    assert.deepEqual(out, { StartTime: new Date("2024-01-02T03:04:05Z"), EndTime: new Date("2024-01-02T03:04:05Z") });
  });

  void it("copies nested structures, lists and maps; drops null items", () => {
    const out = decodeInput(KMS_MODEL, "CreateKey", {
      Tags: [{ TagKey: "a", TagValue: "b", Extra: 1 }, null],
      MultiRegion: false,
    });
    assert.deepEqual(out, { Tags: [{ TagKey: "a", TagValue: "b" }], MultiRegion: false });
  });

  void it("map keys are copied as own properties, even __proto__", () => {
    const input: unknown = JSON.parse('{"KeyId":"k","Plaintext":"AA==","EncryptionContext":{"__proto__":"x","a":"b"}}');
    const out = decodeInput(KMS_MODEL, "Encrypt", input);
    const context = out.EncryptionContext as Record<string, string>;
    assert.equal(Object.getPrototypeOf(context), Object.prototype);
    assert.deepEqual(Object.entries(context), [["__proto__", "x"], ["a", "b"]]);
  });

  void it("does not modify its input", () => {
    const input = { KeyId: "k", Plaintext: "AA==", Extra: 1 };
    decodeInput(KMS_MODEL, "Encrypt", input);
    assert.deepEqual(input, { KeyId: "k", Plaintext: "AA==", Extra: 1 });
  });

  void it("rejects unknown operations, including Object.prototype names", () => {
    assert.equal(failure("Nope", {}).code, "UnknownOperationException");
    assert.equal(failure("toString", {}).code, "UnknownOperationException");
  });
});

void describe("generated models", () => {
  const checkOperations = (model: ServiceModel, operations: readonly string[]) => {
    assert.deepEqual(Object.keys(model.operations), [...operations]);
    for (const op of operations) {
      assert.ok(isOperation(model, op));
      const input = model.operations[op] ?? null;
      assert.ok(input === null || model.shapes[input]?.type === "structure", `${op}: ${input}`);
      // Empty input may miss required members, but must not fail in any other way.
      try {
        decodeInput(model, op, {});
      } catch (error) {
        assert.ok(error instanceof AwsError && error.code === "ValidationException", `${op}: ${String(error)}`);
      }
    }
  };

  void it("list every operation with an input shape that exists", () => {
    checkOperations(KMS_MODEL, KMS_OPERATIONS);
    checkOperations(CLOUDTRAIL_MODEL, CLOUDTRAIL_OPERATIONS);
    assert.equal(KMS_MODEL.metadata.targetPrefix, "TrentService");
    assert.equal(KMS_OPERATIONS.length, 54);
    assert.ok(!isOperation(KMS_MODEL, "constructor"));
  });

  void it("have only patterns that compile", () => {
    for (const model of [KMS_MODEL, CLOUDTRAIL_MODEL]) {
      for (const [name, shape] of Object.entries(model.shapes)) {
        if (shape.pattern !== undefined) assert.ok(compileJavaPattern(shape.pattern), `${name}: ${shape.pattern}`);
      }
    }
  });
});

void describe("Java pattern translation", () => {
  const cases: [string, string, boolean][] = [
    ["[\\w+=,.@\\:-]*", "a:b@c", true], // `\:` is legal in Java, not in a `u` RegExp
    ["(?s).*", "line\nline", true], // leading inline flag
    ["[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+", "Ünïcode 1", true],
    ["[\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+", "no#hash", false],
    ["^[a-zA-Z0-9:/_\\s.-]+$", "a b", true],
    ["^[a-zA-Z0-9:/_\\s.-]+$", "a\u00a0b", false], // Java's \s is ASCII
    ["[0-9]{12}", "1234567890123", false], // whole value, not a substring
    ["\\p{Alpha}+", "abc", true],
    ["\\p{Alpha}+", "é", false], // Java's POSIX classes are ASCII
    ["[\\p{Punct}\\pL]+", "a!é", true],
  ];
  for (const [pattern, value, matches] of cases) {
    void it(`${pattern} ${matches ? "matches" : "rejects"} ${JSON.stringify(value)}`, () => {
      const regex = compileJavaPattern(pattern);
      assert.ok(regex);
      assert.equal(regex.test(value), matches);
    });
  }

  void it("returns undefined for what it cannot translate", () => {
    assert.equal(compileJavaPattern("\\p{InGreek}+"), undefined);
    assert.equal(compileJavaPattern("(?x) a"), undefined);
  });
});
