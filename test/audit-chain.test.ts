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

  const sameText: { name: string; ordered: unknown; shuffled: unknown; text: string }[] = [
    { name: "members in order or not", ordered: { a: 1, b: { c: [1, { d: 2, e: 3 }] } }, shuffled: { b: { c: [1, { e: 3, d: 2 }] }, a: 1 }, text: '{"a":1,"b":{"c":[1,{"d":2,"e":3}]}}' },
    { name: "integer-like keys sort as text", ordered: { "10": 1, "2": 2, a: 3 }, shuffled: { a: 3, "2": 2, "10": 1 }, text: '{"10":1,"2":2,"a":3}' },
    { name: "upper case before lower case", ordered: { ARN: "x", accountId: "y" }, shuffled: { accountId: "y", ARN: "x" }, text: '{"ARN":"x","accountId":"y"}' },
    { name: "undefined members and array items", ordered: { a: [undefined, null], b: undefined }, shuffled: { b: undefined, a: [undefined, null] }, text: '{"a":[null,null]}' },
    { name: "non-finite numbers", ordered: { a: Number.NaN, b: Infinity }, shuffled: { b: Infinity, a: Number.NaN }, text: '{"a":null,"b":null}' },
  ];
  for (const { name, ordered, shuffled, text } of sameText) {
    it(`canonical JSON is one text whatever the members' order: ${name}`, () => {
      assert.equal(canonicalJson(ordered), text);
      assert.equal(canonicalJson(shuffled), text);
    });
  }

  it("an own __proto__ member (a caller's encryption context key) is data, in its place", () => {
    const context: Record<string, unknown> = {};
    for (const key of ["z", "__proto__", "a"]) Object.defineProperty(context, key, { value: key, enumerable: true });
    assert.equal(canonicalJson({ encryptionContext: context }), '{"encryptionContext":{"__proto__":"__proto__","a":"a","z":"z"}}');
  });

  it("values JSON.stringify would write another way keep their canonical text", () => {
    // A Date has no members of its own; a function member is written as null, as it always was.
    assert.equal(canonicalJson({ a: new Date(0), b: () => 1 }), '{"a":{},"b":null}');
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
