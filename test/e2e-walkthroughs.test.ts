/**
 * End to end: the walk-throughs of docs/walkthroughs/ run as written. Each page's marked
 * blocks (AWS CLI in bash, one SDK script each) run in order against a fresh kmsd, and each
 * refusal the page shows must be the AWS error it names; then the outcomes are checked here
 * independently of the page (the restored volume is the original, the copy is under the
 * destination's key).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DecryptCommand, type KMSClient } from "@aws-sdk/client-kms";
import { startKmsd, type Kmsd } from "./support/kmsd.ts";
import {
  loadWalkthrough,
  parseWalkthrough,
  runBlocks,
  walkthroughContext,
  type Block,
  type StepResult,
  type WalkthroughContext,
  type WalkthroughRun,
} from "./support/walkthrough.ts";

/** The steps a page shows failing, each with the AWS error code it must print. */
function assertRefusals(blocks: Block[], results: Map<string, StepResult>, expected: Record<string, string>): void {
  const failing = blocks.flatMap((block) => (block.kind === "step" && block.fails && results.has(block.name) ? [block.name] : []));
  assert.deepEqual(failing.sort(), Object.keys(expected).sort(), "the page's failing steps are the refusals this test knows");
  for (const [step, code] of Object.entries(expected)) {
    const result = results.get(step);
    assert.ok(result, step);
    assert.match(`${result.stdout}${result.stderr}`, new RegExp(`\\(${code}\\)|^${code}:`, "m"), `${step} is refused with ${code}`);
  }
}

/** A value a placeholder of the page took (`<key-b>`: the key id the page showed there). */
function shown(run: WalkthroughRun, placeholder: string): string {
  const value = run.values.get(placeholder);
  assert.ok(value, `the page shows <${placeholder}>`);
  return value;
}

/** What the page saved with `kmsd account create --json > FILE`. */
function savedAccountFile(context: WalkthroughContext, file: string): { AccountId: string; AccessKeyId: string; SecretAccessKey: string } {
  return JSON.parse(readFileSync(join(context.dir, file), "utf8")) as { AccountId: string; AccessKeyId: string; SecretAccessKey: string };
}

/** The id of an account the page created. */
function readAccountId(context: WalkthroughContext, file: string): string {
  return savedAccountFile(context, file).AccountId;
}

/** A KMS client in `region` with the root credentials of an account the page created. */
function kms(kmsd: Kmsd, context: WalkthroughContext, region: string, accountFile = "account.json"): KMSClient {
  const account = savedAccountFile(context, accountFile);
  return kmsd.kms({ region, credentials: { accessKeyId: account.AccessKeyId, secretAccessKey: account.SecretAccessKey } });
}

function keyArn(region: string, account: string, keyId: string): string {
  return `arn:aws:kms:${region}:${account}:key/${keyId}`;
}

/** The encryption context the pages' volume.mjs seals data keys with. */
const CONTEXT = { purpose: "volume-snapshot" };

describe("walk-through: copying an encrypted snapshot to another Region (cross-region-copy.md)", () => {
  const MULTI_REGION = "With one multi-Region key";
  const blocks = loadWalkthrough("cross-region-copy.md");
  let kmsd: Kmsd;
  let context: WalkthroughContext;
  before(async () => {
    kmsd = await startKmsd();
    context = walkthroughContext(kmsd, blocks);
  });
  after(async () => {
    await kmsd.dispose();
    rmSync(context.dir, { recursive: true, force: true });
  });

  let singleRegion: WalkthroughRun;
  it("single-Region keys: ReEncrypt to the other Region is refused, decrypt-then-encrypt restores the volume in eu-west-1 under key B", async () => {
    singleRegion = runBlocks(blocks.filter((block) => block.section !== MULTI_REGION), context);
    assertRefusals(blocks, singleRegion.steps, {
      "reencrypt-in-us-east-1": "NotFoundException",
      "reencrypt-in-eu-west-1": "AccessDeniedException",
      "restore-original-in-eu-west-1": "AccessDeniedException",
    });
    assert.deepEqual(readFileSync(join(context.dir, "restored.img")), readFileSync(join(context.dir, "volume.img")));
    assert.equal(shown(singleRegion, "account"), readAccountId(context, "account.json"));
    const copy = await kms(kmsd, context, "eu-west-1").send(
      new DecryptCommand({ CiphertextBlob: readFileSync(join(context.dir, "snapshot-eu.bin.key")), EncryptionContext: CONTEXT }),
    );
    assert.equal(copy.KeyId, keyArn("eu-west-1", shown(singleRegion, "account"), shown(singleRegion, "key-b")), "the copy's data key is under key B");
  });

  // The section continues the page where the single-Region part stopped (volume.img, key B, the profile).
  it("one multi-Region key: the replica in eu-west-1 decrypts and ReEncrypts what the primary sealed in us-east-1", async () => {
    const run = runBlocks(blocks.filter((block) => block.section === MULTI_REGION), context, singleRegion.values);
    for (const restored of ["restored-mrk.img", "restored-mrk-b.img"]) {
      assert.deepEqual(readFileSync(join(context.dir, restored)), readFileSync(join(context.dir, "volume.img")), restored);
    }
    assert.match(shown(run, "mrk-id"), /^mrk-[0-9a-f]{32}$/, "the primary and its replica share one mrk- id");
    const moved = await kms(kmsd, context, "eu-west-1").send(
      new DecryptCommand({ CiphertextBlob: readFileSync(join(context.dir, "snapshot-mrk-eu.bin.key")), EncryptionContext: CONTEXT }),
    );
    assert.equal(moved.KeyId, keyArn("eu-west-1", shown(run, "account"), shown(run, "key-b")), "ReEncrypt in eu-west-1 moved the data key under key B");
  });
});

describe("walk-through: copying an encrypted snapshot to another account (cross-account-copy.md)", () => {
  const blocks = loadWalkthrough("cross-account-copy.md");
  // The page uses the volume tool the cross-Region page defines, as its reader is told to.
  const volumeTool = loadWalkthrough("cross-region-copy.md").filter((block) => block.kind === "file" && block.name === "volume.mjs");
  let kmsd: Kmsd;
  let context: WalkthroughContext;
  before(async () => {
    kmsd = await startKmsd();
    context = walkthroughContext(kmsd, blocks);
  });
  after(async () => {
    await kmsd.dispose();
    rmSync(context.dir, { recursive: true, force: true });
  });

  it("B copies A's shared data key under its own key and restores the volume; each missing policy is refused as the page shows", async () => {
    assert.equal(volumeTool.length, 1, "cross-region-copy.md defines volume.mjs");
    const run = runBlocks([...volumeTool, ...blocks], context);
    assertRefusals(blocks, run.steps, {
      "a-revokes": "AccessDeniedException",
      "denied-without-key-policy-statement": "AccessDeniedException",
      "denied-without-iam-policy": "AccessDeniedException",
      "denied-reencrypt-with-decrypt-only": "AccessDeniedException",
      "denied-reencrypt-to-own-key": "AccessDeniedException",
      "denied-restore-without-decrypt": "AccessDeniedException",
    });
    const file = (name: string) => readFileSync(join(context.dir, name));
    assert.deepEqual(file("volume-b.img"), file("volume.img"), "B's volume is A's volume");
    assert.deepEqual(file("volume-b-again.img"), file("volume.img"), "B's copy restores after A withdrew its statement");
    for (const refused of ["volume-b-original.img", "volume-b-denied.img", "snapshot-b3.bin.key"]) {
      assert.equal(existsSync(join(context.dir, refused)), false, `a refused step wrote no ${refused}`);
    }
    assert.equal(shown(run, "account-a"), readAccountId(context, "account-a.json"));
    assert.equal(shown(run, "account-b"), readAccountId(context, "account-b.json"));
    const keyB = keyArn("us-east-1", shown(run, "account-b"), shown(run, "key-b"));
    for (const copy of ["snapshot-b.bin.key", "snapshot-b2.bin.key"]) {
      const decrypted = await kms(kmsd, context, "us-east-1", "account-b.json").send(
        new DecryptCommand({ CiphertextBlob: file(copy), EncryptionContext: CONTEXT }),
      );
      assert.equal(decrypted.KeyId, keyB, `${copy} is under B's key, both ways`);
    }
  });
});

describe("the walk-through runner catches a page that drifted from kmsd", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "kmsd-walkthrough-runner-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const run = (markdown: string) => runBlocks(parseWalkthrough(markdown), { dir, env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } });
  const step = (marker: string, script: string, shown?: string) =>
    `<!-- ${marker} -->\n\`\`\`sh\n${script}\n\`\`\`\n${shown === undefined ? "" : `\nYou should see:\n\n\`\`\`text\n${shown}\n\`\`\`\n`}`;

  const drifted: { name: string; markdown: string; error: RegExp }[] = [
    {
      name: "a line the page shows that the step did not print",
      markdown: step("step: one", "echo key created", "key deleted"),
      error: /step one did not print "key deleted"/,
    },
    { name: "a step the page shows succeeding that fails", markdown: step("step: one", "false"), error: /step one exited 1, the page says it succeeds/ },
    { name: "a refusal the page shows that succeeds", markdown: step("step: one, fails", "true"), error: /step one exited 0, the page says it fails/ },
    {
      name: "expected lines printed in another order",
      markdown: step("step: one", "echo second; echo first", "first\nsecond"),
      error: /did not print "second"/,
    },
    {
      name: "a placeholder shown again with another value",
      markdown: step("step: one", "echo key 1234", "key <key-a>") + step("step: two", "echo key 5678", "key <key-a>"),
      error: /step two did not print "key <key-a>" \(placeholders so far: <key-a> = 1234\)/,
    },
    {
      name: "one placeholder twice in a line with two values",
      markdown: step("step: one", "echo mrk-1 mrk-2", "<mrk-id> <mrk-id>"),
      error: /step one did not print "<mrk-id> <mrk-id>"/,
    },
  ];
  for (const { name, markdown, error } of drifted) {
    it(`refuses ${name}`, () => assert.throws(() => run(markdown), error));
  }

  it("accepts a page that matches, binding each placeholder to the value first shown", () => {
    const { values } = run(step("step: one", "echo key 1234 in us-east-1; echo other", "key <key-a> in <region>") + step("step: two", "echo 1234 1234", "<key-a> <key-a>"));
    assert.deepEqual(Object.fromEntries(values), { "key-a": "1234", region: "us-east-1" });
  });

  it("refuses a setup block exporting a variable the harness does not provide", () => {
    const blocks = parseWalkthrough(`<!-- setup -->\n\`\`\`sh\nexport AWS_ENDPOINT_URL=x AWS_PROFILE=mine\n\`\`\`\n`);
    const kmsd = { endpoint: "http://127.0.0.1:1", dataDir: dir, credentials: { accessKeyId: "AKIA", secretAccessKey: "s" } } as Kmsd;
    assert.throws(() => walkthroughContext(kmsd, blocks), /exports AWS_PROFILE, which the harness does not provide/);
  });
});
