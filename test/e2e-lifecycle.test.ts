/**
 * End to end, through @aws-sdk/client-kms, with time moved by the --dev clock: automatic
 * and on-demand rotation, imported key material (both wrapping families, both expiration
 * models, expiry, re-import, every import error), manual rotation through an alias, and
 * AWS managed keys (created on first use, immutable, rotated yearly). Expected answers
 * follow the recordings of real AWS in /work/shared/reference/aws-kms-recorded.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash, createHmac, createPublicKey, randomBytes, verify as nodeVerify, constants } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CancelKeyDeletionCommand,
  DeleteAliasCommand,
  UntagResourceCommand,
  PutKeyPolicyCommand,
  CreateAliasCommand,
  DecryptCommand,
  DeleteImportedKeyMaterialCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  DisableKeyRotationCommand,
  EnableKeyCommand,
  EnableKeyRotationCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateMacCommand,
  GetKeyPolicyCommand,
  GetKeyRotationStatusCommand,
  GetParametersForImportCommand,
  GetPublicKeyCommand,
  ImportKeyMaterialCommand,
  ListAliasesCommand,
  ListKeyRotationsCommand,
  RotateKeyOnDemandCommand,
  ScheduleKeyDeletionCommand,
  SignCommand,
  TagResourceCommand,
  UpdateAliasCommand,
  UpdateKeyDescriptionCommand,
  VerifyMacCommand,
  type KMSClient,
  type KeyMetadata,
  type ListKeyRotationsCommandOutput,
  type WrappingKeySpec,
} from "@aws-sdk/client-kms";
import { createAccount, credentialsOf, expectAwsError, rawRequest, startKmsd, type Kmsd } from "./support/kmsd.ts";
import { bytes, createKey, keySnapshot, uniqueAlias } from "./support/e2e.ts";
import {
  allRotations,
  backdateRotation,
  createExternalKey,
  DAY_MS,
  DAY_SECONDS,
  eventually,
  generatePrivateKey,
  importKeyMaterial,
  serverNowMs,
  wrapKeyMaterial,
  type WrappingAlgorithm,
} from "./support/lifecycle.ts";

/** The member names of an SDK answer, sorted, without `$metadata`. */
function fieldsOf(output: object): string[] {
  return Object.keys(output)
    .filter((name) => name !== "$metadata")
    .sort();
}

async function describeKey(kms: KMSClient, keyId: string): Promise<KeyMetadata> {
  const { KeyMetadata: metadata } = await kms.send(new DescribeKeyCommand({ KeyId: keyId }));
  assert.ok(metadata);
  return metadata;
}

async function encrypt(kms: KMSClient, keyId: string, text: string): Promise<{ blob: Buffer; keyId: string | undefined }> {
  const answer = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from(text) }));
  return { blob: bytes(answer.CiphertextBlob), keyId: answer.KeyId };
}

async function decrypt(kms: KMSClient, blob: Uint8Array): Promise<{ text: string; keyId: string | undefined; keyMaterialId: string | undefined }> {
  const answer = await kms.send(new DecryptCommand({ CiphertextBlob: blob }));
  return { text: bytes(answer.Plaintext).toString(), keyId: answer.KeyId, keyMaterialId: answer.KeyMaterialId };
}

/** The KeyMetadata fields of a symmetric key, as recorded (`test_import_key_symmetric`, `test_create_key`). */
const SYMMETRIC_FIELDS = [
  "AWSAccountId", "Arn", "CreationDate", "CustomerMasterKeySpec", "Description", "Enabled", "EncryptionAlgorithms",
  "KeyId", "KeyManager", "KeySpec", "KeyState", "KeyUsage", "MultiRegion", "Origin",
];

const pendingImport = (arn: string) => `${arn} is pending import.`;

void describe("kmsd key lifecycle", () => {
  let kmsd: Kmsd;
  let kms: KMSClient;
  before(async () => {
    kmsd = await startKmsd({ dev: true });
    kms = kmsd.kms();
  });
  after(async () => kmsd.dispose());

  void describe("automatic rotation settings", () => {
    for (const period of [undefined, 90, 2560]) {
      void it(`EnableKeyRotation with RotationPeriodInDays ${period ?? "omitted"} sets a ${period ?? 365}-day schedule that GetKeyRotationStatus shows`, async () => {
        const key = await createKey(kms);
        const disabled = await kms.send(new GetKeyRotationStatusCommand({ KeyId: key.KeyId }));
        assert.deepEqual(fieldsOf(disabled), ["KeyId", "KeyRotationEnabled"], "rotation off: only KeyId and KeyRotationEnabled");
        assert.equal(disabled.KeyRotationEnabled, false);
        assert.equal(disabled.KeyId, key.Arn);

        const enabledAt = await serverNowMs(kmsd);
        await kms.send(new EnableKeyRotationCommand({ KeyId: key.KeyId, RotationPeriodInDays: period }));
        const enabled = await kms.send(new GetKeyRotationStatusCommand({ KeyId: key.KeyId }));
        assert.deepEqual(fieldsOf(enabled), ["KeyId", "KeyRotationEnabled", "NextRotationDate", "RotationPeriodInDays"]);
        assert.equal(enabled.KeyRotationEnabled, true);
        assert.equal(enabled.RotationPeriodInDays, period ?? 365);
        const next = enabled.NextRotationDate?.getTime() ?? 0;
        const expected = enabledAt + (period ?? 365) * DAY_MS;
        assert.ok(Math.abs(next - expected) < 5000, `NextRotationDate ${enabled.NextRotationDate?.toISOString()} is one period after enabling`);

        await kms.send(new DisableKeyRotationCommand({ KeyId: key.KeyId }));
        const off = await kms.send(new GetKeyRotationStatusCommand({ KeyId: key.KeyId }));
        assert.deepEqual(fieldsOf(off), ["KeyId", "KeyRotationEnabled"]);
        assert.equal(off.KeyRotationEnabled, false);
      });
    }

    for (const [period, bound] of [
      [89, "greater than or equal to 90"],
      [2561, "less than or equal to 2560"],
    ] as const) {
      void it(`RotationPeriodInDays ${period} is a ValidationException and leaves rotation off`, async () => {
        const key = await createKey(kms);
        await expectAwsError(
          kms.send(new EnableKeyRotationCommand({ KeyId: key.KeyId, RotationPeriodInDays: period })),
          "ValidationException",
          `1 validation error detected: Value '${period}' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value ${bound}`,
        );
        assert.equal((await kms.send(new GetKeyRotationStatusCommand({ KeyId: key.KeyId }))).KeyRotationEnabled, false);
      });
    }

    void it("GetKeyRotationStatus of an asymmetric or HMAC key answers KeyRotationEnabled false, as AWS does", async () => {
      for (const input of [
        { KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY" },
        { KeySpec: "RSA_2048", KeyUsage: "ENCRYPT_DECRYPT" },
        { KeySpec: "HMAC_256", KeyUsage: "GENERATE_VERIFY_MAC" },
      ] as const) {
        const key = await createKey(kms, input);
        const status = await kms.send(new GetKeyRotationStatusCommand({ KeyId: key.KeyId }));
        assert.deepEqual(fieldsOf(status), ["KeyId", "KeyRotationEnabled"], input.KeySpec);
        assert.equal(status.KeyRotationEnabled, false);
        assert.equal(status.KeyId, key.Arn);
      }
    });

    void it("while a key is pending deletion its rotation status reads false and it is not rotated; CancelKeyDeletion restores the status", async () => {
      const key = await createKey(kms);
      await kms.send(new EnableKeyRotationCommand({ KeyId: key.KeyId, RotationPeriodInDays: 90 }));
      await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 30 }));
      const pending = await kms.send(new GetKeyRotationStatusCommand({ KeyId: key.KeyId }));
      assert.deepEqual(fieldsOf(pending), ["KeyId", "KeyRotationEnabled"]);
      assert.equal(pending.KeyRotationEnabled, false);
      await expectAwsError(kms.send(new EnableKeyRotationCommand({ KeyId: key.KeyId })), "KMSInvalidStateException", `${key.Arn} is pending deletion.`);
      await kms.send(new CancelKeyDeletionCommand({ KeyId: key.KeyId }));
      const restored = await kms.send(new GetKeyRotationStatusCommand({ KeyId: key.KeyId }));
      assert.equal(restored.KeyRotationEnabled, true);
      assert.equal(restored.RotationPeriodInDays, 90);
      await expectAwsError(kms.send(new DisableKeyRotationCommand({ KeyId: key.KeyId })), "DisabledException", `${key.Arn} is disabled.`);
    });

    void it("EnableKeyRotation and DisableKeyRotation refuse keys that cannot rotate automatically", async () => {
      const hmac = await createKey(kms, { KeySpec: "HMAC_256", KeyUsage: "GENERATE_VERIFY_MAC" });
      const external = await createExternalKey(kms);
      for (const command of [EnableKeyRotationCommand, DisableKeyRotationCommand]) {
        await expectAwsError(kms.send(new command({ KeyId: hmac.KeyId })), "UnsupportedOperationException");
        await expectAwsError(
          kms.send(new command({ KeyId: external.KeyId })),
          "UnsupportedOperationException",
          `${external.Arn} origin is EXTERNAL which is not valid for this operation.`,
        );
      }
    });
  });

  void describe("automatic rotation with the dev clock", () => {
    void it("after the period a new KeyMaterialId becomes current, exactly once per due date; old ciphertexts still decrypt", async () => {
      const key = await createKey(kms);
      const first = key.CurrentKeyMaterialId;
      assert.match(first ?? "", /^[0-9a-f]{64}$/);
      const before = await encrypt(kms, key.KeyId, "before rotation");
      await kms.send(new EnableKeyRotationCommand({ KeyId: key.KeyId, RotationPeriodInDays: 90 }));

      await kmsd.advanceClock(89 * DAY_SECONDS);
      assert.equal((await describeKey(kms, key.KeyId)).CurrentKeyMaterialId, first, "not rotated before the due date");
      assert.deepEqual(await allRotations(kms, key.KeyId), []);

      const { epochSeconds } = await kmsd.advanceClock(DAY_SECONDS + 60);
      const second = (await describeKey(kms, key.KeyId)).CurrentKeyMaterialId;
      assert.match(second ?? "", /^[0-9a-f]{64}$/);
      assert.notEqual(second, first, "a new key material is current");
      const rotations = await allRotations(kms, key.KeyId);
      assert.equal(rotations.length, 1, "exactly one rotation");
      const [rotation] = rotations;
      assert.deepEqual(fieldsOf(rotation ?? {}), ["KeyId", "KeyMaterialId", "KeyMaterialState", "RotationDate", "RotationType"]);
      assert.equal(rotation?.KeyMaterialState, "CURRENT");
      assert.equal(rotation?.KeyId, key.Arn);
      assert.equal(rotation?.KeyMaterialId, second);
      assert.equal(rotation?.RotationType, "AUTOMATIC");
      const rotatedAt = rotation?.RotationDate?.getTime() ?? 0;
      assert.ok(Math.abs(rotatedAt - epochSeconds * 1000) < 5000, "RotationDate is the server time of the rotation");
      const status = await kms.send(new GetKeyRotationStatusCommand({ KeyId: key.KeyId }));
      assert.ok(Math.abs((status.NextRotationDate?.getTime() ?? 0) - (rotatedAt + 90 * DAY_MS)) < 5000, "the next date moved on one period");

      const old = await decrypt(kms, before.blob);
      assert.equal(old.text, "before rotation");
      assert.equal(old.keyMaterialId, first, "the old ciphertext is decrypted with the old material");
      const fresh = await encrypt(kms, key.KeyId, "after rotation");
      const opened = await decrypt(kms, fresh.blob);
      assert.equal(opened.text, "after rotation");
      assert.equal(opened.keyMaterialId, second, "new ciphertexts use the new material");

      await kmsd.advanceClock(89 * DAY_SECONDS);
      assert.equal((await allRotations(kms, key.KeyId)).length, 1, "less than a period later: no new rotation");
      assert.equal((await describeKey(kms, key.KeyId)).CurrentKeyMaterialId, second);

      await kmsd.advanceClock(DAY_SECONDS + 60);
      const third = await allRotations(kms, key.KeyId);
      assert.equal(third.length, 2, "the next due date rotates once more");
      assert.deepEqual(
        third.map((entry) => entry.RotationType),
        ["AUTOMATIC", "AUTOMATIC"],
      );
      assert.equal((await decrypt(kms, before.blob)).keyMaterialId, first, "the first material still decrypts after two rotations");
      assert.equal((await decrypt(kms, fresh.blob)).keyMaterialId, second);
    });

    void it("a key with rotation disabled, or a disabled key, is not rotated; re-enabled past its date it rotates", async () => {
      const off = await createKey(kms);
      await kms.send(new EnableKeyRotationCommand({ KeyId: off.KeyId, RotationPeriodInDays: 90 }));
      await kms.send(new DisableKeyRotationCommand({ KeyId: off.KeyId }));
      const disabled = await createKey(kms);
      await kms.send(new EnableKeyRotationCommand({ KeyId: disabled.KeyId, RotationPeriodInDays: 90 }));
      await kms.send(new DisableKeyCommand({ KeyId: disabled.KeyId }));

      await kmsd.advanceClock(100 * DAY_SECONDS);
      assert.deepEqual(await allRotations(kms, off.KeyId), []);
      assert.equal((await describeKey(kms, off.KeyId)).CurrentKeyMaterialId, off.CurrentKeyMaterialId);
      assert.deepEqual(await allRotations(kms, disabled.KeyId), []);
      assert.equal((await describeKey(kms, disabled.KeyId)).CurrentKeyMaterialId, disabled.CurrentKeyMaterialId);

      await kms.send(new EnableKeyCommand({ KeyId: disabled.KeyId }));
      await kmsd.advanceClock(0);
      const rotations = await allRotations(kms, disabled.KeyId);
      assert.equal(rotations.length, 1, "rotated once when enabled again past its rotation date");
      assert.notEqual((await describeKey(kms, disabled.KeyId)).CurrentKeyMaterialId, disabled.CurrentKeyMaterialId);
    });
  });

  void describe("on-demand rotation", () => {
    void it("RotateKeyOnDemand answers the key ARN, adds ON_DEMAND entries, and every version keeps decrypting", async () => {
      const key = await createKey(kms);
      const blobs = [await encrypt(kms, key.KeyId, "version 0")];
      const materials = [key.CurrentKeyMaterialId];
      for (let version = 1; version <= 3; version++) {
        const rotated = await kms.send(new RotateKeyOnDemandCommand({ KeyId: key.KeyId }));
        assert.deepEqual(fieldsOf(rotated), ["KeyId"]);
        assert.equal(rotated.KeyId, key.Arn, "the answer names the key by ARN although the request used the key id");
        materials.push((await describeKey(kms, key.KeyId)).CurrentKeyMaterialId);
        blobs.push(await encrypt(kms, key.KeyId, `version ${version}`));
      }
      assert.equal(new Set(materials).size, 4, "each rotation made a new material current");
      const rotations = await allRotations(kms, key.KeyId);
      assert.deepEqual(
        rotations.map((entry) => [entry.KeyMaterialId, entry.RotationType]),
        materials.slice(1).map((id) => [id, "ON_DEMAND"]),
      );
      for (const [version, { blob }] of blobs.entries()) {
        const opened = await decrypt(kms, blob);
        assert.equal(opened.text, `version ${version}`);
        assert.equal(opened.keyMaterialId, materials[version]);
      }
      // As recorded: on-demand rotation leaves the automatic rotation status alone.
      const status = await kms.send(new GetKeyRotationStatusCommand({ KeyId: key.KeyId }));
      assert.deepEqual(fieldsOf(status), ["KeyId", "KeyRotationEnabled"]);
      assert.equal(status.KeyRotationEnabled, false);
    });

    void it("ListKeyRotations marks each version CURRENT or NON_CURRENT; ALL_KEY_MATERIAL adds the first material, without a rotation date", async () => {
      const key = await createKey(kms);
      await kms.send(new RotateKeyOnDemandCommand({ KeyId: key.KeyId }));
      const current = (await describeKey(kms, key.KeyId)).CurrentKeyMaterialId;
      const rotationsOnly = (await kms.send(new ListKeyRotationsCommand({ KeyId: key.KeyId }))).Rotations ?? [];
      assert.deepEqual(
        rotationsOnly.map((entry) => [entry.KeyMaterialId, entry.KeyMaterialState, entry.RotationType]),
        [[current, "CURRENT", "ON_DEMAND"]],
      );
      assert.equal(rotationsOnly[0]?.ImportState, undefined, "import fields only for imported keys");
      const all = (await kms.send(new ListKeyRotationsCommand({ KeyId: key.KeyId, IncludeKeyMaterial: "ALL_KEY_MATERIAL" }))).Rotations ?? [];
      assert.deepEqual(
        all.map((entry) => [entry.KeyMaterialId, entry.KeyMaterialState, entry.RotationType, entry.RotationDate === undefined]),
        [
          [key.CurrentKeyMaterialId, "NON_CURRENT", undefined, true],
          [current, "CURRENT", "ON_DEMAND", false],
        ],
      );
    });

    void it("on-demand rotation does not move the automatic schedule", async () => {
      const key = await createKey(kms);
      await kms.send(new EnableKeyRotationCommand({ KeyId: key.KeyId }));
      const before = await kms.send(new GetKeyRotationStatusCommand({ KeyId: key.KeyId }));
      await kms.send(new RotateKeyOnDemandCommand({ KeyId: key.Arn }));
      const after = await kms.send(new GetKeyRotationStatusCommand({ KeyId: key.KeyId }));
      assert.deepEqual(fieldsOf(after), ["KeyId", "KeyRotationEnabled", "NextRotationDate", "RotationPeriodInDays"]);
      assert.equal(after.RotationPeriodInDays, 365);
      assert.deepEqual(after.NextRotationDate, before.NextRotationDate);
    });

    // AWS's limit is 25 rotations (the API reference; it was 10 when the error was recorded).
    void it("the 26th on-demand rotation is the recorded LimitExceededException", async () => {
      const key = await createKey(kms);
      for (let i = 0; i < 25; i++) await kms.send(new RotateKeyOnDemandCommand({ KeyId: key.KeyId }));
      const current = (await describeKey(kms, key.KeyId)).CurrentKeyMaterialId;
      await expectAwsError(
        kms.send(new RotateKeyOnDemandCommand({ KeyId: key.KeyId })),
        "LimitExceededException",
        `The on-demand rotations limit has been reached for the given keyId. No more on-demand rotations can be performed for this key: ${key.Arn}`,
      );
      assert.equal((await describeKey(kms, key.KeyId)).CurrentKeyMaterialId, current, "the refused rotation changed nothing");
      assert.equal((await allRotations(kms, key.KeyId)).length, 25);
    });

    for (const [label, spec, usage] of [
      ["an RSA encryption key", "RSA_2048", "ENCRYPT_DECRYPT"],
      ["an ECC signing key", "ECC_NIST_P256", "SIGN_VERIFY"],
      ["an HMAC key", "HMAC_256", "GENERATE_VERIFY_MAC"],
    ] as const) {
      void it(`RotateKeyOnDemand on ${label} is UnsupportedOperationException with no message, as recorded`, async () => {
        const key = await createKey(kms, { KeySpec: spec, KeyUsage: usage });
        await expectAwsError(kms.send(new RotateKeyOnDemandCommand({ KeyId: key.KeyId })), "UnsupportedOperationException");
        const answer = await rawRequest(kmsd.endpoint, {
          target: "TrentService.RotateKeyOnDemand",
          body: JSON.stringify({ KeyId: key.KeyId }),
          sign: { credentials: kmsd.credentials },
        });
        assert.equal(answer.status, 400);
        assert.deepEqual(answer.json(), { __type: "UnsupportedOperationException" });
      });
    }

    void it("a disabled key answers DisabledException before the key-spec check (state wins, as recorded)", async () => {
      for (const input of [{}, { KeySpec: "RSA_2048", KeyUsage: "ENCRYPT_DECRYPT" }] as const) {
        const key = await createKey(kms, input);
        await kms.send(new DisableKeyCommand({ KeyId: key.KeyId }));
        await expectAwsError(kms.send(new RotateKeyOnDemandCommand({ KeyId: key.KeyId })), "DisabledException", `${key.Arn} is disabled.`);
      }
    });

    void it("a key pending deletion answers KMSInvalidStateException", async () => {
      const key = await createKey(kms);
      await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));
      await expectAwsError(
        kms.send(new RotateKeyOnDemandCommand({ KeyId: key.KeyId })),
        "KMSInvalidStateException",
        `${key.Arn} is pending deletion.`,
      );
    });

    void it("an unknown key is the recorded NotFoundException", async () => {
      const keyId = "6f1c4a5e-2b3d-4e5f-8a9b-0c1d2e3f4a5b";
      await expectAwsError(
        kms.send(new RotateKeyOnDemandCommand({ KeyId: keyId })),
        "NotFoundException",
        `Key 'arn:aws:kms:us-east-1:${kmsd.accountId}:key/${keyId}' does not exist`,
      );
    });

    void it("ListKeyRotations pages with Limit and Marker, oldest first", async () => {
      const key = await createKey(kms);
      for (let i = 0; i < 5; i++) await kms.send(new RotateKeyOnDemandCommand({ KeyId: key.KeyId }));
      const everything = await kms.send(new ListKeyRotationsCommand({ KeyId: key.KeyId }));
      assert.equal(everything.Rotations?.length, 5);
      assert.equal(everything.Truncated, false);
      assert.equal(everything.NextMarker, undefined);
      const dates = (everything.Rotations ?? []).map((entry) => entry.RotationDate?.getTime() ?? 0);
      assert.deepEqual(dates, [...dates].sort((a, b) => a - b));

      const first = await kms.send(new ListKeyRotationsCommand({ KeyId: key.KeyId, Limit: 2 }));
      assert.equal(first.Rotations?.length, 2);
      assert.equal(first.Truncated, true);
      assert.ok(first.NextMarker);
      const pages: (number | undefined)[] = [first.Rotations?.length];
      let marker: string | undefined = first.NextMarker;
      const collected = [...(first.Rotations ?? [])];
      while (marker) {
        const page: ListKeyRotationsCommandOutput = await kms.send(new ListKeyRotationsCommand({ KeyId: key.KeyId, Limit: 2, Marker: marker }));
        collected.push(...(page.Rotations ?? []));
        pages.push(page.Rotations?.length);
        marker = page.Truncated ? page.NextMarker : undefined;
        if (!page.Truncated) assert.equal(page.NextMarker, undefined);
      }
      assert.deepEqual(pages, [2, 2, 1]);
      assert.deepEqual(collected, everything.Rotations);
      // The newest version is the current one.
      assert.equal(collected.at(-1)?.KeyMaterialId, (await describeKey(kms, key.KeyId)).CurrentKeyMaterialId);
    });
  });

  void describe("imported key material: the full cycle", () => {
    const cycles: { algorithm: WrappingAlgorithm; wrappingKeySpec: WrappingKeySpec; expires: boolean }[] = [
      { algorithm: "RSAES_OAEP_SHA_1", wrappingKeySpec: "RSA_2048", expires: false },
      { algorithm: "RSAES_OAEP_SHA_256", wrappingKeySpec: "RSA_3072", expires: true },
      { algorithm: "RSA_AES_KEY_WRAP_SHA_1", wrappingKeySpec: "RSA_3072", expires: true },
      // The one RSA_4096 wrapping key of the suite (generating it takes a while).
      { algorithm: "RSA_AES_KEY_WRAP_SHA_256", wrappingKeySpec: "RSA_4096", expires: false },
    ];
    for (const { algorithm, wrappingKeySpec, expires } of cycles) {
      void it(`${algorithm} with an ${wrappingKeySpec} wrapping key, ${expires ? "KEY_MATERIAL_EXPIRES" : "KEY_MATERIAL_DOES_NOT_EXPIRE"}: import, use, delete, re-import`, async () => {
        const key = await createExternalKey(kms, { Description: "imported" });
        // As recorded (`created-key`, `describe-key-before-import`): PendingImport, not enabled, no material id.
        assert.deepEqual(Object.keys(key).sort(), SYMMETRIC_FIELDS);
        assert.equal(key.KeyState, "PendingImport");
        assert.equal(key.Enabled, false);
        assert.equal(key.Origin, "EXTERNAL");
        assert.deepEqual(await describeKey(kms, key.KeyId), key);
        await expectAwsError(encrypt(kms, key.KeyId, "x"), "KMSInvalidStateException", pendingImport(key.Arn));

        const now = await serverNowMs(kmsd);
        const parameters = await kms.send(
          new GetParametersForImportCommand({ KeyId: key.KeyId, WrappingAlgorithm: algorithm, WrappingKeySpec: wrappingKeySpec }),
        );
        assert.deepEqual(fieldsOf(parameters), ["ImportToken", "KeyId", "ParametersValidTo", "PublicKey"]);
        assert.equal(parameters.KeyId, key.Arn);
        const validFor = (parameters.ParametersValidTo?.getTime() ?? 0) - now;
        assert.ok(Math.abs(validFor - DAY_MS) < 5000, `the parameters are valid 24 hours (${validFor} ms)`);
        const wrappingKey = createPublicKey({ key: bytes(parameters.PublicKey), format: "der", type: "spki" });
        assert.equal(wrappingKey.asymmetricKeyType, "rsa");
        assert.equal(wrappingKey.asymmetricKeyDetails?.modulusLength, Number(wrappingKeySpec.slice(4)));

        const material = randomBytes(32);
        const validTo = expires ? new Date(Math.floor(now / 1000) * 1000 + 30 * DAY_MS) : undefined;
        const imported = await kms.send(
          new ImportKeyMaterialCommand({
            KeyId: key.KeyId,
            ImportToken: parameters.ImportToken,
            EncryptedKeyMaterial: wrapKeyMaterial(bytes(parameters.PublicKey), algorithm, material),
            ExpirationModel: expires ? "KEY_MATERIAL_EXPIRES" : "KEY_MATERIAL_DOES_NOT_EXPIRE",
            ValidTo: validTo,
          }),
        );
        assert.deepEqual(fieldsOf(imported), ["KeyId", "KeyMaterialId"]);
        assert.equal(imported.KeyId, key.Arn);
        assert.match(imported.KeyMaterialId ?? "", /^[0-9a-f]{64}$/);

        const afterImport = await describeKey(kms, key.KeyId);
        assert.deepEqual(
          Object.keys(afterImport).sort(),
          [...SYMMETRIC_FIELDS, "CurrentKeyMaterialId", "ExpirationModel", ...(expires ? ["ValidTo"] : [])].sort(),
        );
        assert.equal(afterImport.KeyState, "Enabled");
        assert.equal(afterImport.Enabled, true);
        assert.equal(afterImport.CurrentKeyMaterialId, imported.KeyMaterialId);
        assert.equal(afterImport.ExpirationModel, expires ? "KEY_MATERIAL_EXPIRES" : "KEY_MATERIAL_DOES_NOT_EXPIRE");
        assert.deepEqual(afterImport.ValidTo, validTo);

        const sealed = await encrypt(kms, key.KeyId, `sealed with ${algorithm}`);
        assert.equal(sealed.keyId, key.Arn);
        const opened = await decrypt(kms, sealed.blob);
        assert.equal(opened.text, `sealed with ${algorithm}`);
        assert.equal(opened.keyMaterialId, imported.KeyMaterialId);

        const deleted = await kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: key.KeyId }));
        assert.equal(deleted.KeyId, key.Arn);
        assert.equal(deleted.KeyMaterialId, imported.KeyMaterialId);
        // As recorded (`describe-key-after-deleted-import`): PendingImport, no ExpirationModel, CurrentKeyMaterialId kept.
        const afterDelete = await describeKey(kms, key.KeyId);
        assert.deepEqual(Object.keys(afterDelete).sort(), [...SYMMETRIC_FIELDS, "CurrentKeyMaterialId"].sort());
        assert.equal(afterDelete.KeyState, "PendingImport");
        assert.equal(afterDelete.Enabled, false);
        assert.equal(afterDelete.CurrentKeyMaterialId, imported.KeyMaterialId);
        await expectAwsError(encrypt(kms, key.KeyId, "x"), "KMSInvalidStateException", pendingImport(key.Arn));
        await expectAwsError(decrypt(kms, sealed.blob), "KMSInvalidStateException", pendingImport(key.Arn));

        // Re-importing the same material (with other wrapping parameters) restores the ciphertext.
        const again = await importKeyMaterial(kms, key.KeyId, material);
        assert.equal(again.KeyMaterialId, imported.KeyMaterialId, "the same material has the same KeyMaterialId");
        assert.equal((await describeKey(kms, key.KeyId)).KeyState, "Enabled");
        assert.equal((await decrypt(kms, sealed.blob)).text, `sealed with ${algorithm}`);
      });
    }

    void it("re-importing the same material restores every earlier ciphertext, including those of rotated material", async () => {
      const key = await createExternalKey(kms);
      const first = randomBytes(32);
      const second = randomBytes(32);
      const one = await importKeyMaterial(kms, key.KeyId, first);
      const blobOne = await encrypt(kms, key.KeyId, "one");
      const two = await importKeyMaterial(kms, key.KeyId, second, { importType: "NEW_KEY_MATERIAL" });
      await kms.send(new RotateKeyOnDemandCommand({ KeyId: key.KeyId }));
      const blobTwo = await encrypt(kms, key.KeyId, "two");
      assert.equal((await decrypt(kms, blobTwo.blob)).keyMaterialId, two.KeyMaterialId);

      await kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: key.KeyId }));
      await expectAwsError(decrypt(kms, blobOne.blob), "KMSInvalidStateException", pendingImport(key.Arn));

      await importKeyMaterial(kms, key.KeyId, second);
      assert.equal((await describeKey(kms, key.KeyId)).KeyState, "Enabled", "the current material makes the key usable again");
      assert.equal((await decrypt(kms, blobTwo.blob)).text, "two");
      await importKeyMaterial(kms, key.KeyId, first);
      const opened = await decrypt(kms, blobOne.blob);
      assert.equal(opened.text, "one");
      assert.equal(opened.keyMaterialId, one.KeyMaterialId);
      assert.equal((await describeKey(kms, key.KeyId)).CurrentKeyMaterialId, two.KeyMaterialId, "re-importing old material does not make it current");
    });

    void it("ListKeyRotations with ALL_KEY_MATERIAL shows each imported material's description, import state and the material pending rotation", async () => {
      const key = await createExternalKey(kms);
      const now = await serverNowMs(kmsd);
      const validTo = new Date(Math.floor(now / 1000) * 1000 + 30 * DAY_MS);
      const first = await importKeyMaterial(kms, key.KeyId, randomBytes(32), {
        expirationModel: "KEY_MATERIAL_EXPIRES",
        validTo,
        keyMaterialDescription: "first material",
      });
      const second = await importKeyMaterial(kms, key.KeyId, randomBytes(32), { importType: "NEW_KEY_MATERIAL", keyMaterialDescription: "for rotation" });
      const list = async (include?: "ALL_KEY_MATERIAL") =>
        (await kms.send(new ListKeyRotationsCommand({ KeyId: key.KeyId, ...(include ? { IncludeKeyMaterial: include } : {}) }))).Rotations ?? [];
      assert.deepEqual(await list(), [], "no rotation yet");
      assert.deepEqual(await list("ALL_KEY_MATERIAL"), [
        {
          KeyId: key.Arn,
          KeyMaterialId: first.KeyMaterialId,
          KeyMaterialDescription: "first material",
          KeyMaterialState: "CURRENT",
          ImportState: "IMPORTED",
          ExpirationModel: "KEY_MATERIAL_EXPIRES",
          ValidTo: validTo,
        },
        {
          KeyId: key.Arn,
          KeyMaterialId: second.KeyMaterialId,
          KeyMaterialDescription: "for rotation",
          KeyMaterialState: "PENDING_ROTATION",
          ImportState: "IMPORTED",
          ExpirationModel: "KEY_MATERIAL_EXPIRES",
          ValidTo: validTo,
        },
      ]);
      await kms.send(new RotateKeyOnDemandCommand({ KeyId: key.KeyId }));
      const rotated = await list("ALL_KEY_MATERIAL");
      assert.deepEqual(
        rotated.map((entry) => [entry.KeyMaterialId, entry.KeyMaterialDescription, entry.KeyMaterialState, entry.RotationType]),
        [
          [first.KeyMaterialId, "first material", "NON_CURRENT", undefined],
          [second.KeyMaterialId, "for rotation", "CURRENT", "ON_DEMAND"],
        ],
      );
      await kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: key.KeyId }));
      assert.deepEqual(
        (await list("ALL_KEY_MATERIAL")).map((entry) => [entry.ImportState, entry.ExpirationModel]),
        [
          ["PENDING_IMPORT", undefined],
          ["PENDING_IMPORT", undefined],
        ],
      );
    });

    void it("a KeyMaterialId is stable for one key and material, differs between keys that share material, and is not a hash of the material", async () => {
      const material = randomBytes(32);
      const first = await createExternalKey(kms);
      const second = await createExternalKey(kms);
      const imported = await importKeyMaterial(kms, first.KeyId, material);
      const again = await importKeyMaterial(kms, first.KeyId, material);
      const elsewhere = await importKeyMaterial(kms, second.KeyId, material);
      assert.match(imported.KeyMaterialId ?? "", /^[0-9a-f]{64}$/);
      assert.equal(again.KeyMaterialId, imported.KeyMaterialId, "re-importing is recognised");
      assert.notEqual(elsewhere.KeyMaterialId, imported.KeyMaterialId, "ids do not tell that two keys share material");
      for (const digest of [createHash("sha256").update(material).digest("hex"), createHmac("sha256", material).update("kmsd key material id").digest("hex")]) {
        assert.notEqual(imported.KeyMaterialId, digest, "the id cannot be computed from the material");
      }
    });

    void it("DeleteImportedKeyMaterial with a KeyMaterialId: pending material goes alone, current material takes the key to PendingImport, an unknown id is NotFoundException", async () => {
      const key = await createExternalKey(kms);
      const current = await importKeyMaterial(kms, key.KeyId, randomBytes(32));
      const pending = await importKeyMaterial(kms, key.KeyId, randomBytes(32), { importType: "NEW_KEY_MATERIAL" });
      const sealed = await encrypt(kms, key.KeyId, "kept");

      const unknown = "0".repeat(64);
      await expectAwsError(kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: key.KeyId, KeyMaterialId: unknown })), "NotFoundException");
      assert.equal((await describeKey(kms, key.KeyId)).KeyState, "Enabled", "an unknown id changes nothing");

      const deletedPending = await kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: key.KeyId, KeyMaterialId: pending.KeyMaterialId }));
      assert.equal(deletedPending.KeyMaterialId, pending.KeyMaterialId);
      assert.equal((await describeKey(kms, key.KeyId)).KeyState, "Enabled", "the key keeps its current material");
      assert.equal((await decrypt(kms, sealed.blob)).text, "kept");
      const listed = (await kms.send(new ListKeyRotationsCommand({ KeyId: key.KeyId, IncludeKeyMaterial: "ALL_KEY_MATERIAL" }))).Rotations ?? [];
      assert.deepEqual(listed.map((entry) => entry.KeyMaterialState), ["CURRENT"], "no material pending rotation");
      // Other material may now be staged in its place.
      await importKeyMaterial(kms, key.KeyId, randomBytes(32), { importType: "NEW_KEY_MATERIAL" });

      const deletedCurrent = await kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: key.KeyId, KeyMaterialId: current.KeyMaterialId }));
      assert.equal(deletedCurrent.KeyMaterialId, current.KeyMaterialId);
      assert.equal((await describeKey(kms, key.KeyId)).KeyState, "PendingImport");
    });

    void it("material that expires: when ValidTo passes the key returns to PendingImport; re-importing restores its ciphertexts", async () => {
      const key = await createExternalKey(kms);
      const material = randomBytes(32);
      const now = await serverNowMs(kmsd);
      const validTo = new Date(Math.floor(now / 1000) * 1000 + 2 * DAY_MS);
      await importKeyMaterial(kms, key.KeyId, material, { expirationModel: "KEY_MATERIAL_EXPIRES", validTo });
      const described = await describeKey(kms, key.KeyId);
      assert.equal(described.ExpirationModel, "KEY_MATERIAL_EXPIRES");
      assert.deepEqual(described.ValidTo, validTo);
      const sealed = await encrypt(kms, key.KeyId, "expiring");

      await kmsd.advanceClock(DAY_SECONDS);
      assert.equal((await describeKey(kms, key.KeyId)).KeyState, "Enabled", "still usable before ValidTo");
      assert.equal((await decrypt(kms, sealed.blob)).text, "expiring");

      await kmsd.advanceClock(DAY_SECONDS + 1);
      const expired = await describeKey(kms, key.KeyId);
      assert.equal(expired.KeyState, "PendingImport");
      assert.equal(expired.Enabled, false);
      assert.equal(expired.ExpirationModel, undefined);
      assert.equal(expired.ValidTo, undefined);
      assert.equal(expired.CurrentKeyMaterialId, described.CurrentKeyMaterialId);
      await expectAwsError(decrypt(kms, sealed.blob), "KMSInvalidStateException", pendingImport(key.Arn));
      await expectAwsError(encrypt(kms, key.KeyId, "x"), "KMSInvalidStateException", pendingImport(key.Arn));

      await importKeyMaterial(kms, key.KeyId, material);
      assert.equal((await describeKey(kms, key.KeyId)).KeyState, "Enabled");
      assert.equal((await decrypt(kms, sealed.blob)).text, "expiring");
    });
  });

  void describe("imported key material: errors", () => {
    void it("an import token older than 24 hours is ExpiredImportTokenException", async () => {
      const key = await createExternalKey(kms);
      const parameters = await kms.send(
        new GetParametersForImportCommand({ KeyId: key.KeyId, WrappingAlgorithm: "RSAES_OAEP_SHA_256", WrappingKeySpec: "RSA_2048" }),
      );
      await kmsd.advanceClock(DAY_SECONDS + 1);
      await expectAwsError(
        kms.send(
          new ImportKeyMaterialCommand({
            KeyId: key.KeyId,
            ImportToken: parameters.ImportToken,
            EncryptedKeyMaterial: wrapKeyMaterial(bytes(parameters.PublicKey), "RSAES_OAEP_SHA_256", randomBytes(32)),
            ExpirationModel: "KEY_MATERIAL_DOES_NOT_EXPIRE",
          }),
        ),
        "ExpiredImportTokenException",
      );
      assert.equal((await describeKey(kms, key.KeyId)).KeyState, "PendingImport");
    });

    void it("a token of another key, or a garbled token, is InvalidImportTokenException", async () => {
      const key = await createExternalKey(kms);
      const other = await createExternalKey(kms);
      const parameters = await kms.send(
        new GetParametersForImportCommand({ KeyId: other.KeyId, WrappingAlgorithm: "RSAES_OAEP_SHA_256", WrappingKeySpec: "RSA_2048" }),
      );
      const wrapped = wrapKeyMaterial(bytes(parameters.PublicKey), "RSAES_OAEP_SHA_256", randomBytes(32));
      const token = bytes(parameters.ImportToken);
      const garbled = Buffer.from(token);
      garbled[garbled.length >> 1] = (garbled[garbled.length >> 1] ?? 0) ^ 0xff;
      for (const [label, keyId, importToken] of [
        ["another key's token", key.KeyId, token],
        ["a garbled token", other.KeyId, garbled],
        ["random bytes", other.KeyId, randomBytes(200)],
      ] as const) {
        await expectAwsError(
          kms.send(
            new ImportKeyMaterialCommand({
              KeyId: keyId,
              ImportToken: importToken,
              EncryptedKeyMaterial: wrapped,
              ExpirationModel: "KEY_MATERIAL_DOES_NOT_EXPIRE",
            }),
          ),
          "InvalidImportTokenException",
        ).catch((error: unknown) => assert.fail(`${label}: ${String(error)}`));
      }
    });

    void it("material that does not unwrap is InvalidCiphertextException", async () => {
      const key = await createExternalKey(kms);
      for (const algorithm of ["RSAES_OAEP_SHA_256", "RSA_AES_KEY_WRAP_SHA_256"] as const) {
        const parameters = await kms.send(
          new GetParametersForImportCommand({ KeyId: key.KeyId, WrappingAlgorithm: algorithm, WrappingKeySpec: "RSA_2048" }),
        );
        const strangers = await kms.send(
          new GetParametersForImportCommand({ KeyId: key.KeyId, WrappingAlgorithm: algorithm, WrappingKeySpec: "RSA_2048" }),
        );
        const otherHash = algorithm === "RSAES_OAEP_SHA_256" ? "RSAES_OAEP_SHA_1" : "RSA_AES_KEY_WRAP_SHA_1";
        for (const encrypted of [
          randomBytes(256),
          wrapKeyMaterial(bytes(strangers.PublicKey), algorithm, randomBytes(32)),
          wrapKeyMaterial(bytes(parameters.PublicKey), otherHash, randomBytes(32)),
        ]) {
          await expectAwsError(
            kms.send(
              new ImportKeyMaterialCommand({
                KeyId: key.KeyId,
                ImportToken: parameters.ImportToken,
                EncryptedKeyMaterial: encrypted,
                ExpirationModel: "KEY_MATERIAL_DOES_NOT_EXPIRE",
              }),
            ),
            "InvalidCiphertextException",
          );
        }
      }
      assert.equal((await describeKey(kms, key.KeyId)).KeyState, "PendingImport");
    });

    void it("material that differs from the key's is IncorrectKeyMaterialException (while imported and after deletion)", async () => {
      const key = await createExternalKey(kms);
      await importKeyMaterial(kms, key.KeyId, randomBytes(32));
      await expectAwsError(importKeyMaterial(kms, key.KeyId, randomBytes(32)), "IncorrectKeyMaterialException");
      await expectAwsError(
        importKeyMaterial(kms, key.KeyId, randomBytes(32), { importType: "EXISTING_KEY_MATERIAL" }),
        "IncorrectKeyMaterialException",
      );
      await kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: key.KeyId }));
      await expectAwsError(importKeyMaterial(kms, key.KeyId, randomBytes(32)), "IncorrectKeyMaterialException");
      assert.equal((await describeKey(kms, key.KeyId)).KeyState, "PendingImport");
    });

    for (const length of [16, 31, 33, 64]) {
      void it(`symmetric material of ${length} bytes is a ValidationException`, async () => {
        const key = await createExternalKey(kms);
        await expectAwsError(importKeyMaterial(kms, key.KeyId, randomBytes(length)), "ValidationException");
        assert.equal((await describeKey(kms, key.KeyId)).KeyState, "PendingImport");
      });
    }

    void it("KEY_MATERIAL_EXPIRES without ValidTo is the recorded ValidationException (also when the model is left to default)", async () => {
      const key = await createExternalKey(kms);
      for (const expirationModel of ["KEY_MATERIAL_EXPIRES", undefined] as const) {
        const parameters = await kms.send(
          new GetParametersForImportCommand({ KeyId: key.KeyId, WrappingAlgorithm: "RSAES_OAEP_SHA_256", WrappingKeySpec: "RSA_2048" }),
        );
        await expectAwsError(
          kms.send(
            new ImportKeyMaterialCommand({
              KeyId: key.KeyId,
              ImportToken: parameters.ImportToken,
              EncryptedKeyMaterial: wrapKeyMaterial(bytes(parameters.PublicKey), "RSAES_OAEP_SHA_256", randomBytes(32)),
              ExpirationModel: expirationModel,
            }),
          ),
          "ValidationException",
          "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES",
        );
      }
    });

    void it("GetParametersForImport on a key of Origin AWS_KMS is the recorded UnsupportedOperationException", async () => {
      const key = await createKey(kms);
      await expectAwsError(
        kms.send(new GetParametersForImportCommand({ KeyId: key.KeyId, WrappingAlgorithm: "RSAES_OAEP_SHA_256", WrappingKeySpec: "RSA_2048" })),
        "UnsupportedOperationException",
        `${key.Arn} origin is AWS_KMS which is not valid for this operation.`,
      );
    });

    void it("the RSAES_PKCS1_V1_5 wrapping algorithm is refused", async () => {
      const key = await createExternalKey(kms);
      await expectAwsError(
        kms.send(new GetParametersForImportCommand({ KeyId: key.KeyId, WrappingAlgorithm: "RSAES_PKCS1_V1_5", WrappingKeySpec: "RSA_2048" })),
        "ValidationException",
      );
    });

    void it("RotateKeyOnDemand of an imported key: pending import, no pending material, a second pending import (recorded messages)", async () => {
      const key = await createExternalKey(kms);
      await expectAwsError(kms.send(new RotateKeyOnDemandCommand({ KeyId: key.KeyId })), "KMSInvalidStateException", pendingImport(key.Arn));

      const first = await importKeyMaterial(kms, key.KeyId, randomBytes(32));
      const before = await encrypt(kms, key.KeyId, "first material");
      await expectAwsError(
        kms.send(new RotateKeyOnDemandCommand({ KeyId: key.KeyId })),
        "KMSInvalidStateException",
        `No available key material pending rotation for the key: ${key.Arn}.`,
      );

      const pending = await importKeyMaterial(kms, key.KeyId, randomBytes(32), { importType: "NEW_KEY_MATERIAL" });
      assert.equal(pending.KeyId, key.Arn);
      assert.match(pending.KeyMaterialId ?? "", /^[0-9a-f]{64}$/);
      assert.notEqual(pending.KeyMaterialId, first.KeyMaterialId);
      assert.equal((await describeKey(kms, key.KeyId)).CurrentKeyMaterialId, first.KeyMaterialId, "pending material is not current yet");

      await expectAwsError(
        importKeyMaterial(kms, key.KeyId, randomBytes(32), { importType: "NEW_KEY_MATERIAL" }),
        "KMSInvalidStateException",
        new RegExp(
          `^New key material \\(id: [0-9a-f]{64}\\) cannot be imported into KMS key ${key.KeyId}, because another key material \\(id: ${pending.KeyMaterialId}\\) is pending rotation\\.$`,
        ),
      );

      const rotated = await kms.send(new RotateKeyOnDemandCommand({ KeyId: key.KeyId }));
      assert.equal(rotated.KeyId, key.Arn);
      assert.equal((await describeKey(kms, key.KeyId)).CurrentKeyMaterialId, pending.KeyMaterialId);
      const after = await encrypt(kms, key.KeyId, "second material");
      assert.equal((await decrypt(kms, after.blob)).keyMaterialId, pending.KeyMaterialId);
      const old = await decrypt(kms, before.blob);
      assert.equal(old.text, "first material");
      assert.equal(old.keyMaterialId, first.KeyMaterialId);
      const rotations = await allRotations(kms, key.KeyId);
      assert.deepEqual(
        rotations.map((entry) => [entry.KeyMaterialId, entry.RotationType]),
        [[pending.KeyMaterialId, "ON_DEMAND"]],
      );
    });

    void it("HMAC material imports and computes MACs a local HMAC agrees with", async () => {
      const key = await createExternalKey(kms, { KeySpec: "HMAC_256", KeyUsage: "GENERATE_VERIFY_MAC" });
      assert.equal(key.KeyState, "PendingImport");
      const material = randomBytes(32);
      await importKeyMaterial(kms, key.KeyId, material);
      const described = await describeKey(kms, key.KeyId);
      assert.equal(described.KeyState, "Enabled");
      assert.equal(described.ExpirationModel, "KEY_MATERIAL_DOES_NOT_EXPIRE");
      assert.equal(described.CurrentKeyMaterialId, undefined, "as recorded, HMAC keys show no CurrentKeyMaterialId");
      const message = Buffer.from("some important message");
      const { Mac } = await kms.send(new GenerateMacCommand({ KeyId: key.KeyId, MacAlgorithm: "HMAC_SHA_256", Message: message }));
      assert.deepEqual(bytes(Mac), createHmac("sha256", material).update(message).digest());
      const verified = await kms.send(new VerifyMacCommand({ KeyId: key.KeyId, MacAlgorithm: "HMAC_SHA_256", Message: message, Mac }));
      assert.equal(verified.MacValid, true);
      await expectAwsError(importKeyMaterial(kms, (await createExternalKey(kms, { KeySpec: "HMAC_256", KeyUsage: "GENERATE_VERIFY_MAC" })).KeyId, randomBytes(16)), "ValidationException");
    });

    for (const [keySpec, wrappingAlgorithm, signingAlgorithm] of [
      ["RSA_2048", "RSA_AES_KEY_WRAP_SHA_256", "RSASSA_PSS_SHA_256"],
      ["ECC_NIST_P256", "RSAES_OAEP_SHA_256", "ECDSA_SHA_256"],
    ] as const) {
      void it(`${keySpec} material (PKCS#8 DER, wrapped with ${wrappingAlgorithm}) imports and signs`, async () => {
        const key = await createExternalKey(kms, { KeySpec: keySpec, KeyUsage: "SIGN_VERIFY" });
        const { pkcs8, publicKey } = generatePrivateKey(keySpec);
        await importKeyMaterial(kms, key.KeyId, pkcs8, { wrappingAlgorithm });
        const described = await describeKey(kms, key.KeyId);
        assert.equal(described.KeyState, "Enabled");
        assert.equal(described.ExpirationModel, "KEY_MATERIAL_DOES_NOT_EXPIRE");
        assert.equal(described.CurrentKeyMaterialId, undefined);
        const { PublicKey } = await kms.send(new GetPublicKeyCommand({ KeyId: key.KeyId }));
        assert.deepEqual(bytes(PublicKey), publicKey.export({ format: "der", type: "spki" }));
        const message = Buffer.from("signed by imported material");
        const { Signature } = await kms.send(
          new SignCommand({ KeyId: key.KeyId, Message: message, MessageType: "RAW", SigningAlgorithm: signingAlgorithm }),
        );
        const valid =
          keySpec === "RSA_2048"
            ? nodeVerify("sha256", message, { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, bytes(Signature))
            : nodeVerify("sha256", message, { key: publicKey, dsaEncoding: "der" }, bytes(Signature));
        assert.equal(valid, true);

        const other = generatePrivateKey(keySpec);
        await kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: key.KeyId }));
        assert.equal((await describeKey(kms, key.KeyId)).KeyState, "PendingImport");
        await expectAwsError(importKeyMaterial(kms, key.KeyId, other.pkcs8, { wrappingAlgorithm }), "IncorrectKeyMaterialException");
        await importKeyMaterial(kms, key.KeyId, pkcs8, { wrappingAlgorithm });
        assert.equal((await describeKey(kms, key.KeyId)).KeyState, "Enabled");
      });
    }
  });

  void describe("manual rotation through an alias", () => {
    void it("UpdateAlias to a key with new imported material: old ciphertexts name the old key, new ones use the new key", async () => {
      const alias = uniqueAlias("app");
      const keyA = await createExternalKey(kms, { Description: "material 1" });
      await importKeyMaterial(kms, keyA.KeyId, randomBytes(32));
      await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: keyA.KeyId }));
      const early = await encrypt(kms, alias, "encrypted through the alias before");
      assert.equal(early.keyId, keyA.Arn);

      const keyB = await createExternalKey(kms, { Description: "material 2" });
      await importKeyMaterial(kms, keyB.KeyId, randomBytes(32), { wrappingAlgorithm: "RSA_AES_KEY_WRAP_SHA_256" });
      await kms.send(new UpdateAliasCommand({ AliasName: alias, TargetKeyId: keyB.KeyId }));

      const old = await decrypt(kms, early.blob);
      assert.equal(old.text, "encrypted through the alias before");
      assert.equal(old.keyId, keyA.Arn, "the earlier ciphertext names key A");
      const late = await encrypt(kms, alias, "encrypted through the alias after");
      assert.equal(late.keyId, keyB.Arn, "a new Encrypt through the alias uses key B");
      const opened = await decrypt(kms, late.blob);
      assert.equal(opened.keyId, keyB.Arn);
      assert.equal(opened.keyMaterialId, (await describeKey(kms, keyB.KeyId)).CurrentKeyMaterialId);
      assert.equal((await describeKey(kms, alias)).KeyId, keyB.KeyId);
    });
  });

  void describe("AWS managed keys", () => {
    void it("DescribeKey naming alias/aws/ebs creates the key on first use; the second use returns the same key", async () => {
      const first = await describeKey(kms, "alias/aws/ebs");
      assert.equal(first.KeyManager, "AWS");
      assert.equal(first.KeyState, "Enabled");
      assert.equal(first.Origin, "AWS_KMS");
      assert.equal(first.KeySpec, "SYMMETRIC_DEFAULT");
      assert.equal(first.AWSAccountId, kmsd.accountId);
      assert.match(first.Description ?? "", /EBS/);
      assert.ok(first.KeyId);
      const status = await kms.send(new GetKeyRotationStatusCommand({ KeyId: first.KeyId }));
      assert.equal(status.KeyRotationEnabled, true);
      assert.equal(status.RotationPeriodInDays, 365);
      const second = await describeKey(kms, `arn:aws:kms:us-east-1:${kmsd.accountId}:alias/aws/ebs`);
      assert.deepEqual(second, first);
      // AWS's managed-key policy: use only through the service, by principals of the account.
      const { Policy } = await kms.send(new GetKeyPolicyCommand({ KeyId: first.KeyId, PolicyName: "default" }));
      const conditions = (JSON.parse(Policy ?? "{}") as { Statement: { Condition?: { StringEquals?: Record<string, string> } }[] }).Statement.map(
        (statement) => statement.Condition?.StringEquals,
      );
      assert.ok(
        conditions.some((condition) => condition?.["kms:ViaService"] === "ec2.us-east-1.amazonaws.com" && condition["kms:CallerAccount"] === kmsd.accountId),
        Policy,
      );
    });

    void it("Encrypt naming an AWS managed alias creates it on first use; only calls through its service may use it", async () => {
      // Called directly, the managed key's policy (kms:ViaService) refuses the use, but the key now exists.
      await expectAwsError(encrypt(kms, "alias/aws/rds", "direct"), "AccessDeniedException");
      const rds = await describeKey(kms, "alias/aws/rds");
      assert.equal(rds.KeyManager, "AWS");
      const viaRds = kmsd.kms({ viaService: "rds.us-east-1.amazonaws.com" });
      const sealed = await encrypt(viaRds, "alias/aws/rds", "protected by aws/rds");
      assert.equal(sealed.keyId, rds.Arn);
      assert.equal((await decrypt(viaRds, sealed.blob)).text, "protected by aws/rds");
      await expectAwsError(decrypt(kmsd.kms({ viaService: "s3.us-east-1.amazonaws.com" }), sealed.blob), "AccessDeniedException");

      const viaS3 = kmsd.kms({ viaService: "s3.us-east-1.amazonaws.com" });
      const dataKey = await viaS3.send(new GenerateDataKeyCommand({ KeyId: "alias/aws/s3", KeySpec: "AES_256" }));
      const s3 = await describeKey(kms, "alias/aws/s3");
      assert.equal(dataKey.KeyId, s3.Arn);
      assert.equal(s3.KeyManager, "AWS");
      assert.notEqual(s3.KeyId, rds.KeyId);
      assert.deepEqual(bytes((await viaS3.send(new DecryptCommand({ CiphertextBlob: dataKey.CiphertextBlob }))).Plaintext), bytes(dataKey.Plaintext));
    });

    void it("every service the issue names has its own AWS managed key", async () => {
      const services = ["ebs", "rds", "s3", "sqs", "dynamodb", "secretsmanager", "lambda", "ssm", "elasticfilesystem", "backup"];
      const keys = await Promise.all(services.map((service) => describeKey(kms, `alias/aws/${service}`)));
      for (const [index, metadata] of keys.entries()) {
        assert.equal(metadata.KeyManager, "AWS", services[index]);
        assert.equal(metadata.KeyState, "Enabled", services[index]);
      }
      assert.equal(new Set(keys.map((metadata) => metadata.KeyId)).size, services.length, "one key per service");
    });

    void it("concurrent first uses create one key", async () => {
      const answers = await Promise.all(Array.from({ length: 8 }, () => describeKey(kms, "alias/aws/kinesis")));
      assert.equal(new Set(answers.map((metadata) => metadata.KeyId)).size, 1);
    });

    void it("each region and each account has its own AWS managed key", async () => {
      const east = await describeKey(kms, "alias/aws/dynamodb");
      const west = await describeKey(kmsd.kms({ region: "eu-west-1" }), "alias/aws/dynamodb");
      assert.notEqual(west.KeyId, east.KeyId);
      assert.equal(west.Arn, `arn:aws:kms:eu-west-1:${kmsd.accountId}:key/${west.KeyId}`);
      assert.equal((await describeKey(kmsd.kms({ region: "eu-west-1" }), "alias/aws/dynamodb")).KeyId, west.KeyId);

      const account = await createAccount(kmsd.dataDir);
      const theirs = await describeKey(kmsd.kms({ credentials: credentialsOf(account) }), "alias/aws/dynamodb");
      assert.notEqual(theirs.KeyId, east.KeyId);
      assert.equal(theirs.AWSAccountId, account.AccountId);
      assert.equal((await describeKey(kms, "alias/aws/dynamodb")).KeyId, east.KeyId, "the first account's key is unchanged");
    });

    void it("an unknown service alias/aws/nosuch is NotFoundException and creates nothing", async () => {
      for (let attempt = 0; attempt < 2; attempt++) {
        await expectAwsError(
          describeKey(kms, "alias/aws/nosuch"),
          "NotFoundException",
          `Alias arn:aws:kms:us-east-1:${kmsd.accountId}:alias/aws/nosuch is not found.`,
        );
      }
      await expectAwsError(encrypt(kms, "alias/aws/nosuch", "x"), "NotFoundException");
    });

    void it("naming another account's AWS managed alias by ARN creates nothing in that account", async () => {
      const other = await createAccount(kmsd.dataDir);
      const aliasArn = `arn:aws:kms:us-east-1:${other.AccountId}:alias/aws/elasticfilesystem`;
      await expectAwsError(describeKey(kms, aliasArn), "NotFoundException", `Alias ${aliasArn} is not found.`);
      await expectAwsError(encrypt(kms, aliasArn, "x"), "NotFoundException", `Alias ${aliasArn} is not found.`);
      const theirs = kmsd.kms({ credentials: credentialsOf(other) });
      const { Aliases } = await theirs.send(new ListAliasesCommand({}));
      assert.deepEqual(
        (Aliases ?? []).filter((alias) => alias.TargetKeyId !== undefined),
        [],
        "the other account has no AWS managed key until it uses one (its predefined aliases are listed without a target)",
      );
      assert.equal((await describeKey(theirs, "alias/aws/elasticfilesystem")).AWSAccountId, other.AccountId);
    });

    /** A key policy that would hand an AWS managed key to the account. */
    const managedPolicyTakeover = (accountId: string) =>
      JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${accountId}:root` }, Action: "kms:*", Resource: "*" }] });

    void it("the customer cannot change an AWS managed key", async () => {
      const managed = await describeKey(kms, "alias/aws/secretsmanager");
      const keyId = managed.KeyId ?? "";
      const snapshot = await keySnapshot(kms, keyId);
      const refused: [string, () => Promise<unknown>][] = [
        ["ScheduleKeyDeletion", () => kms.send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }))],
        ["DisableKey", () => kms.send(new DisableKeyCommand({ KeyId: keyId }))],
        ["EnableKeyRotation", () => kms.send(new EnableKeyRotationCommand({ KeyId: keyId, RotationPeriodInDays: 90 }))],
        ["DisableKeyRotation", () => kms.send(new DisableKeyRotationCommand({ KeyId: keyId }))],
        ["RotateKeyOnDemand", () => kms.send(new RotateKeyOnDemandCommand({ KeyId: keyId }))],
        ["TagResource", () => kms.send(new TagResourceCommand({ KeyId: keyId, Tags: [{ TagKey: "k", TagValue: "v" }] }))],
        ["UpdateKeyDescription", () => kms.send(new UpdateKeyDescriptionCommand({ KeyId: keyId, Description: "mine now" }))],
        ["CreateAlias", () => kms.send(new CreateAliasCommand({ AliasName: uniqueAlias("managed"), TargetKeyId: keyId }))],
        ["PutKeyPolicy", () => kms.send(new PutKeyPolicyCommand({ KeyId: keyId, PolicyName: "default", Policy: managedPolicyTakeover(managed.AWSAccountId ?? "") }))],
        ["UntagResource", () => kms.send(new UntagResourceCommand({ KeyId: keyId, TagKeys: ["k"] }))],
      ];
      for (const [operation, call] of refused) {
        await expectAwsError(
          call(),
          "AccessDeniedException",
          new RegExp(`is not authorized to perform: kms:${operation} on resource: ${managed.Arn}`),
        ).catch((error: unknown) => assert.fail(`${operation}: ${String(error)}`));
      }
      // Its alias is AWS's too: it can be neither moved nor deleted.
      const customerKey = await createKey(kms);
      await expectAwsError(kms.send(new UpdateAliasCommand({ AliasName: "alias/aws/secretsmanager", TargetKeyId: customerKey.KeyId })), "InvalidAliasNameException");
      await expectAwsError(kms.send(new DeleteAliasCommand({ AliasName: "alias/aws/secretsmanager" })), "InvalidAliasNameException");
      assert.equal((await describeKey(kms, "alias/aws/secretsmanager")).KeyId, keyId, "the alias still names the managed key");
      assert.deepEqual(await keySnapshot(kms, keyId), snapshot, "nothing changed");
      const status = await kms.send(new GetKeyRotationStatusCommand({ KeyId: keyId }));
      assert.equal(status.KeyRotationEnabled, true);
    });

    void it("AWS managed keys rotate yearly with the dev clock; old ciphertexts still decrypt", async () => {
      const viaLambda = kmsd.kms({ viaService: "lambda.us-east-1.amazonaws.com" });
      const sealed = await encrypt(viaLambda, "alias/aws/lambda", "yearly");
      const before = await describeKey(kms, "alias/aws/lambda");
      const keyId = before.KeyId ?? "";
      await kmsd.advanceClock(364 * DAY_SECONDS);
      assert.deepEqual(await allRotations(kms, keyId), []);
      await kmsd.advanceClock(DAY_SECONDS + 60);
      const rotations = await allRotations(kms, keyId);
      assert.deepEqual(
        rotations.map((entry) => entry.RotationType),
        ["AUTOMATIC"],
      );
      const after = await describeKey(kms, keyId);
      assert.notEqual(after.CurrentKeyMaterialId, before.CurrentKeyMaterialId);
      assert.equal(rotations[0]?.KeyMaterialId, after.CurrentKeyMaterialId);
      const opened = await decrypt(viaLambda, sealed.blob);
      assert.equal(opened.text, "yearly");

      assert.equal(opened.keyMaterialId, before.CurrentKeyMaterialId);
      const status = await kms.send(new GetKeyRotationStatusCommand({ KeyId: keyId }));
      assert.equal(status.KeyRotationEnabled, true);
      assert.equal(status.RotationPeriodInDays, 365);
    });
  });
});

void describe("kmsd key lifecycle across restarts", () => {
  let dataDir: string;
  let kmsd: Kmsd | undefined;
  before(() => {
    dataDir = mkdtempSync(join(tmpdir(), "kmsd-lifecycle-"));
  });
  after(async () => {
    await kmsd?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  void it("a key whose rotation fell due while the server was down rotates at start; the schedule of another survives the restart", async () => {
    kmsd = await startKmsd({ dataDir, dev: true });
    let kms = kmsd.kms();
    const due = await createKey(kms);
    const waiting = await createKey(kms);
    for (const key of [due, waiting]) await kms.send(new EnableKeyRotationCommand({ KeyId: key.KeyId, RotationPeriodInDays: 90 }));
    const sealed = await encrypt(kms, due.KeyId, "before the downtime");
    await kmsd.stop();

    // 91 days passed while the server was down (see backdateRotation: the dev clock is not persisted).
    backdateRotation(dataDir, due.KeyId, 91 * DAY_MS);
    kmsd = await startKmsd({ dataDir, dev: true });
    kms = kmsd.kms();
    const rotatedAtStart = await eventually(async () => (await describeKey(kms, due.KeyId)).CurrentKeyMaterialId !== due.CurrentKeyMaterialId);
    assert.ok(rotatedAtStart, "rotated by the scheduler's first run, without any clock move");
    await kmsd.advanceClock(0);
    const rotations = await allRotations(kms, due.KeyId);
    assert.deepEqual(
      rotations.map((entry) => entry.RotationType),
      ["AUTOMATIC"],
      "exactly once",
    );
    const opened = await decrypt(kms, sealed.blob);
    assert.equal(opened.text, "before the downtime");
    assert.equal(opened.keyMaterialId, due.CurrentKeyMaterialId);
    assert.deepEqual(await allRotations(kms, waiting.KeyId), [], "the other key is not due yet");

    await kmsd.advanceClock(89 * DAY_SECONDS);
    assert.deepEqual(await allRotations(kms, waiting.KeyId), []);
    await kmsd.advanceClock(DAY_SECONDS + 60);
    assert.deepEqual(
      (await allRotations(kms, waiting.KeyId)).map((entry) => entry.RotationType),
      ["AUTOMATIC"],
      "the schedule set before the restart still applies",
    );
    assert.equal((await allRotations(kms, due.KeyId)).length, 2, "the key rotated at start is due again one period after that rotation");
  });
});
