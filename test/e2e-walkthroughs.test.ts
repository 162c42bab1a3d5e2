/**
 * End to end: the walk-throughs of docs/walkthroughs/ run as written. Each page's marked
 * blocks (AWS CLI in bash, one SDK script each) run in order against a fresh kmsd, and each
 * refusal the page shows must be the AWS error it names; then the outcomes are checked here
 * independently of the page (the restored volume is the original, the copy is under the
 * destination's key).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { DecryptCommand } from "@aws-sdk/client-kms";
import { startKmsd, type Credentials, type Kmsd } from "./support/kmsd.ts";
import { loadWalkthrough, runBlocks, walkthroughContext, type Block, type StepResult, type WalkthroughContext } from "./support/walkthrough.ts";

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

/** The value a step echoed on the line matching `pattern`. */
function echoed(result: StepResult | undefined, pattern: RegExp): string {
  const line = result?.stdout.split("\n").find((candidate) => pattern.test(candidate));
  assert.ok(line, `no line matching ${pattern} in ${result?.stdout}`);
  return line;
}

/** What the page saved with `kmsd account create --json > FILE`. */
function savedAccountFile(context: WalkthroughContext, file: string): { AccountId: string; AccessKeyId: string; SecretAccessKey: string } {
  return JSON.parse(readFileSync(join(context.dir, file), "utf8")) as { AccountId: string; AccessKeyId: string; SecretAccessKey: string };
}

/** The root credentials of an account the page created. */
function savedAccount(context: WalkthroughContext, file: string): Credentials {
  const account = savedAccountFile(context, file);
  return { accessKeyId: account.AccessKeyId, secretAccessKey: account.SecretAccessKey };
}

/** The id of an account the page created. */
function readAccountId(context: WalkthroughContext, file: string): string {
  return savedAccountFile(context, file).AccountId;
}

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

  it("single-Region keys: ReEncrypt to the other Region is refused, decrypt-then-encrypt restores the volume in eu-west-1 under key B", async () => {
    const results = runBlocks(blocks.filter((block) => block.section !== MULTI_REGION), context);
    assertRefusals(blocks, results, {
      "reencrypt-in-us-east-1": "NotFoundException",
      "reencrypt-in-eu-west-1": "AccessDeniedException",
      "restore-original-in-eu-west-1": "AccessDeniedException",
    });
    assert.deepEqual(readFileSync(join(context.dir, "restored.img")), readFileSync(join(context.dir, "volume.img")));
    const keyB = echoed(results.get("keys"), /^arn:aws:kms:eu-west-1:/);
    const copy = await kmsd.kms({ region: "eu-west-1", credentials: savedAccount(context, "account.json") }).send(
      new DecryptCommand({ CiphertextBlob: readFileSync(join(context.dir, "snapshot-eu.bin.key")), EncryptionContext: { purpose: "volume-snapshot" } }),
    );
    assert.equal(copy.KeyId, keyB, "the copy's data key is under key B");
  });

  it("one multi-Region key: the replica in eu-west-1 decrypts and ReEncrypts what the primary sealed in us-east-1", { skip: "multi-Region keys not merged yet" }, () => {
    runBlocks(blocks.filter((block) => block.section === MULTI_REGION), context);
    for (const restored of ["restored-mrk.img", "restored-mrk-b.img"]) {
      assert.deepEqual(readFileSync(join(context.dir, restored)), readFileSync(join(context.dir, "volume.img")), restored);
    }
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
    const results = runBlocks([...volumeTool, ...blocks], context);
    assertRefusals(blocks, results, {
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
    const [, keyA, keyB] = /from (\S+) to (\S+)$/.exec(echoed(results.get("b-copy"), /^data key re-encrypted from /)) ?? [];
    assert.ok(keyA?.includes(`:${readAccountId(context, "account-a.json")}:key/`) && keyB?.includes(`:${readAccountId(context, "account-b.json")}:key/`));
    const kmsB = kmsd.kms({ credentials: savedAccount(context, "account-b.json") });
    for (const copy of ["snapshot-b.bin.key", "snapshot-b2.bin.key"]) {
      const decrypted = await kmsB.send(new DecryptCommand({ CiphertextBlob: file(copy), EncryptionContext: { purpose: "volume-snapshot" } }));
      assert.equal(decrypted.KeyId, keyB, `${copy} is under B's key, both ways`);
    }
  });
});
