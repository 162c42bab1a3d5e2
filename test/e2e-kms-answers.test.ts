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
  CreateAliasCommand,
  DecryptCommand,
  DeleteAliasCommand,
  DescribeKeyCommand,
  EncryptCommand,
  ListAliasesCommand,
  PutKeyPolicyCommand,
  ReEncryptCommand,
  ScheduleKeyDeletionCommand,
  UpdateAliasCommand,
  type AliasListEntry,
  type KMSClient,
} from "@aws-sdk/client-kms";
import { failure, requestIdOf, storedEvents } from "./support/audit.ts";
import { createAccount, credentialsOf, expectAwsError, startKmsd, type CreatedAccount, type Kmsd } from "./support/kmsd.ts";
import { bytes, createKey, type CreatedKey } from "./support/e2e.ts";
import { policy, rootStatement } from "./support/identities.ts";
import { awsCliEnv } from "./support/awsCli.ts";

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
      const env = awsCliEnv(kmsd.credentials);
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
  describe("ListAliases and the predefined AWS managed aliases", () => {
    /** Predefined aliases AWS documents and kmsd creates keys for on first use. */
    const PREDEFINED = ["alias/aws/ebs", "alias/aws/lambda", "alias/aws/rds", "alias/aws/s3", "alias/aws/secretsmanager", "alias/aws/ssm"];
    let fresh: KMSClient;
    let account: string;
    before(async () => {
      const created = await createAccount(kmsd.dataDir);
      account = created.AccountId;
      fresh = kmsd.kms({ credentials: credentialsOf(created), region: "ca-central-1" });
    });

    const listAll = async (client: KMSClient, limit: number, keyId?: string) => {
      const pages: AliasListEntry[][] = [];
      let marker: string | undefined;
      do {
        const page = await client.send(new ListAliasesCommand({ Limit: limit, Marker: marker, KeyId: keyId }));
        pages.push(page.Aliases ?? []);
        assert.equal(page.Truncated, page.NextMarker !== undefined);
        marker = page.NextMarker;
      } while (marker !== undefined);
      return pages;
    };

    it("an account that used no service lists the predefined aliases with only AliasName and AliasArn", async () => {
      const [aliases = []] = await listAll(fresh, 100);
      for (const name of PREDEFINED) {
        const entry = aliases.find((alias) => alias.AliasName === name);
        assert.deepEqual(entry, { AliasName: name, AliasArn: `arn:aws:kms:ca-central-1:${account}:${name}` });
      }
      assert.ok(aliases.every((alias) => alias.AliasName?.startsWith("alias/aws/") && alias.TargetKeyId === undefined));
    });

    it("a predefined alias gets its TargetKeyId and dates once the service's first use creates the key, and is listed once", async () => {
      const [untargeted = []] = await listAll(fresh, 100);
      assert.deepEqual(Object.keys(untargeted.find((alias) => alias.AliasName === "alias/aws/ebs") ?? {}).sort(), ["AliasArn", "AliasName"]);
      const managed = (await fresh.send(new DescribeKeyCommand({ KeyId: "alias/aws/ebs" }))).KeyMetadata;
      const [aliases = []] = await listAll(fresh, 100);
      const ebs = aliases.filter((alias) => alias.AliasName === "alias/aws/ebs");
      assert.equal(ebs.length, 1);
      assert.equal(ebs[0]?.TargetKeyId, managed?.KeyId);
      assert.deepEqual(Object.keys(ebs[0] ?? {}).sort(), ["AliasArn", "AliasName", "CreationDate", "LastUpdatedDate", "TargetKeyId"]);
      assert.equal(aliases.find((alias) => alias.AliasName === "alias/aws/s3")?.TargetKeyId, undefined, "the other services' keys are still not created");
      // Filtered by the AWS managed key, only its alias; filtered by a customer key, no predefined alias.
      assert.deepEqual((await listAll(fresh, 100, managed?.KeyId)).flat().map((alias) => alias.AliasName), ["alias/aws/ebs"]);
      const customer = await createKey(fresh);
      await fresh.send(new CreateAliasCommand({ AliasName: "alias/only-mine", TargetKeyId: customer.KeyId }));
      assert.deepEqual((await listAll(fresh, 100, customer.KeyId)).flat().map((alias) => alias.AliasName), ["alias/only-mine"]);
    });

    it("pages of any size list every alias once, stored and predefined mixed in name order", async () => {
      const customer = await createKey(fresh);
      // Names on both sides of, and between, the predefined ones.
      for (const name of ["alias/a-first", "alias/aws-like", "alias/aws_underscore", "alias/m-middle", "alias/zz-last"]) {
        await fresh.send(new CreateAliasCommand({ AliasName: name, TargetKeyId: customer.KeyId }));
      }
      const [whole = []] = await listAll(fresh, 1000);
      const names = whole.map((alias) => alias.AliasName ?? "");
      assert.deepEqual(names, [...names].sort(), "sorted by name");
      assert.equal(new Set(names).size, names.length, "each once");
      for (const name of ["alias/a-first", "alias/aws/ebs", "alias/aws/s3", "alias/zz-last"]) assert.ok(names.includes(name), name);
      for (const limit of [1, 2, 3, 7, names.length - 1, names.length]) {
        const pages = await listAll(fresh, limit);
        assert.deepEqual(pages.flat(), whole, `Limit ${limit}`);
        assert.ok(pages.slice(0, -1).every((page) => page.length === limit), `Limit ${limit}: full pages but the last`);
        assert.equal(pages.length, Math.ceil(names.length / limit), `Limit ${limit}: no empty page`);
      }
    });
  });
  describe("alias names: the characters AWS refuses", () => {
    const invalid = (name: string) => `${name} contains invalid characters for an alias`;

    it("CreateAlias, UpdateAlias and DeleteAlias refuse ':' with AWS's message, and create nothing", async () => {
      const existing = `alias/answers-${Date.now()}`;
      await kms.send(new CreateAliasCommand({ AliasName: existing, TargetKeyId: key.KeyId }));
      const calls: [string, string, () => Promise<unknown>][] = [
        ["CreateAlias", "alias/Service:Test", () => kms.send(new CreateAliasCommand({ AliasName: "alias/Service:Test", TargetKeyId: key.KeyId }))],
        ["CreateAlias", "alias/:", () => kms.send(new CreateAliasCommand({ AliasName: "alias/:", TargetKeyId: key.KeyId }))],
        ["UpdateAlias", "alias/x:y", () => kms.send(new UpdateAliasCommand({ AliasName: "alias/x:y", TargetKeyId: key.KeyId }))],
        ["DeleteAlias", `${existing}:x`, () => kms.send(new DeleteAliasCommand({ AliasName: `${existing}:x` }))],
      ];
      for (const [operation, name, call] of calls) {
        await expectAwsError(call(), "ValidationException", invalid(name)).catch((error: Error) => {
          throw new Error(`${operation} ${name}: ${error.message}`);
        });
      }
      const names = (await kms.send(new ListAliasesCommand({ Limit: 1000 }))).Aliases?.map((alias) => alias.AliasName) ?? [];
      assert.ok(!names.some((name) => name?.includes(":")), "no alias with ':' was created");
      assert.ok(names.includes(existing), "the existing alias is untouched");
      // Letters, digits, '/', '_' and '-' are what an alias may have.
      const valid = `alias/Ok_name-${Date.now()}/Sub/9`;
      await kms.send(new CreateAliasCommand({ AliasName: valid, TargetKeyId: key.KeyId }));
      assert.equal((await kms.send(new DescribeKeyCommand({ KeyId: valid }))).KeyMetadata?.KeyId, key.KeyId);
    });

    it("a KeyId naming an alias with ':' (alias name or alias ARN) is refused the same way", async () => {
      const aliasArn = `arn:aws:kms:us-east-1:${kmsd.accountId}:alias/x:y`;
      for (const keyId of ["alias/x:y", aliasArn]) {
        await expectAwsError(kms.send(new DescribeKeyCommand({ KeyId: keyId })), "ValidationException", invalid("alias/x:y"));
        await expectAwsError(kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("x") })), "ValidationException", invalid("alias/x:y"));
      }
    });
  });
});
