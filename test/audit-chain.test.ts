/**
 * The hash chain's building blocks: canonical JSON is independent of key order and stable
 * through a parse, each hash covers the previous hash and the record, and the record diff
 * tells insertions, removals, reorderings and alterations apart.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { canonicalJson, chainHash, GENESIS_HASH } from "../src/audit/canonicalJson.ts";
import { diffRecords, type RecordItem } from "../src/audit/recordDiff.ts";

describe("audit hash chain", () => {
  it("canonical JSON sorts keys at every level and drops undefined members", () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [true, null, "x"], c: undefined, "2": 2, "10": 1 } }), '{"a":{"10":1,"2":2,"d":[true,null,"x"]},"b":1}');
  });

  it("the canonical text of a parsed canonical record is the same text", () => {
    const text = canonicalJson({ eventID: "e", requestParameters: { encryptionContext: { "1": "a", Z: "b", a: "\u2028\"" } }, readOnly: true });
    assert.equal(canonicalJson(JSON.parse(text)), text);
  });

  it("a hash changes with the previous hash and with any byte of the record", () => {
    const record = canonicalJson({ eventID: "e" });
    const hash = chainHash(GENESIS_HASH, record);
    assert.match(hash, /^[0-9a-f]{64}$/);
    assert.notEqual(chainHash("1".repeat(64), record), hash);
    assert.notEqual(chainHash(GENESIS_HASH, canonicalJson({ eventID: "f" })), hash);
  });

  const item = (eventId: string, canonical = eventId): RecordItem => ({ eventId, canonical });
  const expected = ["a", "b", "c", "d"].map((id) => item(id));
  const cases: { name: string; actual: RecordItem[]; changes: [string, string][] }[] = [
    { name: "the same records in the same order: no change", actual: expected, changes: [] },
    { name: "a record added", actual: [item("a"), item("x"), item("b"), item("c"), item("d")], changes: [["inserted", "x"]] },
    { name: "a record copied a second time", actual: [item("a"), item("b"), item("b"), item("c"), item("d")], changes: [["inserted", "b"]] },
    { name: "a record taken out", actual: [item("a"), item("c"), item("d")], changes: [["removed", "b"]] },
    // Of two swapped records, the one outside the longest run kept in order is reported.
    { name: "two records swapped", actual: [item("a"), item("c"), item("b"), item("d")], changes: [["reordered", "c"]] },
    { name: "one record moved to the end", actual: [item("b"), item("c"), item("d"), item("a")], changes: [["reordered", "a"]] },
    { name: "a record edited", actual: [item("a"), item("b", "edited"), item("c"), item("d")], changes: [["altered", "b"]] },
  ];
  for (const { name, actual, changes } of cases) {
    it(`record diff: ${name}`, () => {
      assert.deepEqual(
        diffRecords(expected, actual).map(({ change, item: changed }) => [change, changed.eventId]),
        changes,
      );
    });
  }
});
