/**
 * SigV4 signing keys are derived once per access key, date, region and service and then
 * reused; a cached key must never let through a request signed with another secret, and
 * a request verifies exactly when the SDK's own signer made it.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { HttpRequest } from "@smithy/protocol-http";
import { Hash } from "@smithy/hash-node";
import { SignatureV4 } from "@smithy/signature-v4";
import { SigningKeyCache } from "../src/server/signingKeys.ts";
import { parseSigV4, verifySignature, type RawRequest } from "../src/server/sigv4.ts";

const ACCESS_KEY = "AKIAEXAMPLESIGNING01";
const SECRET = "signing-key-cache-secret/0123456789abcdef";

/** A request as the AWS SDK signs it, in the shape the server receives it. */
async function sdkSigned(options: { secret?: string; region?: string; date?: Date; sessionToken?: string; body?: string } = {}): Promise<RawRequest> {
  const body = Buffer.from(options.body ?? '{"KeyId":"alias/example"}', "utf8");
  const signer = new SignatureV4({
    credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: options.secret ?? SECRET, ...(options.sessionToken ? { sessionToken: options.sessionToken } : {}) },
    region: options.region ?? "us-east-1",
    service: "kms",
    sha256: Hash.bind(null, "sha256"),
  });
  const signed = await signer.sign(
    new HttpRequest({
      method: "POST",
      hostname: "127.0.0.1",
      path: "/",
      headers: { host: "127.0.0.1:4000", "content-type": "application/x-amz-json-1.1", "x-amz-target": "TrentService.DescribeKey" },
      body,
    }),
    { signingDate: options.date ?? new Date() },
  );
  const headers = Object.fromEntries(Object.entries(signed.headers).map(([name, value]) => [name.toLowerCase(), value]));
  return { method: "POST", path: "/", query: {}, headers, body, sourceIp: "127.0.0.1", secure: false };
}

const verify = (request: RawRequest, secret = SECRET) => verifySignature(request, parseSigV4(request.headers), secret);

describe("SigV4 signing keys", () => {
  it("a signing key is derived once per access key, date, region and service", async () => {
    const cache = new SigningKeyCache();
    const first = await cache.keyFor(ACCESS_KEY, SECRET, "20261207", "us-east-1", "kms");
    assert.equal(await cache.keyFor(ACCESS_KEY, SECRET, "20261207", "us-east-1", "kms"), first);
    assert.equal(cache.derivations, 1);
    await cache.keyFor(ACCESS_KEY, SECRET, "20261208", "us-east-1", "kms");
    await cache.keyFor(ACCESS_KEY, SECRET, "20261207", "eu-west-1", "kms");
    await cache.keyFor(ACCESS_KEY, SECRET, "20261207", "us-east-1", "iam");
    await cache.keyFor("AKIAEXAMPLESIGNING02", SECRET, "20261207", "us-east-1", "kms");
    assert.equal(cache.derivations, 5);
  });

  it("a cached key is not handed out for another secret under the same access key", async () => {
    const cache = new SigningKeyCache();
    const right = await cache.keyFor(ACCESS_KEY, SECRET, "20261207", "us-east-1", "kms");
    const other = await cache.keyFor(ACCESS_KEY, "another-secret", "20261207", "us-east-1", "kms");
    assert.notDeepEqual(other.export(), right.export());
    assert.equal(cache.derivations, 2);
  });

  it("the cache holds at most its bound, dropping the oldest scope", async () => {
    const cache = new SigningKeyCache(2);
    for (const date of ["20261201", "20261202", "20261203"]) await cache.keyFor(ACCESS_KEY, SECRET, date, "us-east-1", "kms");
    await cache.keyFor(ACCESS_KEY, SECRET, "20261203", "us-east-1", "kms");
    assert.equal(cache.derivations, 3);
    await cache.keyFor(ACCESS_KEY, SECRET, "20261201", "us-east-1", "kms");
    assert.equal(cache.derivations, 4);
  });
});

describe("SigV4 verification with cached signing keys", () => {
  it("accepts what the SDK signed, again and again, across dates, regions and session tokens", async () => {
    for (let i = 0; i < 3; i++) await verify(await sdkSigned({ body: `{"n":${i}}` }));
    await verify(await sdkSigned({ date: new Date(Date.now() - 86_400_000) }));
    await verify(await sdkSigned({ region: "eu-west-1" }));
    await verify(await sdkSigned({ sessionToken: "session-token-example" }));
  });

  it("refuses a request signed with another secret after the right one was verified the same day", async () => {
    await verify(await sdkSigned());
    await assert.rejects(verify(await sdkSigned({ secret: "wrong-secret" })), { name: "InvalidSignatureException" });
    await assert.rejects(verify(await sdkSigned(), "wrong-secret"), { name: "InvalidSignatureException" });
  });

  it("refuses a request whose X-Amz-Date moved a second after signing, right after a request of the first second verified", async () => {
    const signedAt = new Date(Date.UTC(2026, 11, 7, 23, 59, 59));
    await verify(await sdkSigned({ date: signedAt }));
    const request = await sdkSigned({ date: signedAt });
    const moved = { ...request, headers: { ...request.headers, "x-amz-date": "20261208T000000Z" } };
    // The scope still names the 7th, so the moved date is refused for the scope first; with the scope moved too, for the signature.
    await assert.rejects(verify(moved), { name: "InvalidSignatureException", message: /Date in Credential scope/ });
    const authorization = String(request.headers.authorization).replace("/20261207/", "/20261208/");
    await assert.rejects(verify({ ...moved, headers: { ...moved.headers, authorization } }), { name: "InvalidSignatureException", message: /does not match the signature you provided/ });
  });

  it("refuses a request whose body changed after signing", async () => {
    const request = await sdkSigned();
    await assert.rejects(verify({ ...request, body: Buffer.from('{"KeyId":"alias/other"}') }), { name: "InvalidSignatureException" });
  });
});
