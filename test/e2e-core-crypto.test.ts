/**
 * End to end, through @aws-sdk/client-kms: symmetric cryptography. Round trips, the
 * encryption context, tampered ciphertexts, size limits, ReEncrypt, data keys,
 * GenerateRandom, DryRun, and what reaches the database file.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import {
  CreateAliasCommand,
  DecryptCommand,
  DisableKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateDataKeyWithoutPlaintextCommand,
  GenerateRandomCommand,
  ReEncryptCommand,
  type KMSClient,
} from "@aws-sdk/client-kms";
import { openSymmetric } from "../src/crypto/ciphertext.ts";
import { FileRootKey } from "../src/crypto/rootKey.ts";
import { KMS_MODEL } from "../src/model/kms.generated.ts";
import { expectAwsError, startKmsd, type Kmsd } from "./support/kmsd.ts";
import { bytes, createKey, keySnapshot, uniqueAlias, type CreatedKey } from "./support/e2e.ts";

const INCORRECT_KEY = "The key ID in the request does not identify a CMK that can perform this operation.";
const DRY_RUN = "The request would have succeeded, but the DryRun option is set.";
/** The operations of the core issue (asymmetric, HMAC, grants... have suites of their own). */
const CORE_OPERATIONS = [
  "CreateKey", "DescribeKey", "ListKeys", "Encrypt", "Decrypt", "ReEncrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext",
  "GenerateRandom", "EnableKey", "DisableKey", "ScheduleKeyDeletion", "CancelKeyDeletion", "UpdateKeyDescription", "CreateAlias",
  "UpdateAlias", "DeleteAlias", "ListAliases", "TagResource", "UntagResource", "ListResourceTags",
] as const;

describe("kmsd core: cryptography", () => {
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

  const encrypt = async (plaintext: Buffer, context?: Record<string, string>, keyId = key.KeyId) =>
    bytes((await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: plaintext, EncryptionContext: context }))).CiphertextBlob);

  describe("Encrypt and Decrypt", () => {
    it("round-trips with AWS's response fields: the key ARN, SYMMETRIC_DEFAULT and the key material id", async () => {
      const plaintext = Buffer.from("hello kmsd");
      const encrypted = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: plaintext }));
      assert.deepEqual(Object.keys(encrypted).filter((k) => k !== "$metadata").sort(), ["CiphertextBlob", "EncryptionAlgorithm", "KeyId"]);
      assert.equal(encrypted.KeyId, key.Arn);
      assert.equal(encrypted.EncryptionAlgorithm, "SYMMETRIC_DEFAULT");
      assert.ok(!bytes(encrypted.CiphertextBlob).includes(plaintext), "the ciphertext does not contain the plaintext");
      const decrypted = await kms.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob }));
      assert.deepEqual(bytes(decrypted.Plaintext), plaintext);
      assert.equal(decrypted.KeyId, key.Arn);
      assert.equal(decrypted.EncryptionAlgorithm, "SYMMETRIC_DEFAULT");
      assert.equal(decrypted.KeyMaterialId, key.CurrentKeyMaterialId);
    });

    it("Encrypt and Decrypt accept the key as key id, key ARN, alias name and alias ARN", async () => {
      const aliasName = uniqueAlias("crypto");
      await kms.send(new CreateAliasCommand({ AliasName: aliasName, TargetKeyId: key.KeyId }));
      const identifiers = [key.KeyId, key.Arn, aliasName, `arn:aws:kms:us-east-1:${kmsd.accountId}:${aliasName}`];
      for (const identifier of identifiers) {
        const blob = await encrypt(Buffer.from(identifier), undefined, identifier);
        const { Plaintext, KeyId } = await kms.send(new DecryptCommand({ CiphertextBlob: blob, KeyId: identifier }));
        assert.equal(bytes(Plaintext).toString(), identifier);
        assert.equal(KeyId, key.Arn);
      }
    });

    it("encrypting the same plaintext twice gives different ciphertexts", async () => {
      const a = await encrypt(Buffer.from("same"));
      const b = await encrypt(Buffer.from("same"));
      assert.notDeepEqual(a, b);
    });

    it("a plaintext of 4096 bytes round-trips; 4097 bytes is AWS's ValidationException, without echoing the plaintext", async () => {
      const largest = randomBytes(4096);
      const blob = await encrypt(largest);
      assert.deepEqual(bytes((await kms.send(new DecryptCommand({ CiphertextBlob: blob }))).Plaintext), largest);
      await expectAwsError(
        kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: randomBytes(4097) })),
        "ValidationException",
        "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096",
      );
    });

    it("an empty plaintext is ValidationException", async () => {
      await expectAwsError(
        kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: new Uint8Array() })),
        "ValidationException",
        "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length greater than or equal to 1",
      );
    });

    it("Decrypt with the KeyId of another key is IncorrectKeyException with AWS's message", async () => {
      const blob = await encrypt(Buffer.from("mine"));
      await expectAwsError(kms.send(new DecryptCommand({ CiphertextBlob: blob, KeyId: otherKey.KeyId })), "IncorrectKeyException", INCORRECT_KEY);
      await expectAwsError(kms.send(new DecryptCommand({ CiphertextBlob: blob, KeyId: otherKey.Arn })), "IncorrectKeyException", INCORRECT_KEY);
    });

    it("an EncryptionAlgorithm other than SYMMETRIC_DEFAULT is refused for a symmetric key", async () => {
      await expectAwsError(
        kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from("x"), EncryptionAlgorithm: "RSAES_OAEP_SHA_256" })),
        "InvalidKeyUsageException",
      );
    });
  });

  describe("the encryption context", () => {
    const context = { purpose: "test", tenant: "42" };

    it("decrypts with the same context, whatever the order of its pairs", async () => {
      const blob = await encrypt(Buffer.from("bound"), context);
      const { Plaintext } = await kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { tenant: "42", purpose: "test" } }));
      assert.equal(bytes(Plaintext).toString(), "bound");
    });

    it("a context value too long for the format is a ValidationException on Encrypt and GenerateDataKey (Decrypt: the opaque InvalidCiphertextException), never an internal error", async () => {
      const huge = { big: "x".repeat(70_000) };
      await expectAwsError(kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from("x"), EncryptionContext: huge })), "ValidationException", /encryption context is too large/);
      await expectAwsError(kms.send(new GenerateDataKeyCommand({ KeyId: key.KeyId, KeySpec: "AES_256", EncryptionContext: huge })), "ValidationException");
      const blob = await encrypt(Buffer.from("x"), context);
      await expectAwsError(kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: huge })), "InvalidCiphertextException");
    });

    const wrongContexts: [string, Record<string, string> | undefined][] = [
      ["no context", undefined],
      ["an empty context", {}],
      ["a different value", { purpose: "test", tenant: "43" }],
      ["a missing pair", { purpose: "test" }],
      ["an extra pair", { ...context, extra: "x" }],
      ["a key in another case", { Purpose: "test", tenant: "42" }],
    ];
    for (const [name, wrong] of wrongContexts) {
      it(`decrypting with ${name} is InvalidCiphertextException`, async () => {
        const blob = await encrypt(Buffer.from("bound"), context);
        await expectAwsError(kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: wrong })), "InvalidCiphertextException");
      });
    }

    it("a ciphertext made without a context does not decrypt with one", async () => {
      const blob = await encrypt(Buffer.from("unbound"));
      await expectAwsError(kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { a: "b" } })), "InvalidCiphertextException");
    });

    it('{"ab":"c"} and {"a":"bc"} are different contexts (and so are other concatenation look-alikes)', async () => {
      const pairs: [Record<string, string>, Record<string, string>][] = [
        [{ ab: "c" }, { a: "bc" }],
        [{ a: "b", c: "d" }, { a: "bc", "": "d" }],
        [{ a: "b=c" }, { "a=b": "c" }],
      ];
      for (const [encryptedWith, decryptedWith] of pairs) {
        const blob = await encrypt(Buffer.from("x"), encryptedWith);
        await expectAwsError(
          kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: decryptedWith })),
          "InvalidCiphertextException",
        );
        const { Plaintext } = await kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: encryptedWith }));
        assert.equal(bytes(Plaintext).toString(), "x");
      }
    });

    it("non-ASCII keys and values round-trip", async () => {
      const unicode = { "clé": "välue", "鍵": "値" };
      const blob = await encrypt(Buffer.from("u"), unicode);
      const { Plaintext } = await kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: unicode }));
      assert.equal(bytes(Plaintext).toString(), "u");
    });
  });

  describe("tampered ciphertexts", () => {
    it("changing any single byte of a ciphertext, at every position, is InvalidCiphertextException (AccessDeniedException where it names another key)", async () => {
      const context = { k: "v" };
      const blob = await encrypt(Buffer.from("t"), context);
      // Bytes 2-17 hold the key id, byte 1 its kind (0x01: an mrk- id): changed, the header names a key that does not exist.
      const namesAnotherKey = (position: number, mask: number) => (position >= 2 && position < 18) || (position === 1 && mask === 0x01);
      for (const mask of [0x01, 0x80]) {
        for (let position = 0; position < blob.length; position++) {
          const tampered = Buffer.from(blob);
          tampered[position] = (tampered[position] ?? 0) ^ mask;
          await expectAwsError(
            kms.send(new DecryptCommand({ CiphertextBlob: tampered, EncryptionContext: context })),
            namesAnotherKey(position, mask) ? "AccessDeniedException" : "InvalidCiphertextException",
          ).catch((error: Error) => {
            throw new Error(`byte ${position} ^ 0x${mask.toString(16)}: ${error.message}`);
          });
        }
      }
      // The original still decrypts: the failures above were the tampering, not the key.
      const { Plaintext } = await kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: context }));
      assert.equal(bytes(Plaintext).toString(), "t");
    });

    it("truncated and extended blobs are InvalidCiphertextException", async () => {
      const blob = await encrypt(Buffer.from("some plaintext"));
      const variants: [string, Buffer][] = [
        ["one byte short", blob.subarray(0, blob.length - 1)],
        ["without the tag", blob.subarray(0, blob.length - 16)],
        ["only the first byte", blob.subarray(0, 1)],
        ["half", blob.subarray(0, blob.length >> 1)],
        ["one byte longer", Buffer.concat([blob, Buffer.from([0])])],
        ["sixteen bytes longer", Buffer.concat([blob, randomBytes(16)])],
        ["twice over", Buffer.concat([blob, blob])],
        // The first byte is never the format version: random bytes would otherwise name a (missing) key now and then.
        ["random bytes of the same length", Buffer.concat([Buffer.from([0xff]), randomBytes(blob.length - 1)])],
      ];
      for (const [name, variant] of variants) {
        await expectAwsError(kms.send(new DecryptCommand({ CiphertextBlob: variant })), "InvalidCiphertextException").catch((error: Error) => {
          throw new Error(`${name}: ${error.message}`);
        });
      }
    });

    it("an empty blob, or one over 6144 bytes, is the model's ValidationException", async () => {
      await expectAwsError(
        kms.send(new DecryptCommand({ CiphertextBlob: new Uint8Array() })),
        "ValidationException",
        /at 'ciphertextBlob' failed to satisfy constraint: Member must have length greater than or equal to 1$/,
      );
      await expectAwsError(
        kms.send(new DecryptCommand({ CiphertextBlob: randomBytes(6145) })),
        "ValidationException",
        /at 'ciphertextBlob' failed to satisfy constraint: Member must have length less than or equal to 6144$/,
      );
    });
  });

  describe("ReEncrypt", () => {
    it("moves a ciphertext to another key and another context, with AWS's response fields", async () => {
      const blob = await encrypt(Buffer.from("moving"), { from: "a" });
      const reencrypted = await kms.send(
        new ReEncryptCommand({
          CiphertextBlob: blob,
          SourceEncryptionContext: { from: "a" },
          DestinationKeyId: otherKey.KeyId,
          DestinationEncryptionContext: { to: "b" },
        }),
      );
      assert.equal(reencrypted.KeyId, otherKey.Arn);
      assert.equal(reencrypted.SourceKeyId, key.Arn);
      assert.equal(reencrypted.SourceEncryptionAlgorithm, "SYMMETRIC_DEFAULT");
      assert.equal(reencrypted.DestinationEncryptionAlgorithm, "SYMMETRIC_DEFAULT");
      assert.equal(reencrypted.SourceKeyMaterialId, key.CurrentKeyMaterialId);
      assert.equal(reencrypted.DestinationKeyMaterialId, otherKey.CurrentKeyMaterialId);
      assert.ok(!("Plaintext" in reencrypted), "ReEncrypt never returns the plaintext");
      const moved = reencrypted.CiphertextBlob;
      const { Plaintext, KeyId } = await kms.send(new DecryptCommand({ CiphertextBlob: moved, EncryptionContext: { to: "b" } }));
      assert.equal(bytes(Plaintext).toString(), "moving");
      assert.equal(KeyId, otherKey.Arn);
      await expectAwsError(kms.send(new DecryptCommand({ CiphertextBlob: moved, EncryptionContext: { from: "a" } })), "InvalidCiphertextException");
      await expectAwsError(kms.send(new DecryptCommand({ CiphertextBlob: moved, KeyId: key.KeyId, EncryptionContext: { to: "b" } })), "IncorrectKeyException", INCORRECT_KEY);
    });

    it("re-encrypts under the same key to change only the context", async () => {
      const blob = await encrypt(Buffer.from("same key"), { v: "1" });
      const { CiphertextBlob } = await kms.send(
        new ReEncryptCommand({ CiphertextBlob: blob, SourceEncryptionContext: { v: "1" }, DestinationKeyId: key.Arn, DestinationEncryptionContext: { v: "2" } }),
      );
      const { Plaintext } = await kms.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: { v: "2" } }));
      assert.equal(bytes(Plaintext).toString(), "same key");
    });

    it("the wrong source context is InvalidCiphertextException, and a SourceKeyId of another key is IncorrectKeyException", async () => {
      const blob = await encrypt(Buffer.from("x"), { v: "1" });
      await expectAwsError(
        kms.send(new ReEncryptCommand({ CiphertextBlob: blob, SourceEncryptionContext: { v: "2" }, DestinationKeyId: otherKey.KeyId })),
        "InvalidCiphertextException",
      );
      await expectAwsError(
        kms.send(new ReEncryptCommand({ CiphertextBlob: blob, SourceKeyId: otherKey.KeyId, SourceEncryptionContext: { v: "1" }, DestinationKeyId: otherKey.KeyId })),
        "IncorrectKeyException",
        INCORRECT_KEY,
      );
    });
  });

  describe("GenerateDataKey", () => {
    const sizes: [string, { KeySpec?: "AES_128" | "AES_256"; NumberOfBytes?: number }, number][] = [
      ["KeySpec AES_128", { KeySpec: "AES_128" }, 16],
      ["KeySpec AES_256", { KeySpec: "AES_256" }, 32],
      ["NumberOfBytes 1", { NumberOfBytes: 1 }, 1],
      ["NumberOfBytes 1024", { NumberOfBytes: 1024 }, 1024],
    ];
    for (const [name, spec, length] of sizes) {
      it(`${name} gives a ${length}-byte data key whose ciphertext decrypts to it`, async () => {
        const context = { file: name };
        const generated = await kms.send(new GenerateDataKeyCommand({ KeyId: key.KeyId, EncryptionContext: context, ...spec }));
        assert.equal(generated.KeyId, key.Arn);
        assert.equal(generated.KeyMaterialId, key.CurrentKeyMaterialId);
        const plaintext = bytes(generated.Plaintext);
        assert.equal(plaintext.length, length);
        const { Plaintext } = await kms.send(new DecryptCommand({ CiphertextBlob: generated.CiphertextBlob, EncryptionContext: context }));
        assert.deepEqual(bytes(Plaintext), plaintext);
        await expectAwsError(kms.send(new DecryptCommand({ CiphertextBlob: generated.CiphertextBlob })), "InvalidCiphertextException");
      });
    }

    it("two data keys are never the same", async () => {
      const a = await kms.send(new GenerateDataKeyCommand({ KeyId: key.KeyId, KeySpec: "AES_256" }));
      const b = await kms.send(new GenerateDataKeyCommand({ KeyId: key.KeyId, KeySpec: "AES_256" }));
      assert.notDeepEqual(bytes(a.Plaintext), bytes(b.Plaintext));
    });

    const invalid: [string, { KeySpec?: "AES_128" | "AES_256"; NumberOfBytes?: number }, string][] = [
      ["neither KeySpec nor NumberOfBytes", {}, "Please specify either number of bytes or key spec."],
      ["both KeySpec and NumberOfBytes", { KeySpec: "AES_256", NumberOfBytes: 32 }, "Please specify either number of bytes or key spec."],
      ["NumberOfBytes 0", { NumberOfBytes: 0 }, "1 validation error detected: Value '0' at 'numberOfBytes' failed to satisfy constraint: Member must have value greater than or equal to 1"],
      ["NumberOfBytes 1025", { NumberOfBytes: 1025 }, "1 validation error detected: Value '1025' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024"],
    ];
    for (const [name, spec, message] of invalid) {
      it(`${name} is ValidationException, for both data key operations`, async () => {
        await expectAwsError(kms.send(new GenerateDataKeyCommand({ KeyId: key.KeyId, ...spec })), "ValidationException", message);
        await expectAwsError(kms.send(new GenerateDataKeyWithoutPlaintextCommand({ KeyId: key.KeyId, ...spec })), "ValidationException", message);
      });
    }

    it("an unknown KeySpec is the model's enum ValidationException", async () => {
      await expectAwsError(
        kms.send(new GenerateDataKeyCommand({ KeyId: key.KeyId, KeySpec: "AES_512" as "AES_256" })),
        "ValidationException",
        "1 validation error detected: Value 'AES_512' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]",
      );
    });

    it("GenerateDataKeyWithoutPlaintext returns no plaintext, and its ciphertext decrypts to a key of the asked size", async () => {
      const generated = await kms.send(new GenerateDataKeyWithoutPlaintextCommand({ KeyId: key.KeyId, KeySpec: "AES_128", EncryptionContext: { a: "b" } }));
      assert.equal(generated.KeyId, key.Arn);
      assert.ok(!("Plaintext" in generated), "no Plaintext member");
      const { Plaintext } = await kms.send(new DecryptCommand({ CiphertextBlob: generated.CiphertextBlob, EncryptionContext: { a: "b" } }));
      assert.equal(bytes(Plaintext).length, 16);
    });
  });

  describe("GenerateRandom", () => {
    for (const length of [1, 12, 44, 91, 1024]) {
      it(`returns ${length} random bytes`, async () => {
        const { Plaintext } = await kms.send(new GenerateRandomCommand({ NumberOfBytes: length }));
        assert.equal(bytes(Plaintext).length, length);
      });
    }

    it("two calls return different bytes", async () => {
      const a = await kms.send(new GenerateRandomCommand({ NumberOfBytes: 32 }));
      const b = await kms.send(new GenerateRandomCommand({ NumberOfBytes: 32 }));
      assert.notDeepEqual(bytes(a.Plaintext), bytes(b.Plaintext));
    });

    const invalid: [string, number | undefined, string][] = [
      ["0 bytes", 0, "1 validation error detected: Value '0' at 'numberOfBytes' failed to satisfy constraint: Member must have value greater than or equal to 1"],
      ["1025 bytes", 1025, "1 validation error detected: Value '1025' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024"],
      ["a missing NumberOfBytes", undefined, "NumberOfBytes is required."],
    ];
    for (const [name, numberOfBytes, message] of invalid) {
      it(`${name} is AWS's ValidationException`, async () => {
        await expectAwsError(kms.send(new GenerateRandomCommand({ NumberOfBytes: numberOfBytes })), "ValidationException", message);
      });
    }
  });

  describe("DryRun", () => {
    /** Every implemented operation with a DryRun member, and a request that would succeed. */
    const dryRuns: Record<string, () => Promise<unknown>> = {
      Encrypt: () => kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from("x"), DryRun: true })),
      Decrypt: async () => kms.send(new DecryptCommand({ CiphertextBlob: await encrypt(Buffer.from("x")), DryRun: true })),
      ReEncrypt: async () =>
        kms.send(new ReEncryptCommand({ CiphertextBlob: await encrypt(Buffer.from("x")), DestinationKeyId: otherKey.KeyId, DryRun: true })),
      GenerateDataKey: () => kms.send(new GenerateDataKeyCommand({ KeyId: key.KeyId, KeySpec: "AES_256", DryRun: true })),
      GenerateDataKeyWithoutPlaintext: () =>
        kms.send(new GenerateDataKeyWithoutPlaintextCommand({ KeyId: key.KeyId, NumberOfBytes: 8, DryRun: true })),
    };

    it("covers every core operation whose model input has DryRun", () => {
      const withDryRun = CORE_OPERATIONS.filter((operation) => {
        const shapeName = (KMS_MODEL.operations as Record<string, string | null>)[operation];
        return shapeName ? "DryRun" in (KMS_MODEL.shapes[shapeName]?.members ?? {}) : false;
      });
      assert.deepEqual(Object.keys(dryRuns).sort(), withDryRun.sort(), "add a DryRun case for each operation listed");
    });

    for (const [operation, call] of Object.entries(dryRuns)) {
      it(`${operation} with DryRun answers DryRunOperationException with AWS's message and changes nothing`, async () => {
        const before = [await keySnapshot(kms, key.KeyId), await keySnapshot(kms, otherKey.KeyId)];
        await expectAwsError(call(), "DryRunOperationException", DRY_RUN);
        assert.deepEqual([await keySnapshot(kms, key.KeyId), await keySnapshot(kms, otherKey.KeyId)], before);
      });
    }

    it("a DryRun that would fail answers the real error, not DryRunOperationException", async () => {
      const disabled = await createKey(kms);
      const blob = await encrypt(Buffer.from("x"), { a: "b" }, disabled.KeyId);
      await kms.send(new DisableKeyCommand({ KeyId: disabled.KeyId }));
      await expectAwsError(
        kms.send(new EncryptCommand({ KeyId: disabled.KeyId, Plaintext: Buffer.from("x"), DryRun: true })),
        "DisabledException",
        `${disabled.Arn} is disabled.`,
      );
      await expectAwsError(kms.send(new DecryptCommand({ CiphertextBlob: blob, DryRun: true })), "DisabledException");
      const good = await encrypt(Buffer.from("x"), { a: "b" });
      await expectAwsError(kms.send(new DecryptCommand({ CiphertextBlob: good, DryRun: true })), "InvalidCiphertextException");
      await expectAwsError(
        kms.send(new GenerateDataKeyCommand({ KeyId: key.KeyId, DryRun: true })),
        "ValidationException",
        "Please specify either number of bytes or key spec.",
      );
    });
  });

  describe("DryRun with DryRunModifiers IGNORE_CIPHERTEXT", () => {
    const ignore = { DryRun: true, DryRunModifiers: ["IGNORE_CIPHERTEXT" as const] };

    it("Decrypt and ReEncrypt check only the named keys: no ciphertext, or a garbled one, is DryRunOperationException", async () => {
      await expectAwsError(kms.send(new DecryptCommand({ KeyId: key.KeyId, ...ignore })), "DryRunOperationException", DRY_RUN);
      await expectAwsError(kms.send(new DecryptCommand({ KeyId: key.KeyId, CiphertextBlob: Buffer.from("garbage"), ...ignore })), "DryRunOperationException", DRY_RUN);
      await expectAwsError(
        kms.send(new ReEncryptCommand({ SourceKeyId: key.KeyId, DestinationKeyId: otherKey.KeyId, ...ignore })),
        "DryRunOperationException",
        DRY_RUN,
      );
    });

    it("the named keys must allow the operation: a disabled key or a missing KeyId is the real error", async () => {
      const disabled = await createKey(kms);
      await kms.send(new DisableKeyCommand({ KeyId: disabled.KeyId }));
      await expectAwsError(kms.send(new DecryptCommand({ KeyId: disabled.KeyId, ...ignore })), "DisabledException");
      await expectAwsError(
        kms.send(new ReEncryptCommand({ SourceKeyId: key.KeyId, DestinationKeyId: disabled.KeyId, ...ignore })),
        "DisabledException",
      );
      await expectAwsError(kms.send(new DecryptCommand({ ...ignore })), "ValidationException", /KeyId is required/);
      await expectAwsError(kms.send(new ReEncryptCommand({ DestinationKeyId: otherKey.KeyId, ...ignore })), "ValidationException", /SourceKeyId is required/);
    });

    it("without DryRun the modifier changes nothing: a garbled ciphertext is InvalidCiphertextException", async () => {
      await expectAwsError(
        kms.send(new DecryptCommand({ KeyId: key.KeyId, CiphertextBlob: Buffer.from("garbage"), DryRunModifiers: ["IGNORE_CIPHERTEXT"] })),
        "InvalidCiphertextException",
      );
    });
  });

  describe("the database file", () => {
    function databaseBytes(): Buffer {
      const files = ["kmsd.db", "kmsd.db-wal"].map((name) => {
        try {
          return readFileSync(join(kmsd.dataDir, name));
        } catch {
          return Buffer.alloc(0);
        }
      });
      return Buffer.concat(files);
    }

    it("holds none of the plaintexts sent to Encrypt nor the data keys GenerateDataKey returned", async () => {
      const secrets: Buffer[] = [];
      for (let i = 0; i < 5; i++) {
        const plaintext = randomBytes(48);
        secrets.push(plaintext);
        await encrypt(plaintext, { i: String(i) });
        const generated = await kms.send(new GenerateDataKeyCommand({ KeyId: key.KeyId, KeySpec: "AES_256" }));
        secrets.push(bytes(generated.Plaintext));
      }
      const db = databaseBytes();
      assert.ok(db.length > 0);
      for (const secret of secrets) {
        // A 16-byte window suffices: any copy of the secret would contain it.
        assert.equal(db.indexOf(secret.subarray(0, 16)), -1, "a secret's bytes are in the database file");
      }
    });

    it("holds key material only wrapped: the unwrapped material (which really decrypts) is nowhere in the file", async () => {
      // The test plays the attacker who also stole the root key file, to get the real material for the search.
      const rootKey = FileRootKey.load(join(kmsd.dataDir, "root.key"));
      const reader = new DatabaseSync(join(kmsd.dataDir, "kmsd.db"), { readOnly: true });
      let rows: { key_id: string; key_material_id: string; wrapped: Uint8Array }[];
      try {
        rows = reader.prepare("SELECT key_id, key_material_id, wrapped FROM key_materials WHERE key_id = ?").all(key.KeyId) as typeof rows;
      } finally {
        reader.close();
      }
      assert.equal(rows.length, 1);
      const row = rows[0]!;
      const material = rootKey.unwrap(Buffer.from(row.wrapped), Buffer.from(`${key.Arn}\n${row.key_material_id}`, "utf8"));
      const blob = await encrypt(Buffer.from("proof"), { p: "q" });
      assert.equal(openSymmetric(material, blob, { p: "q" }).toString(), "proof", "the unwrapped material is the key's");
      const db = databaseBytes();
      assert.equal(db.indexOf(material), -1, "the key's material is in the database file unwrapped");
      assert.equal(db.indexOf(material.subarray(0, 16)), -1);
    });
  });
});
