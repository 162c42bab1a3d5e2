// The seed file (issue 14) end to end: `kmsd serve --init FILE` with the example of
// docs/seed-file.md creates its accounts, identities and keys with their fixed ids and
// material (a ciphertext committed to this repository decrypts in the fresh run), a second
// start changes nothing, a resource with another definition stops the start with a diff
// and writes nothing, mistakes name their line; with --workers, on a sealed node and on
// PostgreSQL too. `kmsd init --check` checks a file without a deployment.
import assert from "node:assert/strict";
import { createHmac, createPublicKey } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  DecryptCommand,
  DescribeKeyCommand,
  GenerateMacCommand,
  GetKeyRotationStatusCommand,
  GetPublicKeyCommand,
  ListGrantsCommand,
  ListKeysCommand,
  ListResourceTagsCommand,
} from "@aws-sdk/client-kms";
import { GetRoleCommand, GetUserCommand, IAMClient, ListAttachedGroupPoliciesCommand, ListGroupsForUserCommand, ListUserPoliciesCommand } from "@aws-sdk/client-iam";
import { parse } from "yaml";
import { expectAwsError, runKmsdCli, startKmsd, startKmsdWorkers, type Credentials, type Kmsd } from "./support/kmsd.ts";
import { freshDatabase } from "./support/postgres.ts";
import { initShamir, unsealWith } from "./support/seal.ts";
import { EXAMPLE, lineOf, seedExample, writeSeedFile } from "./support/seedFile.ts";

/** Encrypted under the example's app key with context app=shop by an earlier run (base64). */
const COMMITTED_CIPHERTEXT = Buffer.from(readFileSync(new URL("./fixtures/seed/app-secrets.ciphertext", import.meta.url), "utf8").trim(), "base64");
const COMMITTED_PLAINTEXT = "committed in a repository";

function iam(kmsd: Kmsd, credentials: Credentials): IAMClient {
  return new IAMClient({ endpoint: kmsd.endpoint, region: "us-east-1", credentials, maxAttempts: 1 });
}

/** The committed ciphertext decrypts as the example's `ci` user (through its group's policy and the key's grant). */
async function assertCommittedCiphertextDecrypts(kmsd: Kmsd): Promise<void> {
  const out = await kmsd.kms({ credentials: EXAMPLE.ci }).send(new DecryptCommand({ CiphertextBlob: COMMITTED_CIPHERTEXT, EncryptionContext: { app: "shop" } }));
  assert.equal(out.KeyId, `arn:aws:kms:us-east-1:${EXAMPLE.accountId}:key/${EXAMPLE.appKeyId}`);
  assert.equal(Buffer.from(out.Plaintext ?? []).toString("utf8"), COMMITTED_PLAINTEXT);
}

/** `kmsd serve` on `dataDir` with the seed file, expected to stop before listening. */
async function failedStart(dataDir: string, seedPath: string): Promise<{ code: number | null; stderr: string }> {
  return runKmsdCli(["serve", "--port", "0", "--data-dir", dataDir, "--workers", "1", "--throttling", "off", "--log-format", "json", "--init", seedPath]);
}

describe("kmsd serve --init with the example of docs/seed-file.md", () => {
  const seedText = seedExample();
  const seedPath = writeSeedFile(seedText);
  let kmsd: Kmsd;
  let dataDir: string;

  before(async () => {
    kmsd = await startKmsd({ args: ["--init", seedPath] });
    dataDir = kmsd.dataDir;
  });
  after(async () => kmsd.dispose());

  it("creates the keys with their fixed ids and material: a ciphertext committed to the repository decrypts in this fresh run", async () => {
    assert.match(kmsd.stderr(), /"message":"seed file applied".*"created":13/);
    await assertCommittedCiphertextDecrypts(kmsd);
  });

  it("gives the keys their descriptions, tags, rotation, aliases and grants", async () => {
    const kms = kmsd.kms({ credentials: EXAMPLE.root });
    const described = await kms.send(new DescribeKeyCommand({ KeyId: "alias/app-secrets" }));
    assert.equal(described.KeyMetadata?.KeyId, EXAMPLE.appKeyId);
    assert.equal(described.KeyMetadata?.Description, "application secrets");
    assert.deepEqual((await kms.send(new ListResourceTagsCommand({ KeyId: EXAMPLE.appKeyId }))).Tags, [{ TagKey: "app", TagValue: "shop" }]);
    const rotation = await kms.send(new GetKeyRotationStatusCommand({ KeyId: EXAMPLE.appKeyId }));
    assert.equal(rotation.KeyRotationEnabled, true);
    assert.equal(rotation.RotationPeriodInDays, 180);
    const grants = (await kms.send(new ListGrantsCommand({ KeyId: EXAMPLE.appKeyId }))).Grants ?? [];
    assert.deepEqual(
      grants.map((grant) => [grant.Name, grant.GranteePrincipal, grant.Operations, grant.Constraints]),
      [["ci-decrypt", `arn:aws:iam::${EXAMPLE.accountId}:user/ci`, ["Decrypt", "GenerateDataKey"], { EncryptionContextSubset: { app: "shop" } }]],
    );
  });

  it("uses the HMAC and asymmetric material of the file: a MAC and a public key anyone can compute from it", async () => {
    const kms = kmsd.kms({ credentials: EXAMPLE.root });
    const message = Buffer.from("seeded");
    const mac = await kms.send(new GenerateMacCommand({ KeyId: "alias/app-tokens", MacAlgorithm: "HMAC_SHA_256", Message: message }));
    assert.equal(mac.KeyId, `arn:aws:kms:us-east-1:${EXAMPLE.accountId}:key/${EXAMPLE.hmacKeyId}`);
    assert.deepEqual(Buffer.from(mac.Mac ?? []), createHmac("sha256", Buffer.from(EXAMPLE.hmacKeyMaterial, "base64")).update(message).digest());
    const pem = (parse(seedText) as { accounts: Array<{ keys: Array<{ id: string; material?: string }> }> }).accounts[0]?.keys.find((key) => key.id === EXAMPLE.signingKeyId)?.material ?? "";
    const expected = createPublicKey(pem).export({ type: "spki", format: "der" });
    const publicKey = await kms.send(new GetPublicKeyCommand({ KeyId: EXAMPLE.signingKeyId }));
    assert.deepEqual(Buffer.from(publicKey.PublicKey ?? []), expected);
    assert.equal(publicKey.KeyUsage, "SIGN_VERIFY");
  });

  it("creates the IAM policies, groups, users with their access keys, and roles", async () => {
    const client = iam(kmsd, EXAMPLE.root);
    try {
      const ci = await client.send(new GetUserCommand({ UserName: "ci" }));
      assert.deepEqual(ci.User?.Tags, [{ Key: "team", Value: "platform" }]);
      assert.deepEqual((await client.send(new ListGroupsForUserCommand({ UserName: "ci" }))).Groups?.map((group) => group.GroupName), ["developers"]);
      assert.deepEqual(
        (await client.send(new ListAttachedGroupPoliciesCommand({ GroupName: "developers" }))).AttachedPolicies?.map((policy) => policy.PolicyArn),
        [`arn:aws:iam::${EXAMPLE.accountId}:policy/app-kms-use`],
      );
      assert.equal((await client.send(new GetUserCommand({ UserName: "auditor" }))).User?.Path, "/audit/");
      assert.deepEqual((await client.send(new ListUserPoliciesCommand({ UserName: "auditor" }))).PolicyNames, ["read-keys"]);
      const role = await client.send(new GetRoleCommand({ RoleName: "deployer" }));
      assert.equal(role.Role?.Description, "Assumed by the deployment pipeline");
    } finally {
      client.destroy();
    }
  });

  it("a second start with the same file changes nothing", async () => {
    const kms = () => kmsd.kms({ credentials: EXAMPLE.root });
    const snapshot = async () => ({
      keys: ((await kms().send(new ListKeysCommand({}))).Keys ?? []).map((key) => key.KeyId).sort(),
      grants: ((await kms().send(new ListGrantsCommand({ KeyId: EXAMPLE.appKeyId }))).Grants ?? []).map((grant) => grant.GrantId),
    });
    const before = await snapshot();
    await kmsd.stop();
    kmsd = await startKmsd({ dataDir, args: ["--init", seedPath] });
    assert.match(kmsd.stderr(), /"message":"seed file: the deployment already holds everything in it".*"created":0/);
    assert.deepEqual(await snapshot(), before);
    await assertCommittedCiphertextDecrypts(kmsd);
  });

  it("a resource with another definition stops the start with a diff naming its line, and nothing is written", async () => {
    await kmsd.stop();
    const changed = seedText
      .replace("tags: { app: shop }", "tags: { app: store }")
      .replace("operations: [Decrypt, GenerateDataKey]", "operations: [Decrypt]")
      .replace("    users:\n", "    users:\n      - name: newcomer\n");
    const changedPath = writeSeedFile(changed);
    const { code, stderr } = await failedStart(dataDir, changedPath);
    assert.equal(code, 1);
    const keyLine = lineOf(changed, `- id: ${EXAMPLE.appKeyId}`);
    const grantLine = lineOf(changed, "- name: ci-decrypt");
    assert.ok(stderr.includes(`${changedPath}: the deployment differs from the seed file (nothing was changed):`), stderr);
    assert.ok(stderr.includes(`${changedPath}:${keyLine}: key ${EXAMPLE.appKeyId}: tags is {"app":"shop"} in the deployment, {"app":"store"} in the file`), stderr);
    assert.ok(stderr.includes(`${changedPath}:${grantLine}: grant ci-decrypt: operations is ["Decrypt","GenerateDataKey"] in the deployment, ["Decrypt"] in the file`), stderr);
    // The new user of the refused file was not created.
    kmsd = await startKmsd({ dataDir });
    const client = iam(kmsd, EXAMPLE.root);
    try {
      await expectAwsError(client.send(new GetUserCommand({ UserName: "newcomer" })), "NoSuchEntityException");
    } finally {
      client.destroy();
    }
    assert.deepEqual((await kmsd.kms({ credentials: EXAMPLE.root }).send(new ListResourceTagsCommand({ KeyId: EXAMPLE.appKeyId }))).Tags, [{ TagKey: "app", TagValue: "shop" }]);
  });

  it("a diff never shows key material or secrets", async () => {
    await kmsd.stop();
    const otherMaterial = Buffer.alloc(32, 7).toString("base64");
    const otherSecret = "x".repeat(40);
    const changed = seedText.replace(EXAMPLE.appKeyMaterial, otherMaterial).replace(EXAMPLE.ci.secretAccessKey, otherSecret);
    const changedPath = writeSeedFile(changed);
    const { code, stderr } = await failedStart(dataDir, changedPath);
    assert.equal(code, 1);
    assert.ok(stderr.includes(`${changedPath}:${lineOf(changed, `- id: ${EXAMPLE.appKeyId}`)}: key ${EXAMPLE.appKeyId}: material is (not shown) in the deployment, (not shown) in the file`), stderr);
    assert.ok(stderr.includes(`${changedPath}:${lineOf(changed, `- id: ${EXAMPLE.ci.accessKeyId}`)}: access key ${EXAMPLE.ci.accessKeyId}: secret is (not shown)`), stderr);
    for (const secret of [otherMaterial, otherSecret, EXAMPLE.appKeyMaterial, EXAMPLE.ci.secretAccessKey]) assert.ok(!stderr.includes(secret));
    kmsd = await startKmsd({ dataDir, args: ["--init", seedPath] });
  });
});

describe("seed file mistakes name the file line", () => {
  const base = seedExample();
  // Each case: the file as changed, the text of the line at fault, and what the message says.
  const cases: Array<{ name: string; text: string; at: string; says: string; usage?: boolean }> = [
    {
      name: "an account id YAML reads as a number",
      text: base.replace('- id: "111122223333"', "- id: 111122223333"),
      at: "- id: 111122223333",
      says: "id must be text (put it in quotes)",
      usage: true,
    },
    {
      name: "an unknown field",
      text: base.replace("        description: application secrets\n", "        description: application secrets\n        colour: blue\n"),
      at: "colour: blue",
      says: "unknown field 'colour' in a key",
      usage: true,
    },
    {
      name: "a key id that is not a UUID",
      text: base.replace(`- id: ${EXAMPLE.hmacKeyId}`, "- id: my-key"),
      at: "- id: my-key",
      says: "id must be a key id (a UUID in lower case), not 'my-key'",
      usage: true,
    },
    {
      name: "a rotation period AWS refuses (the model's message)",
      text: base.replace("periodInDays: 180", "periodInDays: 10"),
      at: `- id: ${EXAMPLE.appKeyId}`,
      says: `key ${EXAMPLE.appKeyId}: rotation: ValidationException: 1 validation error detected: Value '10' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value greater than or equal to 90`,
    },
    {
      name: "symmetric material of the wrong length (ImportKeyMaterial's message)",
      text: base.replace(EXAMPLE.appKeyMaterial, Buffer.alloc(16, 1).toString("base64")),
      at: "material: AQEBAQEBAQEBAQEBAQEBAQ==",
      says: `key ${EXAMPLE.appKeyId}: material: ValidationException: The key material must be exactly 256 bits (32 bytes) for a SYMMETRIC_DEFAULT key.`,
    },
    {
      name: "a grant operation that does not exist",
      text: base.replace("operations: [Decrypt, GenerateDataKey]", "operations: [Decrypt, Fly]"),
      at: "- name: ci-decrypt",
      says: "grant ci-decrypt: ValidationException: 1 validation error detected: Value '[Decrypt, Fly]' at 'operations' failed to satisfy constraint",
    },
  ];

  for (const { name, text, at, says, usage } of cases) {
    it(`${name}: init --check exits 1 and serve stops, both naming the line`, async () => {
      const path = writeSeedFile(text);
      const expected = `${path}:${lineOf(text, at)}: ${says}`;
      const check = await runKmsdCli(["init", "--check", path]);
      assert.equal(check.code, 1, check.stderr);
      assert.ok(check.stderr.includes(expected), `${check.stderr}\nexpected: ${expected}`);
      const dataDir = join(mkdtempSync(join(tmpdir(), "kmsd-seed-bad-")), "data");
      const serve = await failedStart(dataDir, path);
      // A file that is not well formed stops the start before it listens (bad usage); one AWS refuses, as it is applied.
      assert.equal(serve.code, usage ? 2 : 1, serve.stderr);
      assert.ok(serve.stderr.includes(expected), `${serve.stderr}\nexpected: ${expected}`);
    });
  }

  it("init --check says the example is valid", async () => {
    const path = writeSeedFile();
    const { code, stdout } = await runKmsdCli(["init", "--check", path]);
    assert.equal(code, 0);
    assert.equal(stdout, `${path}: valid (1 account, 13 resources)\n`);
  });
});

describe("where the seed is applied", () => {
  it("with --workers, the primary applies it once before the workers serve", async () => {
    const kmsd = await startKmsdWorkers(2, ["--init", writeSeedFile()]);
    try {
      assert.equal((kmsd.stderr().match(/"message":"seed file applied"/g) ?? []).length, 1);
      await assertCommittedCiphertextDecrypts(kmsd);
      await assertCommittedCiphertextDecrypts(kmsd);
    } finally {
      await kmsd.dispose();
    }
  });

  it("on a sealed node, once it is unsealed", async () => {
    const { dataDir, init } = await initShamir(3, 2);
    const kmsd = await startKmsd({ dataDir, args: ["--seal", "shamir", "--init", writeSeedFile()] });
    try {
      assert.doesNotMatch(kmsd.stderr(), /seed file applied/);
      await unsealWith(kmsd.endpoint, init.UnsealShares);
      await assertCommittedCiphertextDecrypts(kmsd);
      assert.match(kmsd.stderr(), /"message":"seed file applied"/);
    } finally {
      await kmsd.dispose();
    }
  });

  it("on PostgreSQL, and a second node's start finds everything there", async () => {
    const databaseUrl = await freshDatabase();
    const seedPath = writeSeedFile();
    let kmsd = await startKmsd({ args: ["--database", databaseUrl, "--init", seedPath] });
    try {
      await assertCommittedCiphertextDecrypts(kmsd);
      await kmsd.stop();
      kmsd = await startKmsd({ dataDir: kmsd.dataDir, args: ["--database", databaseUrl, "--init", seedPath] });
      assert.match(kmsd.stderr(), /"created":0/);
      await assertCommittedCiphertextDecrypts(kmsd);
    } finally {
      await kmsd.dispose();
    }
  });
});
