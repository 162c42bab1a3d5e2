/**
 * End to end: `kmsd operator rekey --endpoint URL --shares N --threshold T` gives a running
 * shamir node a new set of unseal shares for the same root key, given the threshold's
 * current shares on standard input. Afterwards the old shares are refused, the new ones
 * unseal the node (also after a restart), and every key still decrypts; a rekey with too
 * few or wrong shares, or without the root's signature, changes nothing.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { startKmsd, type Kmsd } from "./support/kmsd.ts";
import { initShamir, rekey, seal, unseal, unsealWith } from "./support/seal.ts";
import { checkThings, makeThings } from "./support/sealedThings.ts";

function sealFile(dataDir: string): string {
  return readFileSync(join(dataDir, "seal.json"), "utf8");
}

describe("operator rekey on a serving shamir node", () => {
  it("makes a new set of shares: the old ones are refused, the new ones unseal, every key still decrypts", async () => {
    const { dataDir, init } = await initShamir(3, 2);
    const old = init.UnsealShares;
    const credentials = { accessKeyId: init.AccessKeyId, secretAccessKey: init.SecretAccessKey };
    let node: Kmsd = await startKmsd({ dataDir });
    try {
      await unsealWith(node.endpoint, old.slice(0, 2));
      const made = await makeThings(node);
      const before = sealFile(dataDir);

      // Too few shares, a wrong one, or a stranger's signature: refused, and the seal file is as it was.
      const tooFew = await rekey(node.endpoint, credentials, old.slice(0, 1), 4, 3);
      assert.equal(tooFew.code, 1);
      assert.match(tooFew.stderr, /SealRequestRefusedException: A rekey needs 2 of the current unseal shares; it got 1/);
      const altered = Buffer.from(old[1] ?? "", "base64");
      altered[20] = (altered[20] ?? 0) ^ 0xff;
      const wrong = await rekey(node.endpoint, credentials, [old[0] ?? "", altered.toString("base64")], 4, 3);
      assert.equal(wrong.code, 1);
      assert.match(wrong.stderr, /not one of this node's unseal shares/);
      const stranger = await rekey(node.endpoint, { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "x".repeat(40) }, old.slice(0, 2), 4, 3);
      assert.equal(stranger.code, 1);
      const badThreshold = await rekey(node.endpoint, credentials, old.slice(0, 2), 3, 4);
      assert.equal(badThreshold.code, 1);
      assert.equal(sealFile(dataDir), before);

      const rekeyed = await rekey(node.endpoint, credentials, [old[2] ?? "", old[0] ?? ""], 4, 3);
      assert.equal(rekeyed.code, 0, rekeyed.stderr);
      const fresh = rekeyed.output?.UnsealShares ?? [];
      assert.equal(fresh.length, 4);
      assert.equal(rekeyed.output?.Threshold, 3);
      for (const share of fresh) assert.equal(old.includes(share), false);
      assert.notEqual(sealFile(dataDir), before);
      assert.equal(existsSync(join(dataDir, "seal.json.tmp")), false);
      for (const share of [...old, ...fresh]) assert.equal(sealFile(dataDir).includes(share), false, "the seal file holds no share");
      // The node kept serving through the rekey.
      await checkThings(node, made);

      // Sealed: an old share is refused; three new ones unseal it.
      assert.equal((await seal(node.endpoint, credentials)).code, 0);
      const refused = await unseal(node.endpoint, old[0] ?? "");
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /another kmsd deployment's seal/);
      await unsealWith(node.endpoint, fresh.slice(1, 4));
      await checkThings(node, made);

      // After a restart too.
      await node.stop();
      node = await startKmsd({ dataDir });
      assert.equal((await unseal(node.endpoint, old[1] ?? "")).code, 1);
      const progress = await unseal(node.endpoint, fresh[0] ?? "");
      assert.equal(progress.status?.Progress, 1);
      await unsealWith(node.endpoint, fresh.slice(2, 4));
      await checkThings(node, made);
    } finally {
      await node.stop();
      rmSync(join(dataDir, ".."), { recursive: true, force: true });
    }
  });
});
