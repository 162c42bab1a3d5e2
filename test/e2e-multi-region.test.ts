/**
 * End to end: multi-Region keys through @aws-sdk/client-kms, with clients in us-east-1,
 * eu-west-1 and ap-southeast-2 against one kmsd (one worker): creation, replication,
 * interchangeable ciphertexts, MACs and signatures, shared rotation, imported material
 * (and its on-demand rotation),
 * UpdatePrimaryRegion, deletion and the multi-Region condition keys.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import {
  CancelKeyDeletionCommand,
  CreateKeyCommand,
  DecryptCommand,
  DeleteImportedKeyMaterialCommand,
  DescribeKeyCommand,
  EnableKeyRotationCommand,
  EncryptCommand,
  GenerateMacCommand,
  GetKeyRotationStatusCommand,
  GetParametersForImportCommand,
  ImportKeyMaterialCommand,
  KMSClient,
  ListKeyRotationsCommand,
  ReEncryptCommand,
  ReplicateKeyCommand,
  RotateKeyOnDemandCommand,
  ScheduleKeyDeletionCommand,
  SignCommand,
  UpdatePrimaryRegionCommand,
  VerifyCommand,
  VerifyMacCommand,
  type KeyMetadata,
} from "@aws-sdk/client-kms";
import { LookupEventsCommand } from "@aws-sdk/client-cloudtrail";
import { expectAwsError, startKmsd, type Kmsd } from "./support/kmsd.ts";
import { cloudTrailClient } from "./support/audit.ts";
import { allRotations, DAY_SECONDS, importKeyMaterial, serverNowMs, wrapKeyMaterial } from "./support/lifecycle.ts";
import { allow, policy, TestIdentities } from "./support/identities.ts";

const PRIMARY = "us-east-1";
const REPLICA = "eu-west-1";
const OTHER = "ap-southeast-2";

describe("multi-Region keys", () => {
  let kmsd: Kmsd;
  const clients = new Map<string, KMSClient>();
  const kms = (region: string): KMSClient => {
    let client = clients.get(region);
    if (!client) clients.set(region, (client = kmsd.kms({ region })));
    return client;
  };

  before(async () => {
    kmsd = await startKmsd({ dev: true });
  });
  after(async () => {
    await kmsd.dispose();
  });

  async function createPrimary(input: ConstructorParameters<typeof CreateKeyCommand>[0] = {}): Promise<KeyMetadata> {
    const { KeyMetadata: metadata } = await kms(PRIMARY).send(new CreateKeyCommand({ ...input, MultiRegion: true }));
    assert.ok(metadata?.KeyId);
    return metadata;
  }

  async function describe_(region: string, keyId: string): Promise<KeyMetadata> {
    const { KeyMetadata: metadata } = await kms(region).send(new DescribeKeyCommand({ KeyId: keyId }));
    assert.ok(metadata);
    return metadata;
  }

  const arn = (region: string, metadata: KeyMetadata) => `arn:aws:kms:${region}:${metadata.AWSAccountId}:key/${metadata.KeyId}`;

  describe("CreateKey and ReplicateKey", () => {
    it("a multi-Region key has an mrk- id and is a PRIMARY with no replicas; a single-Region key has no MultiRegionConfiguration", async () => {
      const key = await createPrimary({ Description: "primary" });
      assert.match(key.KeyId ?? "", /^mrk-[0-9a-f]{32}$/);
      assert.equal(key.MultiRegion, true);
      assert.deepEqual(key.MultiRegionConfiguration, {
        MultiRegionKeyType: "PRIMARY",
        PrimaryKey: { Arn: arn(PRIMARY, key), Region: PRIMARY },
        ReplicaKeys: [],
      });
      const { KeyMetadata: single } = await kms(PRIMARY).send(new CreateKeyCommand({}));
      assert.equal(single?.MultiRegion, false);
      assert.equal(single?.MultiRegionConfiguration, undefined);
    });

    it("ReplicateKey answers the replica in state Creating with its own policy and tags; it becomes Enabled and the primary lists it", async () => {
      const key = await createPrimary({ Description: "shared?" });
      const replicated = await kms(PRIMARY).send(
        new ReplicateKeyCommand({ KeyId: key.KeyId, ReplicaRegion: REPLICA, Description: "replica", Tags: [{ TagKey: "t", TagValue: "v" }] }),
      );
      const replica = replicated.ReplicaKeyMetadata;
      assert.equal(replica?.KeyId, key.KeyId);
      assert.equal(replica?.Arn, arn(REPLICA, key));
      assert.equal(replica?.KeyState, "Creating");
      assert.equal(replica?.Enabled, false);
      assert.equal(replica?.Description, "replica");
      // As recorded from AWS: no material id until the replica leaves Creating.
      assert.equal(replica?.CurrentKeyMaterialId, undefined);
      assert.deepEqual(replica?.MultiRegionConfiguration, {
        MultiRegionKeyType: "REPLICA",
        PrimaryKey: { Arn: arn(PRIMARY, key), Region: PRIMARY },
        ReplicaKeys: [{ Arn: arn(REPLICA, key), Region: REPLICA }],
      });
      assert.deepEqual(replicated.ReplicaTags, [{ TagKey: "t", TagValue: "v" }]);
      assert.equal(JSON.parse(replicated.ReplicaPolicy ?? "{}").Id, "key-default-1");

      const described = await describe_(REPLICA, key.KeyId ?? "");
      assert.equal(described.KeyState, "Enabled");
      assert.equal(described.CurrentKeyMaterialId, key.CurrentKeyMaterialId);
      const primary = await describe_(PRIMARY, key.KeyId ?? "");
      assert.equal(primary.Description, "shared?");
      assert.deepEqual(primary.MultiRegionConfiguration?.ReplicaKeys, [{ Arn: arn(REPLICA, key), Region: REPLICA }]);
      // The replica is a key of its own Region only.
      await expectAwsError(kms(OTHER).send(new DescribeKeyCommand({ KeyId: key.KeyId })), "NotFoundException", `Key '${arn(OTHER, key)}' does not exist`);
    });

    it("refuses a replica in the key's own Region, a second replica in one Region, and replicating a replica or a single-Region key", async () => {
      const key = await createPrimary();
      await kms(PRIMARY).send(new ReplicateKeyCommand({ KeyId: key.KeyId, ReplicaRegion: REPLICA }));
      await expectAwsError(kms(PRIMARY).send(new ReplicateKeyCommand({ KeyId: key.KeyId, ReplicaRegion: PRIMARY })), "ValidationException");
      await expectAwsError(kms(PRIMARY).send(new ReplicateKeyCommand({ KeyId: key.KeyId, ReplicaRegion: REPLICA })), "AlreadyExistsException");
      await expectAwsError(
        kms(REPLICA).send(new ReplicateKeyCommand({ KeyId: key.KeyId, ReplicaRegion: OTHER })),
        "UnsupportedOperationException",
        `${arn(REPLICA, key)} is not a multi-region primary key.`,
      );
      const { KeyMetadata: single } = await kms(PRIMARY).send(new CreateKeyCommand({}));
      await expectAwsError(kms(PRIMARY).send(new ReplicateKeyCommand({ KeyId: single?.KeyId, ReplicaRegion: REPLICA })), "UnsupportedOperationException");
      // Nothing changed: still one replica.
      assert.equal((await describe_(PRIMARY, key.KeyId ?? "")).MultiRegionConfiguration?.ReplicaKeys?.length, 1);
    });
  });

  describe("related keys are interchangeable", () => {
    it("what one Region encrypts, another decrypts: without KeyId, naming the replica, and through ReEncrypt", async () => {
      const key = await createPrimary();
      const keyId = key.KeyId ?? "";
      await kms(PRIMARY).send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: REPLICA }));
      await kms(PRIMARY).send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: OTHER }));
      const plaintext = Buffer.from("across regions");
      const { CiphertextBlob } = await kms(PRIMARY).send(new EncryptCommand({ KeyId: keyId, Plaintext: plaintext, EncryptionContext: { a: "b" } }));

      const withoutKeyId = await kms(REPLICA).send(new DecryptCommand({ CiphertextBlob, EncryptionContext: { a: "b" } }));
      assert.deepEqual(Buffer.from(withoutKeyId.Plaintext ?? []), plaintext);
      assert.equal(withoutKeyId.KeyId, arn(REPLICA, key));
      const naming = await kms(REPLICA).send(new DecryptCommand({ CiphertextBlob, KeyId: arn(REPLICA, key), EncryptionContext: { a: "b" } }));
      assert.deepEqual(Buffer.from(naming.Plaintext ?? []), plaintext);

      const reEncrypted = await kms(OTHER).send(
        new ReEncryptCommand({ CiphertextBlob, SourceEncryptionContext: { a: "b" }, DestinationKeyId: keyId }),
      );
      assert.equal(reEncrypted.SourceKeyId, arn(OTHER, key));
      const back = await kms(PRIMARY).send(new DecryptCommand({ CiphertextBlob: reEncrypted.CiphertextBlob }));
      assert.deepEqual(Buffer.from(back.Plaintext ?? []), plaintext);
    });

    it("a MAC and a signature made in one Region verify in another", async () => {
      const hmac = await createPrimary({ KeySpec: "HMAC_256", KeyUsage: "GENERATE_VERIFY_MAC" });
      await kms(PRIMARY).send(new ReplicateKeyCommand({ KeyId: hmac.KeyId, ReplicaRegion: REPLICA }));
      const message = Buffer.from("message");
      const { Mac } = await kms(PRIMARY).send(new GenerateMacCommand({ KeyId: hmac.KeyId, Message: message, MacAlgorithm: "HMAC_SHA_256" }));
      const verified = await kms(REPLICA).send(new VerifyMacCommand({ KeyId: hmac.KeyId, Message: message, Mac, MacAlgorithm: "HMAC_SHA_256" }));
      assert.equal(verified.MacValid, true);

      const signing = await createPrimary({ KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY" });
      await kms(PRIMARY).send(new ReplicateKeyCommand({ KeyId: signing.KeyId, ReplicaRegion: OTHER }));
      const { Signature } = await kms(OTHER).send(new SignCommand({ KeyId: signing.KeyId, Message: message, SigningAlgorithm: "ECDSA_SHA_256" }));
      const valid = await kms(PRIMARY).send(new VerifyCommand({ KeyId: signing.KeyId, Message: message, Signature, SigningAlgorithm: "ECDSA_SHA_256" }));
      assert.equal(valid.SignatureValid, true);
    });
  });

  describe("shared properties", () => {
    it("rotating the primary on demand rotates every replica: ListKeyRotations agrees in every Region, and new ciphertexts cross Regions", async () => {
      const key = await createPrimary();
      const keyId = key.KeyId ?? "";
      await kms(PRIMARY).send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: REPLICA }));
      await kms(PRIMARY).send(new RotateKeyOnDemandCommand({ KeyId: keyId }));
      await kms(PRIMARY).send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: OTHER }));
      await kms(PRIMARY).send(new RotateKeyOnDemandCommand({ KeyId: keyId }));

      const rotations = async (region: string) => (await kms(region).send(new ListKeyRotationsCommand({ KeyId: keyId }))).Rotations?.map((r) => r.KeyMaterialId);
      const expected = await rotations(PRIMARY);
      assert.equal(expected?.length, 2);
      assert.deepEqual(await rotations(REPLICA), expected);
      assert.deepEqual(await rotations(OTHER), expected);
      const current = (await describe_(PRIMARY, keyId)).CurrentKeyMaterialId;
      assert.equal((await describe_(OTHER, keyId)).CurrentKeyMaterialId, current);

      const { CiphertextBlob } = await kms(OTHER).send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("x") }));
      const opened = await kms(REPLICA).send(new DecryptCommand({ CiphertextBlob }));
      assert.equal(opened.KeyMaterialId, current);
      // Only the primary rotates or has its rotation configured.
      await expectAwsError(kms(REPLICA).send(new RotateKeyOnDemandCommand({ KeyId: keyId })), "UnsupportedOperationException", `${arn(REPLICA, key)} is not a multi-region primary key.`);
      await expectAwsError(kms(REPLICA).send(new EnableKeyRotationCommand({ KeyId: keyId })), "UnsupportedOperationException");
    });

    it("automatic rotation of the primary is shared: enabled in every Region, and when due every Region rotates", async () => {
      const key = await createPrimary();
      const keyId = key.KeyId ?? "";
      await kms(PRIMARY).send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: REPLICA }));
      await kms(PRIMARY).send(new EnableKeyRotationCommand({ KeyId: keyId, RotationPeriodInDays: 90 }));
      const status = await kms(REPLICA).send(new GetKeyRotationStatusCommand({ KeyId: keyId }));
      assert.equal(status.KeyRotationEnabled, true);
      assert.equal(status.RotationPeriodInDays, 90);
      await kmsd.advanceClock(91 * DAY_SECONDS);
      for (const region of [PRIMARY, REPLICA]) {
        const { Rotations } = await kms(region).send(new ListKeyRotationsCommand({ KeyId: keyId }));
        assert.equal(Rotations?.length, 1, region);
        assert.equal(Rotations?.[0]?.RotationType, "AUTOMATIC");
      }
    });

    it("imported material: the replica waits in PendingImport for the same material, and refuses other material", async () => {
      const key = await createPrimary({ Origin: "EXTERNAL" });
      const keyId = key.KeyId ?? "";
      const material = randomBytes(32);
      await importKeyMaterial(kms(PRIMARY), keyId, material);
      const { ReplicaKeyMetadata } = await kms(PRIMARY).send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: REPLICA }));
      assert.equal(ReplicaKeyMetadata?.Origin, "EXTERNAL");
      assert.equal((await describe_(REPLICA, keyId)).KeyState, "PendingImport");
      await expectAwsError(importKeyMaterial(kms(REPLICA), keyId, randomBytes(32)), "IncorrectKeyMaterialException");
      assert.equal((await describe_(REPLICA, keyId)).KeyState, "PendingImport");
      await importKeyMaterial(kms(REPLICA), keyId, material);
      assert.equal((await describe_(REPLICA, keyId)).KeyState, "Enabled");
      const { CiphertextBlob } = await kms(PRIMARY).send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("imported") }));
      const opened = await kms(REPLICA).send(new DecryptCommand({ CiphertextBlob }));
      assert.equal(Buffer.from(opened.Plaintext ?? []).toString(), "imported");
    });
    it("imported material replicated before any import: the first material imported in any Region is the one every related key must get", async () => {
      const key = await createPrimary({ Origin: "EXTERNAL" });
      const keyId = key.KeyId ?? "";
      await kms(PRIMARY).send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: REPLICA }));
      const material = randomBytes(32);
      // An import token is for the key in its own Region: the primary's does not import into the replica.
      const parameters = await kms(PRIMARY).send(new GetParametersForImportCommand({ KeyId: keyId, WrappingAlgorithm: "RSAES_OAEP_SHA_256", WrappingKeySpec: "RSA_2048" }));
      await expectAwsError(
        kms(REPLICA).send(
          new ImportKeyMaterialCommand({
            KeyId: keyId,
            ImportToken: parameters.ImportToken,
            EncryptedKeyMaterial: wrapKeyMaterial(parameters.PublicKey as Uint8Array, "RSAES_OAEP_SHA_256", material),
            ExpirationModel: "KEY_MATERIAL_DOES_NOT_EXPIRE",
          }),
        ),
        "InvalidImportTokenException",
        "Import token is not for the specified KMS key.",
      );
      assert.equal((await describe_(REPLICA, keyId)).KeyState, "PendingImport");
      await importKeyMaterial(kms(REPLICA), keyId, material);
      await expectAwsError(importKeyMaterial(kms(PRIMARY), keyId, randomBytes(32)), "IncorrectKeyMaterialException");
      assert.equal((await describe_(PRIMARY, keyId)).KeyState, "PendingImport");
      await importKeyMaterial(kms(PRIMARY), keyId, material);
      const { CiphertextBlob } = await kms(REPLICA).send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("imported") }));
      const opened = await kms(PRIMARY).send(new DecryptCommand({ CiphertextBlob }));
      assert.equal(Buffer.from(opened.Plaintext ?? []).toString(), "imported");
    });
  });

  describe("on-demand rotation of imported material", () => {
    /** A primary with imported material and replicas in REPLICA and OTHER holding the same material. */
    async function importedSet(): Promise<{ key: KeyMetadata; keyId: string }> {
      const key = await createPrimary({ Origin: "EXTERNAL" });
      const keyId = key.KeyId ?? "";
      const material = randomBytes(32);
      await importKeyMaterial(kms(PRIMARY), keyId, material);
      for (const region of [REPLICA, OTHER]) {
        await kms(PRIMARY).send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: region }));
        await importKeyMaterial(kms(region), keyId, material);
      }
      return { key, keyId };
    }

    /** The entry of `keyMaterialId` in ListKeyRotations with ALL_KEY_MATERIAL in `region`: its state and import state. */
    async function pendingEntry(region: string, keyId: string, keyMaterialId: string | undefined) {
      const { Rotations } = await kms(region).send(new ListKeyRotationsCommand({ KeyId: keyId, IncludeKeyMaterial: "ALL_KEY_MATERIAL" }));
      const entry = Rotations?.find((candidate) => candidate.KeyMaterialId === keyMaterialId);
      return entry && { state: entry.KeyMaterialState, imported: entry.ImportState };
    }

    it("new material waits in PENDING_MULTI_REGION_IMPORT_AND_ROTATION until every replica has it; then the primary rotates every Region to it", async () => {
      const { key, keyId } = await importedSet();
      const before = await kms(REPLICA).send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("before") }));
      const material = randomBytes(32);
      const { KeyMaterialId: next } = await importKeyMaterial(kms(PRIMARY), keyId, material, { importType: "NEW_KEY_MATERIAL" });
      assert.ok(next);

      // Given the new material in the primary only: pending everywhere, imported in the primary alone, and no rotation.
      assert.deepEqual(await pendingEntry(PRIMARY, keyId, next), { state: "PENDING_MULTI_REGION_IMPORT_AND_ROTATION", imported: "IMPORTED" });
      assert.deepEqual(await pendingEntry(REPLICA, keyId, next), { state: "PENDING_MULTI_REGION_IMPORT_AND_ROTATION", imported: "PENDING_IMPORT" });
      await expectAwsError(
        kms(PRIMARY).send(new RotateKeyOnDemandCommand({ KeyId: keyId })),
        "KMSInvalidStateException",
        `Key material (id: ${next}) of ${arn(PRIMARY, key)} is not yet imported into the replica keys in ${REPLICA}, ${OTHER}. Import it into every replica Region key before rotating on demand.`,
      );

      // When one replica has it: still waiting for the other.
      const intoReplica = await importKeyMaterial(kms(REPLICA), keyId, material);
      assert.equal(intoReplica.KeyMaterialId, next);
      assert.deepEqual(await pendingEntry(REPLICA, keyId, next), { state: "PENDING_MULTI_REGION_IMPORT_AND_ROTATION", imported: "IMPORTED" });
      await expectAwsError(kms(PRIMARY).send(new RotateKeyOnDemandCommand({ KeyId: keyId })), "KMSInvalidStateException");

      // When every replica has it: PENDING_ROTATION in every Region; only the primary rotates.
      await importKeyMaterial(kms(OTHER), keyId, material, { importType: "EXISTING_KEY_MATERIAL" });
      for (const region of [PRIMARY, REPLICA, OTHER]) {
        assert.deepEqual(await pendingEntry(region, keyId, next), { state: "PENDING_ROTATION", imported: "IMPORTED" }, region);
      }
      await expectAwsError(kms(REPLICA).send(new RotateKeyOnDemandCommand({ KeyId: keyId })), "UnsupportedOperationException", `${arn(REPLICA, key)} is not a multi-region primary key.`);
      await kms(PRIMARY).send(new RotateKeyOnDemandCommand({ KeyId: keyId }));

      // Then the new material is current in every Region, old and new ciphertexts open everywhere.
      for (const region of [PRIMARY, REPLICA, OTHER]) {
        assert.equal((await describe_(region, keyId)).CurrentKeyMaterialId, next, region);
        const rotations = await allRotations(kms(region), keyId);
        assert.deepEqual(rotations.map((entry) => [entry.RotationType, entry.KeyMaterialId, entry.KeyMaterialState]), [["ON_DEMAND", next, "CURRENT"]], region);
        const after = await kms(region).send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from(`after in ${region}`) }));
        for (const other of [PRIMARY, REPLICA, OTHER]) {
          const old = await kms(other).send(new DecryptCommand({ CiphertextBlob: before.CiphertextBlob }));
          assert.equal(Buffer.from(old.Plaintext ?? []).toString(), "before");
          assert.notEqual(old.KeyMaterialId, next);
          const opened = await kms(other).send(new DecryptCommand({ CiphertextBlob: after.CiphertextBlob }));
          assert.equal(Buffer.from(opened.Plaintext ?? []).toString(), `after in ${region}`);
          assert.equal(opened.KeyMaterialId, next, `${region} -> ${other}`);
        }
      }
    });

    it("a replica takes no new material of its own, only the material its primary waits for", async () => {
      const { keyId } = await importedSet();
      const material = randomBytes(32);
      await expectAwsError(
        importKeyMaterial(kms(REPLICA), keyId, material, { importType: "NEW_KEY_MATERIAL" }),
        "UnsupportedOperationException",
        /^New key material cannot be imported into the replica key /,
      );
      // Without the primary's new material, other material is no material of the key.
      await expectAwsError(importKeyMaterial(kms(REPLICA), keyId, material), "IncorrectKeyMaterialException");

      const { KeyMaterialId: next } = await importKeyMaterial(kms(PRIMARY), keyId, material, { importType: "NEW_KEY_MATERIAL" });
      await expectAwsError(importKeyMaterial(kms(REPLICA), keyId, randomBytes(32)), "IncorrectKeyMaterialException");
      await importKeyMaterial(kms(REPLICA), keyId, material);
      assert.deepEqual(await pendingEntry(REPLICA, keyId, next), { state: "PENDING_MULTI_REGION_IMPORT_AND_ROTATION", imported: "IMPORTED" });
      assert.equal((await describe_(REPLICA, keyId)).KeyState, "Enabled");
    });

    it("a primary alone has its new material PENDING_ROTATION at once; a replica made meanwhile must get it before the set rotates", async () => {
      const key = await createPrimary({ Origin: "EXTERNAL" });
      const keyId = key.KeyId ?? "";
      const first = randomBytes(32);
      const second = randomBytes(32);
      await importKeyMaterial(kms(PRIMARY), keyId, first);
      const { KeyMaterialId: next } = await importKeyMaterial(kms(PRIMARY), keyId, second, { importType: "NEW_KEY_MATERIAL" });
      assert.deepEqual(await pendingEntry(PRIMARY, keyId, next), { state: "PENDING_ROTATION", imported: "IMPORTED" });

      // Given a replica made while the material waits: the set waits for it again.
      await kms(PRIMARY).send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: REPLICA }));
      assert.deepEqual(await pendingEntry(PRIMARY, keyId, next), { state: "PENDING_MULTI_REGION_IMPORT_AND_ROTATION", imported: "IMPORTED" });
      await expectAwsError(kms(PRIMARY).send(new RotateKeyOnDemandCommand({ KeyId: keyId })), "KMSInvalidStateException");
      await importKeyMaterial(kms(REPLICA), keyId, first);
      await importKeyMaterial(kms(REPLICA), keyId, second);
      assert.deepEqual(await pendingEntry(REPLICA, keyId, next), { state: "PENDING_ROTATION", imported: "IMPORTED" });
      await kms(PRIMARY).send(new RotateKeyOnDemandCommand({ KeyId: keyId }));
      assert.equal((await describe_(REPLICA, keyId)).CurrentKeyMaterialId, next);
    });

    it("deleting the pending material of the primary deletes it in every replica; a replica's deletion leaves the others' copies", async () => {
      const { keyId } = await importedSet();
      const material = randomBytes(32);
      const { KeyMaterialId: next } = await importKeyMaterial(kms(PRIMARY), keyId, material, { importType: "NEW_KEY_MATERIAL" });
      for (const region of [REPLICA, OTHER]) await importKeyMaterial(kms(region), keyId, material);

      // A replica deletes its copy: the set waits for it again, the others keep theirs.
      await kms(OTHER).send(new DeleteImportedKeyMaterialCommand({ KeyId: keyId, KeyMaterialId: next }));
      assert.deepEqual(await pendingEntry(OTHER, keyId, next), { state: "PENDING_MULTI_REGION_IMPORT_AND_ROTATION", imported: "PENDING_IMPORT" });
      assert.deepEqual(await pendingEntry(REPLICA, keyId, next), { state: "PENDING_MULTI_REGION_IMPORT_AND_ROTATION", imported: "IMPORTED" });
      assert.equal((await describe_(OTHER, keyId)).KeyState, "Enabled");
      await expectAwsError(kms(PRIMARY).send(new RotateKeyOnDemandCommand({ KeyId: keyId })), "KMSInvalidStateException");

      // The primary deletes it: gone in every Region, nothing left to rotate to, every key still usable.
      await kms(PRIMARY).send(new DeleteImportedKeyMaterialCommand({ KeyId: keyId, KeyMaterialId: next }));
      for (const region of [PRIMARY, REPLICA, OTHER]) {
        assert.equal(await pendingEntry(region, keyId, next), undefined, region);
        assert.equal((await describe_(region, keyId)).KeyState, "Enabled", region);
      }
      await expectAwsError(kms(PRIMARY).send(new RotateKeyOnDemandCommand({ KeyId: keyId })), "KMSInvalidStateException", /^No available key material pending rotation/);
      // Its copy in the replica is gone too: importing it there is refused now, as for any unknown material.
      await expectAwsError(importKeyMaterial(kms(REPLICA), keyId, material), "IncorrectKeyMaterialException");
    });

    it("deleting all of the primary's material takes its pending material from every replica; the replicas keep their own", async () => {
      const { keyId } = await importedSet();
      const before = await kms(REPLICA).send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("kept") }));
      const material = randomBytes(32);
      const { KeyMaterialId: next } = await importKeyMaterial(kms(PRIMARY), keyId, material, { importType: "NEW_KEY_MATERIAL" });
      await importKeyMaterial(kms(REPLICA), keyId, material);

      // Without a KeyMaterialId: every material version of the primary goes, the pending one with its copies.
      await kms(PRIMARY).send(new DeleteImportedKeyMaterialCommand({ KeyId: keyId }));
      assert.equal((await describe_(PRIMARY, keyId)).KeyState, "PendingImport");
      for (const region of [REPLICA, OTHER]) {
        assert.equal(await pendingEntry(region, keyId, next), undefined, region);
        assert.equal((await describe_(region, keyId)).KeyState, "Enabled", region);
      }
      const opened = await kms(REPLICA).send(new DecryptCommand({ CiphertextBlob: before.CiphertextBlob }));
      assert.equal(Buffer.from(opened.Plaintext ?? []).toString(), "kept");
      await expectAwsError(importKeyMaterial(kms(REPLICA), keyId, material), "IncorrectKeyMaterialException");
    });

    it("when the primary's material expires, its pending material leaves every replica too", async () => {
      const key = await createPrimary({ Origin: "EXTERNAL" });
      const keyId = key.KeyId ?? "";
      const first = randomBytes(32);
      const validTo = new Date(Math.floor((await serverNowMs(kmsd)) / 1000) * 1000 + 2 * DAY_SECONDS * 1000);
      await importKeyMaterial(kms(PRIMARY), keyId, first, { expirationModel: "KEY_MATERIAL_EXPIRES", validTo });
      await kms(PRIMARY).send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: REPLICA }));
      await importKeyMaterial(kms(REPLICA), keyId, first);
      const second = randomBytes(32);
      const { KeyMaterialId: next } = await importKeyMaterial(kms(PRIMARY), keyId, second, { importType: "NEW_KEY_MATERIAL" });
      await importKeyMaterial(kms(REPLICA), keyId, second);
      assert.deepEqual(await pendingEntry(REPLICA, keyId, next), { state: "PENDING_ROTATION", imported: "IMPORTED" });

      await kmsd.advanceClock(2 * DAY_SECONDS + 1);
      assert.equal((await describe_(PRIMARY, keyId)).KeyState, "PendingImport");
      assert.equal(await pendingEntry(REPLICA, keyId, next), undefined);
      assert.equal((await describe_(REPLICA, keyId)).KeyState, "Enabled");
      // The expiry is in the primary's trail, as AWS records it.
      const { Events } = await cloudTrailClient(kmsd, kmsd.credentials, PRIMARY).send(
        new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: "EventName", AttributeValue: "DeleteExpiredKeyMaterial" }], MaxResults: 50 }),
      );
      assert.ok(Events?.some((event) => event.Resources?.some((resource) => resource.ResourceName === key.Arn)), "a DeleteExpiredKeyMaterial event names the primary");
    });
  });

  describe("UpdatePrimaryRegion", () => {
    it("moves the primary role: the replica becomes the primary, the old primary a replica, and only the new primary replicates", async () => {
      const key = await createPrimary();
      const keyId = key.KeyId ?? "";
      await kms(PRIMARY).send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: REPLICA }));
      await kms(PRIMARY).send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: OTHER }));
      await kms(PRIMARY).send(new EnableKeyRotationCommand({ KeyId: keyId }));
      await kms(PRIMARY).send(new UpdatePrimaryRegionCommand({ KeyId: keyId, PrimaryRegion: REPLICA }));

      const expected = {
        PrimaryKey: { Arn: arn(REPLICA, key), Region: REPLICA },
        ReplicaKeys: [
          { Arn: arn(OTHER, key), Region: OTHER },
          { Arn: arn(PRIMARY, key), Region: PRIMARY },
        ],
      };
      const newPrimary = await describe_(REPLICA, keyId);
      assert.deepEqual(newPrimary.MultiRegionConfiguration, { MultiRegionKeyType: "PRIMARY", ...expected });
      assert.equal(newPrimary.KeyState, "Enabled");
      const oldPrimary = await describe_(PRIMARY, keyId);
      assert.deepEqual(oldPrimary.MultiRegionConfiguration, { MultiRegionKeyType: "REPLICA", ...expected });
      assert.equal(oldPrimary.KeyState, "Enabled");
      assert.equal((await describe_(OTHER, keyId)).MultiRegionConfiguration?.PrimaryKey?.Region, REPLICA);
      assert.equal((await kms(PRIMARY).send(new GetKeyRotationStatusCommand({ KeyId: keyId }))).KeyRotationEnabled, true);

      await expectAwsError(kms(PRIMARY).send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: "eu-west-2" })), "UnsupportedOperationException");
      await kms(REPLICA).send(new RotateKeyOnDemandCommand({ KeyId: keyId }));
      assert.equal((await kms(PRIMARY).send(new ListKeyRotationsCommand({ KeyId: keyId }))).Rotations?.length, 1);
    });

    it("refuses a Region without a replica and a replica as the key named", async () => {
      const key = await createPrimary();
      const keyId = key.KeyId ?? "";
      await kms(PRIMARY).send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: REPLICA }));
      await expectAwsError(kms(PRIMARY).send(new UpdatePrimaryRegionCommand({ KeyId: keyId, PrimaryRegion: OTHER })), "NotFoundException");
      await expectAwsError(kms(REPLICA).send(new UpdatePrimaryRegionCommand({ KeyId: keyId, PrimaryRegion: PRIMARY })), "UnsupportedOperationException");
      assert.equal((await describe_(PRIMARY, keyId)).MultiRegionConfiguration?.MultiRegionKeyType, "PRIMARY");
    });
  });

  describe("deletion", () => {
    it("a primary with replicas waits in PendingReplicaDeletion; its own waiting period starts when the last replica is deleted", async () => {
      const key = await createPrimary();
      const keyId = key.KeyId ?? "";
      await kms(PRIMARY).send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: REPLICA }));
      const scheduled = await kms(PRIMARY).send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
      assert.equal(scheduled.KeyState, "PendingReplicaDeletion");
      assert.equal(scheduled.DeletionDate, undefined);
      assert.equal(scheduled.PendingWindowInDays, 7);
      const pending = await describe_(PRIMARY, keyId);
      assert.equal(pending.KeyState, "PendingReplicaDeletion");
      assert.equal(pending.PendingDeletionWindowInDays, 7);
      await expectAwsError(kms(PRIMARY).send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("x") })), "KMSInvalidStateException");

      // The replica is deleted on its own schedule; the primary waits as long as it exists.
      await kms(REPLICA).send(new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: 7 }));
      await kmsd.advanceClock(6 * DAY_SECONDS);
      assert.equal((await describe_(PRIMARY, keyId)).KeyState, "PendingReplicaDeletion");
      await kmsd.advanceClock(DAY_SECONDS + 60);
      await expectAwsError(kms(REPLICA).send(new DescribeKeyCommand({ KeyId: keyId })), "NotFoundException");
      const waiting = await describe_(PRIMARY, keyId);
      assert.equal(waiting.KeyState, "PendingDeletion");
      assert.deepEqual(waiting.MultiRegionConfiguration?.ReplicaKeys, []);
      assert.ok(waiting.DeletionDate);
      await kmsd.advanceClock(7 * DAY_SECONDS + 60);
      await expectAwsError(kms(PRIMARY).send(new DescribeKeyCommand({ KeyId: keyId })), "NotFoundException");
    });

    it("CancelKeyDeletion brings a primary back from PendingReplicaDeletion to Disabled", async () => {
      const key = await createPrimary();
      await kms(PRIMARY).send(new ReplicateKeyCommand({ KeyId: key.KeyId, ReplicaRegion: REPLICA }));
      await kms(PRIMARY).send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));
      await kms(PRIMARY).send(new CancelKeyDeletionCommand({ KeyId: key.KeyId }));
      const described = await describe_(PRIMARY, key.KeyId ?? "");
      assert.equal(described.KeyState, "Disabled");
      assert.equal(described.PendingDeletionWindowInDays, undefined);
    });
  });

  describe("authorization and audit", () => {
    const identities = new TestIdentities(() => kmsd);
    after(() => identities.destroy());

    /** The CloudTrail records of a Region's trail that name `resource`. */
    const eventsOf = async (region: string, resource: string) => {
      const { Events } = await cloudTrailClient(kmsd, kmsd.credentials, region).send(
        new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: "ResourceName", AttributeValue: resource }], MaxResults: 50 }),
      );
      return (Events ?? []).map((event) => JSON.parse(event.CloudTrailEvent ?? "{}") as Record<string, unknown>);
    };

    const rootPolicy = (accountId: string, ...statements: object[]) =>
      JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Sid: "root", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${accountId}:root` }, Action: "kms:*", Resource: "*" }, ...statements],
      });

    it("kms:ReplicaRegion decides ReplicateKey on the primary, kms:MultiRegionKeyType decides use of a replica", async () => {
      const accountId = kmsd.accountId;
      const key = await createPrimary({
        Policy: rootPolicy(accountId, {
          Effect: "Deny",
          Principal: { AWS: "*" },
          Action: "kms:ReplicateKey",
          Resource: "*",
          Condition: { StringNotEquals: { "kms:ReplicaRegion": REPLICA } },
        }),
      });
      const keyId = key.KeyId ?? "";
      await expectAwsError(kms(PRIMARY).send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: OTHER })), "AccessDeniedException");
      await kms(PRIMARY).send(
        new ReplicateKeyCommand({
          KeyId: keyId,
          ReplicaRegion: REPLICA,
          Policy: rootPolicy(accountId, {
            Effect: "Deny",
            Principal: { AWS: "*" },
            Action: "kms:Encrypt",
            Resource: "*",
            Condition: { StringEquals: { "kms:MultiRegionKeyType": "REPLICA", "kms:MultiRegion": "true" } },
          }),
        }),
      );
      await expectAwsError(kms(REPLICA).send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("x") })), "AccessDeniedException");
      // The primary's policy is its own: the replica's Deny does not reach it.
      await kms(PRIMARY).send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("x") }));
    });

    it("a ReplicaPolicy that would lock the caller out is refused, and nothing is created", async () => {
      const key = await createPrimary();
      const lockout = JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${kmsd.accountId}:root` }, Action: "kms:Encrypt", Resource: "*" }],
      });
      await expectAwsError(kms(PRIMARY).send(new ReplicateKeyCommand({ KeyId: key.KeyId, ReplicaRegion: REPLICA, Policy: lockout })), "MalformedPolicyDocumentException");
      await expectAwsError(kms(REPLICA).send(new DescribeKeyCommand({ KeyId: key.KeyId })), "NotFoundException");
    });

    it("ReplicateKey needs kms:CreateKey where the replica is created: an IAM policy limited by aws:RequestedRegion allows that Region only", async () => {
      const key = await createPrimary();
      const user = await identities.newUser(
        "replicator",
        policy(allow(["kms:ReplicateKey", "kms:DescribeKey"]), allow("kms:CreateKey", "*", { Condition: { StringEquals: { "aws:RequestedRegion": REPLICA } } })),
      );
      const asUser = kmsd.kms({ region: PRIMARY, credentials: user.credentials });
      await expectAwsError(asUser.send(new ReplicateKeyCommand({ KeyId: key.KeyId, ReplicaRegion: OTHER })), "AccessDeniedException");
      await expectAwsError(kms(OTHER).send(new DescribeKeyCommand({ KeyId: key.KeyId })), "NotFoundException");
      const { ReplicaKeyMetadata } = await asUser.send(new ReplicateKeyCommand({ KeyId: key.KeyId, ReplicaRegion: REPLICA }));
      assert.equal(ReplicaKeyMetadata?.Arn, arn(REPLICA, key));
    });

    it("UpdatePrimaryRegion needs kms:UpdatePrimaryRegion on both keys, and kms:PrimaryRegion decides it", async () => {
      const accountId = kmsd.accountId;
      const denyUpdate = (condition?: object) => ({
        Effect: "Deny",
        Principal: { AWS: "*" },
        Action: "kms:UpdatePrimaryRegion",
        Resource: "*",
        ...(condition ? { Condition: condition } : {}),
      });
      // The replica's own policy refuses it: nothing moves.
      const key = await createPrimary();
      const keyId = key.KeyId ?? "";
      await kms(PRIMARY).send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: REPLICA, Policy: rootPolicy(accountId, denyUpdate()) }));
      await expectAwsError(kms(PRIMARY).send(new UpdatePrimaryRegionCommand({ KeyId: keyId, PrimaryRegion: REPLICA })), "AccessDeniedException");
      assert.equal((await describe_(PRIMARY, keyId)).MultiRegionConfiguration?.MultiRegionKeyType, "PRIMARY");
      assert.equal((await describe_(REPLICA, keyId)).KeyState, "Enabled");

      // The primary's policy allows only a move to OTHER.
      const limited = await createPrimary({ Policy: rootPolicy(accountId, denyUpdate({ StringNotEquals: { "kms:PrimaryRegion": OTHER } })) });
      const limitedId = limited.KeyId ?? "";
      await kms(PRIMARY).send(new ReplicateKeyCommand({ KeyId: limitedId, ReplicaRegion: REPLICA }));
      await kms(PRIMARY).send(new ReplicateKeyCommand({ KeyId: limitedId, ReplicaRegion: OTHER }));
      await expectAwsError(kms(PRIMARY).send(new UpdatePrimaryRegionCommand({ KeyId: limitedId, PrimaryRegion: REPLICA })), "AccessDeniedException");
      await kms(PRIMARY).send(new UpdatePrimaryRegionCommand({ KeyId: limitedId, PrimaryRegion: OTHER }));
      assert.equal((await describe_(OTHER, limitedId)).MultiRegionConfiguration?.MultiRegionKeyType, "PRIMARY");
    });

    it("UpdatePrimaryRegion is recorded in the old primary's Region (the call) and in the new primary's", async () => {
      const key = await createPrimary();
      await kms(PRIMARY).send(new ReplicateKeyCommand({ KeyId: key.KeyId, ReplicaRegion: REPLICA }));
      await kms(PRIMARY).send(new UpdatePrimaryRegionCommand({ KeyId: key.KeyId, PrimaryRegion: REPLICA }));
      const call = (await eventsOf(PRIMARY, arn(PRIMARY, key))).find((event) => event.eventName === "UpdatePrimaryRegion");
      assert.equal(call?.eventType, "AwsApiCall");
      assert.deepEqual(call?.requestParameters, { keyId: key.KeyId, primaryRegion: REPLICA });
      const promoted = (await eventsOf(REPLICA, arn(REPLICA, key))).find((event) => event.eventName === "UpdatePrimaryRegion");
      assert.equal(promoted?.awsRegion, REPLICA);
      assert.deepEqual(promoted?.resources, [{ accountId: kmsd.accountId, type: "AWS::KMS::Key", ARN: arn(REPLICA, key) }]);
    });

    it("ReplicateKey is recorded in the primary's Region and a CreateKey service event in the replica's", async () => {
      const key = await createPrimary();
      await kms(PRIMARY).send(new ReplicateKeyCommand({ KeyId: key.KeyId, ReplicaRegion: REPLICA }));
      const inPrimary = await eventsOf(PRIMARY, arn(PRIMARY, key));
      assert.ok(inPrimary.some((event) => event.eventName === "ReplicateKey" && event.eventType === "AwsApiCall"));
      const inReplica = await eventsOf(REPLICA, arn(REPLICA, key));
      const created = inReplica.find((event) => event.eventName === "CreateKey");
      assert.equal(created?.eventType, "AwsServiceEvent");
      assert.equal(created?.awsRegion, REPLICA);
    });
  });
});
