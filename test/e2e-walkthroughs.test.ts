/**
 * End to end: the walk-throughs of docs/walkthroughs/ run as written. Each page's marked
 * blocks (AWS CLI in bash, one SDK script each) run in order against a fresh kmsd, and each
 * refusal the page shows must be the AWS error it names; then the outcomes are checked here
 * independently of the page (the restored volume is the original, the copy is under the
 * destination's key).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
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

/** Root credentials the page saved with `kmsd account create --json > FILE`. */
function savedAccount(context: WalkthroughContext, file: string): Credentials {
  const account = JSON.parse(readFileSync(join(context.dir, file), "utf8")) as { AccessKeyId: string; SecretAccessKey: string };
  return { accessKeyId: account.AccessKeyId, secretAccessKey: account.SecretAccessKey };
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
