/**
 * The secret-bytes discipline of crypto/secret.ts: a request's secrets are zeroed together,
 * once, by the pipeline (RequestSecrets), including the request's and response's secret
 * members; long-lived secrets (SecretBytes) never print their bytes.
 */
import assert from "node:assert/strict";
import { inspect } from "node:util";
import { describe, it } from "node:test";
import { RequestSecrets, SecretBytes } from "../src/crypto/secret.ts";

describe("RequestSecrets", () => {
  it("zeroes what a handler held and the secret members of the request and the response, and nothing else", () => {
    const secrets = new RequestSecrets();
    const dataKey = secrets.hold(Buffer.from("a data key that is not returned"));
    const request = { KeyId: "alias/x", Plaintext: Buffer.from("plaintext in") };
    const response = { CiphertextBlob: Buffer.from("ciphertext"), Plaintext: Buffer.from("plaintext out"), PrivateKeyPlaintext: Buffer.from("private"), SharedSecret: Buffer.from("shared") };
    secrets.holdMembers(request);
    secrets.holdMembers(response);
    secrets.zero();
    for (const bytes of [dataKey, request.Plaintext, response.Plaintext, response.PrivateKeyPlaintext, response.SharedSecret]) assert.ok(bytes.every((byte) => byte === 0));
    assert.equal(response.CiphertextBlob.toString(), "ciphertext");
  });
});

describe("SecretBytes", () => {
  it("prints no byte of itself in logs, JSON or inspect, and is zeroed when done", () => {
    const secret = SecretBytes.copyOf(Buffer.from("0123456789abcdef"));
    for (const shown of [String(secret), JSON.stringify({ secret }), inspect(secret)]) assert.equal(shown.includes("0123"), false, shown);
    secret.zero();
    assert.ok(secret.unsafeBytes().every((byte) => byte === 0));
  });
});
