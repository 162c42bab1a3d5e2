// Strings that are not valid Unicode, unit by unit: the JSON body parser, the policy
// parser and the encryption context encoding refuse them; valid text, U+FFFD and escaped
// surrogate pairs included, passes. (End to end: e2e-unicode.test.ts.)
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parsePolicy, PolicyParseError } from "../src/authz/index.ts";
import { encodeEncryptionContext } from "../src/crypto/encryptionContext.ts";
import { AwsError } from "../src/errors.ts";
import { parseJsonBody } from "../src/server/jsonProtocol.ts";
import { parsedJsonWellFormed } from "../src/unicode.ts";

const body = (text: string) => Buffer.from(text, "utf8");

function refusal(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    if (error instanceof Error) return error;
  }
  throw new Error("expected a refusal");
}

void describe("parsedJsonWellFormed (of text decoded from UTF-8)", () => {
  const cases: [string, boolean][] = [
    ['{"k":"v"}', true],
    ['{"k":"\\ufffd"}', true],
    ['{"k":"\\ud83d\\ude00"}', true], // an escaped surrogate pair: one astral character
    ['{"k":"\\\\ud800"}', true], // an escaped backslash then "ud800": no surrogate at all
    ['{"k":"\\ud800"}', false],
    ['{"k":"\\uDFFF"}', false],
    ['{"\\udbff":"v"}', false], // in a key
    ['{"a":[1,{"b":["x","\\ud800y"]}]}', false], // deep inside
    ['"\\ude00\\ud83d"', false], // a pair in the wrong order
    ['"\\u0041\\u00e9\\u001f\\n"', true], // other escapes
  ];
  for (const [text, expected] of cases) {
    void it(`${text} is ${expected ? "" : "not "}well formed`, () => {
      assert.equal(parsedJsonWellFormed(text, JSON.parse(text)), expected);
    });
  }

  void it("walks a value nested far deeper than the call stack", () => {
    const depth = 200_000;
    const text = "[".repeat(depth) + '"\\ud800"' + "]".repeat(depth);
    assert.equal(parsedJsonWellFormed(text, JSON.parse(text)), false);
  });
});

void describe("parseJsonBody", () => {
  void it("refuses bytes that are not UTF-8 and lone surrogate escapes (SerializationException)", () => {
    const bad = [
      Buffer.concat([body('{"k":"'), Buffer.from([0xed, 0xa0, 0x80]), body('"}')]),
      Buffer.concat([body('{"k":"'), Buffer.from([0xff]), body('"}')]),
      body('{"EncryptionContext":{"k":"\\ud800"}}'),
    ];
    for (const bytes of bad) {
      const error = refusal(() => parseJsonBody(bytes));
      assert.ok(error instanceof AwsError && error.code === "SerializationException", error.message);
      assert.match(error.message, /not valid (UTF-8|Unicode)/);
    }
  });

  void it("parses valid UTF-8, U+FFFD and escaped pairs as before", () => {
    assert.deepEqual(parseJsonBody(body('{"k":"é\\ufffd\\ud83d\\ude00😀"}')), { k: "é\ufffd😀😀" });
  });
});

void describe("parsePolicy", () => {
  void it("refuses a policy whose JSON holds a lone surrogate escape", () => {
    const text = JSON.stringify({
      Version: "2012-10-17",
      Statement: { Effect: "Allow", Action: "kms:Decrypt", Resource: "*", Condition: { StringEquals: { "kms:EncryptionContext:k": "\ud800" } } },
    });
    const error = refusal(() => parsePolicy(text, "identity"));
    assert.ok(error instanceof PolicyParseError);
    assert.match(error.message, /not valid Unicode/);
  });
});

void describe("encodeEncryptionContext", () => {
  void it("refuses a key or value that is not valid Unicode instead of binding it as U+FFFD", () => {
    const contexts: Record<string, string>[] = [{ k: "\ud800" }, { "\udfff": "v" }];
    for (const context of contexts) {
      const error = refusal(() => encodeEncryptionContext(context));
      assert.ok(error instanceof AwsError && error.code === "ValidationException", error.message);
    }
    assert.ok(encodeEncryptionContext({ k: "\ufffd" }).length > 0);
  });
});
