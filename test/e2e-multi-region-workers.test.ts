/**
 * End to end with `kmsd serve --workers 2`: a rotation of a multi-Region primary is seen
 * by its replicas from both workers, and rotations racing on both workers each reach
 * every related key (each is one transaction over all of them, none lost); with imported
 * material, a replica's import of the primary's new material is seen from both workers.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import {
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  KMSClient,
  ListKeyRotationsCommand,
  ReplicateKeyCommand,
  RotateKeyOnDemandCommand,
  ListResourceTagsCommand,
  TagResourceCommand,
} from "@aws-sdk/client-kms";
import { startKmsdWorkers, type Kmsd } from "./support/kmsd.ts";
import { importKeyMaterial } from "./support/lifecycle.ts";

const PRIMARY = "us-east-1";
const REPLICA = "eu-west-1";
const ROUNDS = 8;

describe("multi-Region keys with two workers", () => {
  let kmsd: Kmsd;

  before(async () => {
    kmsd = await startKmsdWorkers(2);
  });
  after(async () => {
    await kmsd.dispose();
  });

  /** A client with its own connection pool, so consecutive clients land on both workers. */
  function freshClient(region: string): KMSClient {
    return new KMSClient({ endpoint: kmsd.endpoint, region, credentials: kmsd.credentials, maxAttempts: 1 });
  }

  async function replicatedKey(): Promise<string> {
    const { KeyMetadata } = await freshClient(PRIMARY).send(new CreateKeyCommand({ MultiRegion: true }));
    const keyId = KeyMetadata?.KeyId ?? "";
    await freshClient(PRIMARY).send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: REPLICA }));
    // Both workers have cached the replica before the rotation.
    for (let i = 0; i < ROUNDS; i++) await freshClient(REPLICA).send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("warm") }));
    return keyId;
  }

  it("after the primary rotates, every request to the replica, on either worker, uses and lists the new material", async () => {
    const keyId = await replicatedKey();
    await freshClient(PRIMARY).send(new RotateKeyOnDemandCommand({ KeyId: keyId }));
    const current = (await freshClient(PRIMARY).send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.CurrentKeyMaterialId;
    assert.ok(current);
    for (let i = 0; i < ROUNDS; i++) {
      const replica = freshClient(REPLICA);
      assert.equal((await replica.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.CurrentKeyMaterialId, current, `round ${i}`);
      const { Rotations } = await freshClient(REPLICA).send(new ListKeyRotationsCommand({ KeyId: keyId }));
      assert.deepEqual(Rotations?.map((rotation) => rotation.KeyMaterialId), [current], `round ${i}`);
      const { CiphertextBlob } = await freshClient(REPLICA).send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("after") }));
      const opened = await freshClient(PRIMARY).send(new DecryptCommand({ CiphertextBlob }));
      assert.equal(opened.KeyMaterialId, current, `round ${i}`);
    }
  });

  it("rotations and replica tag changes racing on both workers are all kept, in every Region", async () => {
    const keyId = await replicatedKey();
    const rotations = 4;
    await Promise.all([
      ...Array.from({ length: rotations }, () => freshClient(PRIMARY).send(new RotateKeyOnDemandCommand({ KeyId: keyId }))),
      ...Array.from({ length: rotations }, (_, i) =>
        freshClient(REPLICA).send(new TagResourceCommand({ KeyId: keyId, Tags: [{ TagKey: `t${i}`, TagValue: "v" }] })),
      ),
    ]);
    const list = async (region: string) => (await freshClient(region).send(new ListKeyRotationsCommand({ KeyId: keyId }))).Rotations?.map((r) => r.KeyMaterialId);
    const inPrimary = await list(PRIMARY);
    assert.equal(inPrimary?.length, rotations);
    assert.deepEqual(await list(REPLICA), inPrimary);
    const { Tags } = await freshClient(REPLICA).send(new ListResourceTagsCommand({ KeyId: keyId }));
    assert.equal(Tags?.length, rotations);
  });

  it("imported material: once the replica has the primary's new material, both workers see it PENDING_ROTATION and the rotation reaches the replica", async () => {
    const { KeyMetadata } = await freshClient(PRIMARY).send(new CreateKeyCommand({ MultiRegion: true, Origin: "EXTERNAL" }));
    const keyId = KeyMetadata?.KeyId ?? "";
    const [first, second] = [randomBytes(32), randomBytes(32)];
    await importKeyMaterial(freshClient(PRIMARY), keyId, first);
    await freshClient(PRIMARY).send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: REPLICA }));
    await importKeyMaterial(freshClient(REPLICA), keyId, first);
    const { KeyMaterialId: next } = await importKeyMaterial(freshClient(PRIMARY), keyId, second, { importType: "NEW_KEY_MATERIAL" });
    const pendingState = async () =>
      (await freshClient(PRIMARY).send(new ListKeyRotationsCommand({ KeyId: keyId, IncludeKeyMaterial: "ALL_KEY_MATERIAL" }))).Rotations?.find(
        (entry) => entry.KeyMaterialId === next,
      )?.KeyMaterialState;
    // Both workers have read the replica while it lacked the material.
    for (let i = 0; i < ROUNDS; i++) assert.equal(await pendingState(), "PENDING_MULTI_REGION_IMPORT_AND_ROTATION", `round ${i}`);
    await importKeyMaterial(freshClient(REPLICA), keyId, second);
    for (let i = 0; i < ROUNDS; i++) assert.equal(await pendingState(), "PENDING_ROTATION", `round ${i}`);
    await freshClient(PRIMARY).send(new RotateKeyOnDemandCommand({ KeyId: keyId }));
    for (let i = 0; i < ROUNDS; i++) {
      const { CiphertextBlob } = await freshClient(REPLICA).send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("after") }));
      const opened = await freshClient(PRIMARY).send(new DecryptCommand({ CiphertextBlob }));
      assert.equal(opened.KeyMaterialId, next, `round ${i}`);
    }
  });
});
