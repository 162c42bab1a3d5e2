/**
 * End to end: a multi-Region key left in a transient state by a request that died between
 * its two transactions (ReplicateKey's Creating, UpdatePrimaryRegion's Updating) is not
 * left unusable: once the state has outlived its request by TRANSIENT_STATE_LIMIT_MS, the
 * scheduler completes the change the request had begun. The crash is reproduced by writing
 * the stored records as the first transaction left them, with the server stopped.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { describe, it } from "node:test";
import { CreateKeyCommand, DescribeKeyCommand, EncryptCommand, ReplicateKeyCommand } from "@aws-sdk/client-kms";
import { TRANSIENT_STATE_LIMIT_MS } from "../src/keys/records.ts";
import { startKmsd, type Kmsd } from "./support/kmsd.ts";

/** Rewrites the stored records of `keyId` in every Region with `change`, as a request's first transaction would have left them. */
function rewriteRecords(dataDir: string, keyId: string, change: (record: Record<string, unknown>) => Record<string, unknown>): void {
  const db = new DatabaseSync(join(dataDir, "kmsd.db"));
  try {
    const rows = db.prepare("SELECT key_id, record FROM keys WHERE key_id LIKE ?").all(`${keyId}%`) as { key_id: string; record: string }[];
    assert.ok(rows.length >= 2, "the primary and its replica are stored");
    for (const row of rows) {
      const record = change(JSON.parse(row.record) as Record<string, unknown>);
      const dueAt = typeof record.transientSinceMs === "number" ? record.transientSinceMs + TRANSIENT_STATE_LIMIT_MS : null;
      db.prepare("UPDATE keys SET record = ?, due_at = ? WHERE key_id = ?").run(JSON.stringify(record), dueAt, row.key_id);
    }
  } finally {
    db.close();
  }
}

describe("multi-Region keys after a crash in the middle of a request", () => {
  for (const transient of ["Creating", "Updating"] as const) {
    it(`a key left ${transient} is ended by the scheduler once the state outlived its request, and is usable again`, async () => {
      const dataDir = mkdtempSync(join(tmpdir(), "kmsd-mrk-crash-"));
      let node: Kmsd | undefined;
      try {
        node = await startKmsd({ dataDir, dev: true });
        const east = node.kms({ region: "us-east-1" });
        const keyId = (await east.send(new CreateKeyCommand({ MultiRegion: true }))).KeyMetadata?.KeyId as string;
        await east.send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: "eu-west-1" }));
        await node.stop();

        const since = Date.now();
        rewriteRecords(dataDir, keyId, (record) => {
          if (transient === "Creating") return record.region === "eu-west-1" ? { ...record, state: "Creating", transientSinceMs: since } : record;
          return { ...record, state: "Updating", stateBeforeUpdate: record.state, transientSinceMs: since };
        });

        node = await startKmsd({ dataDir, dev: true });
        const west = node.kms({ region: "eu-west-1" });
        const describe = async () => (await west.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata;
        assert.equal((await describe())?.KeyState, transient, "the crash state is what the node finds");

        // Not before the limit: the request may still be running. (The node's start took some of it.)
        const elapsedMs = (await node.advanceClock(0)).epochSeconds * 1000 - since;
        await node.advanceClock((TRANSIENT_STATE_LIMIT_MS - elapsedMs) / 1000 - 5);
        assert.equal((await describe())?.KeyState, transient);
        await node.advanceClock(10);
        const after = await describe();
        assert.equal(after?.KeyState, "Enabled");
        if (transient === "Updating") {
          // The move the request had begun is completed: eu-west-1 is the primary, us-east-1 its replica.
          assert.equal(after?.MultiRegionConfiguration?.PrimaryKey?.Region, "eu-west-1");
          assert.deepEqual(after?.MultiRegionConfiguration?.ReplicaKeys?.map((replica) => replica.Region), ["us-east-1"]);
          const east2 = node.kms({ region: "us-east-1" });
          const eastKey = (await east2.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata;
          assert.equal(eastKey?.KeyState, "Enabled");
          assert.equal(eastKey?.MultiRegionConfiguration?.MultiRegionKeyType, "REPLICA");
        }
        await west.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from("usable again") }));
        assert.match(node.stderr(), /a transient key state outlived its request; the scheduler ended it/);
      } finally {
        await node?.stop();
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  }
});
