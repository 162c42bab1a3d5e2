/**
 * End to end, through @aws-sdk/client-kms (and the AWS CLI once): answers that tools match
 * on and that must be AWS's. A ciphertext naming a key the caller cannot reach is AWS's one
 * AccessDeniedException, whether the key never existed, was deleted, lives in another
 * region or belongs to another account; nothing in the answer or the caller's trail tells
 * those apart.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it, type TestContext } from "node:test";
import { promisify } from "node:util";
import {
  DecryptCommand,
  EncryptCommand,
  PutKeyPolicyCommand,
  ReEncryptCommand,
  ScheduleKeyDeletionCommand,
  type KMSClient,
} from "@aws-sdk/client-kms";
import { failure, requestIdOf, storedEvents } from "./support/audit.ts";
import { createAccount, credentialsOf, expectAwsError, startKmsd, type CreatedAccount, type Kmsd } from "./support/kmsd.ts";
import { bytes, createKey, type CreatedKey } from "./support/e2e.ts";
import { policy, rootStatement } from "./support/identities.ts";

/** AWS's message for a ciphertext whose key the caller cannot reach (the AWS SDKs, sops and the Kubernetes aws-encryption-provider match on it). */
const UNREACHABLE =
  "The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access.";
/** AWS's recorded IncorrectKeyException message (test_error_messaging_for_invalid_keys). */
const INCORRECT_KEY = "The key ID in the request does not identify a CMK that can perform this operation.";

/** Byte range of the key id in a kmsd ciphertext header (docs/ciphertext-format.md). */
const KEY_ID_BYTES = { start: 2, end: 18 };

/** `blob` with its header naming a key id that no key has. */
function namingNoKey(blob: Uint8Array): Buffer {
  const forged = Buffer.from(blob);
  forged.fill(0xab, KEY_ID_BYTES.start, KEY_ID_BYTES.end);
  return forged;
}

describe("answers that must match AWS", () => {
  let kmsd: Kmsd;
  let kms: KMSClient;
  let key: CreatedKey;
  before(async () => {
    kmsd = await startKmsd({ dev: true });
    kms = kmsd.kms();
    key = await createKey(kms);
  });
  after(async () => kmsd.dispose());

  const encrypt = async (client: KMSClient, keyId: string, context?: Record<string, string>) =>
    bytes((await client.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("secret"), EncryptionContext: context }))).CiphertextBlob);

  describe("a ciphertext naming a key the caller cannot reach", () => {
    let owner: CreatedAccount;
    let ownerKms: KMSClient;
    before(async () => {
      owner = await createAccount(kmsd.dataDir);
      ownerKms = kmsd.kms({ credentials: credentialsOf(owner) });
    });

    /** Each way a blob can name a key this caller cannot reach, as a fresh blob. */
    const unreachable: [string, () => Promise<Uint8Array>][] = [
      ["a key id no key has", async () => namingNoKey(await encrypt(kms, key.KeyId))],
      [
        "a key deleted since",
        async () => {
          const doomed = await createKey(kms);
          const blob = await encrypt(kms, doomed.KeyId);
          await kms.send(new ScheduleKeyDeletionCommand({ KeyId: doomed.KeyId, PendingWindowInDays: 7 }));
          await kmsd.advanceClock(7 * 86_400 + 60);
          return blob;
        },
      ],
      ["a key of another region", async () => encrypt(kmsd.kms({ region: "eu-west-1" }), (await createKey(kmsd.kms({ region: "eu-west-1" }))).KeyId)],
      ["another account's key that does not let this caller use it", async () => encrypt(ownerKms, (await createKey(ownerKms)).KeyId)],
    ];

    for (const [name, blobOf] of unreachable) {
      it(`Decrypt and ReEncrypt of a blob naming ${name}: AccessDeniedException with AWS's message`, async () => {
        const blob = await blobOf();
        await expectAwsError(kms.send(new DecryptCommand({ CiphertextBlob: blob })), "AccessDeniedException", UNREACHABLE);
        await expectAwsError(
          kms.send(new ReEncryptCommand({ CiphertextBlob: blob, DestinationKeyId: key.KeyId })),
          "AccessDeniedException",
          UNREACHABLE,
        );
      });
    }

    it("another account's key and a key that does not exist leave the same record in the caller's trail, and none in the owner's", async () => {
      const theirs = await createKey(ownerKms);
      const records = [];
      for (const blob of [await encrypt(ownerKms, theirs.KeyId), namingNoKey(await encrypt(kms, key.KeyId))]) {
        const error = await failure(kms.send(new DecryptCommand({ CiphertextBlob: blob })));
        const events = storedEvents(kmsd.dataDir, requestIdOf(error));
        assert.deepEqual(
          events.map((event) => event.accountId),
          [kmsd.accountId],
          "one event, in the caller's account",
        );
        const { errorCode, errorMessage, resources, requestParameters } = events[0]?.record ?? {};
        records.push({ errorCode, errorMessage, resources, requestParameters });
      }
      assert.deepEqual({ ...records[0], requestParameters: undefined }, { errorCode: "AccessDeniedException", errorMessage: UNREACHABLE, resources: undefined, requestParameters: undefined });
      assert.deepEqual(records[1], records[0]);
    });

    it("another account's key decrypts once its key policy lets the caller's account use it", async () => {
      const shared = await createKey(ownerKms);
      const blob = await encrypt(ownerKms, shared.KeyId, { purpose: "sharing" });
      await expectAwsError(kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { purpose: "sharing" } })), "AccessDeniedException", UNREACHABLE);
      await ownerKms.send(
        new PutKeyPolicyCommand({
          KeyId: shared.KeyId,
          Policy: policy(rootStatement(owner.AccountId), { Effect: "Allow", Principal: { AWS: `arn:aws:iam::${kmsd.accountId}:root` }, Action: "kms:Decrypt", Resource: "*" }),
        }),
      );
      const decrypted = await kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { purpose: "sharing" } }));
      assert.equal(bytes(decrypted.Plaintext).toString(), "secret");
      assert.equal(decrypted.KeyId, shared.Arn);
    });

    it("a blob that is no kmsd ciphertext is still InvalidCiphertextException", async () => {
      const blob = await encrypt(kms, key.KeyId);
      for (const notOurs of [Buffer.from("not a ciphertext at all"), Buffer.concat([Buffer.from([0x02]), blob.subarray(1)])]) {
        await expectAwsError(kms.send(new DecryptCommand({ CiphertextBlob: notOurs })), "InvalidCiphertextException");
      }
    });

    it("a KeyId other than the blob's key is IncorrectKeyException, whether or not the blob's key exists", async () => {
      const blob = await encrypt(kms, key.KeyId);
      const other = await createKey(kms);
      for (const named of [blob, namingNoKey(blob)]) {
        await expectAwsError(kms.send(new DecryptCommand({ CiphertextBlob: named, KeyId: other.KeyId })), "IncorrectKeyException", INCORRECT_KEY);
        await expectAwsError(
          kms.send(new ReEncryptCommand({ CiphertextBlob: named, SourceKeyId: other.KeyId, DestinationKeyId: key.KeyId })),
          "IncorrectKeyException",
          INCORRECT_KEY,
        );
      }
    });

    it("the AWS CLI shows AWS's answer: aws kms decrypt fails with AccessDeniedException and its message", async (t: TestContext) => {
      const run = promisify(execFile);
      const env = {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "/tmp",
        AWS_ACCESS_KEY_ID: kmsd.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: kmsd.credentials.secretAccessKey,
        AWS_DEFAULT_REGION: "us-east-1",
        AWS_CONFIG_FILE: "/dev/null",
        AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
        AWS_PAGER: "",
      };
      try {
        await run("aws", ["--version"], { env });
      } catch {
        t.skip("the AWS CLI is not installed");
        return;
      }
      const blobFile = join(kmsd.dataDir, "unreachable.blob");
      writeFileSync(blobFile, namingNoKey(await encrypt(kms, key.KeyId)));
      const outcome = await run("aws", ["kms", "decrypt", "--endpoint-url", kmsd.endpoint, "--ciphertext-blob", `fileb://${blobFile}`], { env }).then(
        () => assert.fail("aws kms decrypt succeeded"),
        (error: { code?: number; stderr?: string }) => error,
      );
      assert.equal(outcome.code, 255);
      assert.match(outcome.stderr ?? "", new RegExp(`An error occurred \\(AccessDeniedException\\) when calling the Decrypt operation: ${UNREACHABLE.replace(/[.()]/g, "\\$&")}`));
    });
  });
});
