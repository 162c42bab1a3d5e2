/**
 * kmsd's XKS proxy answers as the published External Key Store Proxy API specification
 * (aws/aws-kms-xksproxy-api-spec) shows: its request examples are sent as written, signed
 * with SigV4 for `kms-xks-proxy`, and the answers are compared with the examples'. Where an
 * example's values come from a key we do not have (the Encrypt answer), its members, sizes
 * and CDIV rule are compared; where they do not (GetKeyMetadata, Decrypt of our own
 * ciphertext, the Appendix C CDIV), byte for byte.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { request } from "node:https";
import { after, before, describe, test } from "node:test";
import { CreateAliasCommand, CreateKeyCommand, DisableKeyCommand } from "@aws-sdk/client-kms";
import { Hash } from "@smithy/hash-node";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { ciphertextDataIntegrityValue } from "../src/xks/proxyClient.ts";
import type { Kmsd } from "./support/kmsd.ts";
import { freePort, makeProxyTls, PROXY_HOST, PROXY_USER, startProxyKmsd, type ProxyTls } from "./support/xks.ts";

/** The spec's GetKeyMetadata request example (its missing comma restored, so that it is JSON). */
const METADATA_REQUEST = `{
    "requestMetadata": {
        "awsPrincipalArn": "arn:aws:iam::123456789012:user/Alice",
        "kmsKeyArn": "arn:aws:kms:us-east-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "kmsOperation": "DescribeKey",
        "kmsRequestId": "4112f4d6-db54-4af4-ae30-c55a22a8dfae",
        "kmsViaService": "ebs"
    }
}`;
/** The spec's Encrypt request example: "Hello World!" with AAD "project=nile,department=marketing". */
const ENCRYPT_REQUEST = `{
    "requestMetadata": {
        "awsPrincipalArn": "arn:aws:iam::123456789012:user/Alice",
        "kmsKeyArn": "arn:aws:kms:us-east-2:123456789012:/key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "kmsOperation": "Encrypt",
        "kmsRequestId": "4112f4d6-db54-4af4-ae30-c55a22a8dfae",
        "kmsViaService": "ebs"
    },
    "additionalAuthenticatedData": "cHJvamVjdD1uaWxlLGRlcGFydG1lbnQ9bWFya2V0aW5n",
    "plaintext": "SGVsbG8gV29ybGQh",
    "encryptionAlgorithm": "AES_GCM",
    "ciphertextDataIntegrityValueAlgorithm": "SHA_256"
}`;
/** The spec's GetHealthStatus request example (its missing comma restored). */
const HEALTH_REQUEST = `{
    "requestMetadata": {
        "kmsRequestId": "4112f4d6-db54-4af4-ae30-c55a22a8dfae",
        "kmsOperation": "CreateCustomKeyStore"
    }
}`;

interface Answer {
  status: number;
  body: string;
}

describe("kmsd's XKS proxy against the specification's examples", () => {
  let tls: ProxyTls;
  let port: number;
  let b: Kmsd;
  let keyId: string;

  /** POSTs `body` to `path` at B's proxy, signed with the proxy user's credential unless `signWith` says otherwise. */
  async function post(path: string, body: string, options: { method?: string; secretAccessKey?: string } = {}): Promise<Answer> {
    const signer = new SignatureV4({
      credentials: { accessKeyId: PROXY_USER.accessKeyId, secretAccessKey: options.secretAccessKey ?? PROXY_USER.secretAccessKey },
      region: "us-east-2",
      service: "kms-xks-proxy",
      sha256: Hash.bind(null, "sha256"),
    });
    const method = options.method ?? "POST";
    const signed = await signer.sign(
      new HttpRequest({ method, protocol: "https:", hostname: PROXY_HOST, path, headers: { host: PROXY_HOST, "content-type": "application/json" }, body }),
    );
    return new Promise((resolve, reject) => {
      const req = request(
        { host: "127.0.0.1", port, servername: PROXY_HOST, method, path, headers: signed.headers, ca: tls.cert, agent: false },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (chunk: Buffer) => chunks.push(chunk));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  }

  before(async () => {
    tls = makeProxyTls();
    port = await freePort();
    b = await startProxyKmsd(tls, port);
    keyId = (await b.kms().send(new CreateKeyCommand({}))).KeyMetadata?.KeyId as string;
  });
  after(async () => b?.dispose());

  test("GetKeyMetadata answers the example's response byte for byte", async () => {
    const answer = await post(`/kms/xks/v1/keys/${keyId}/metadata`, METADATA_REQUEST);
    assert.equal(answer.status, 200);
    assert.equal(answer.body, JSON.stringify({ keySpec: "AES_256", keyUsage: ["ENCRYPT", "DECRYPT"], keyStatus: "ENABLED" }));
  });

  test("an XKS key id may be an alias name without alias/, under a path prefix", async () => {
    await b.kms().send(new CreateAliasCommand({ AliasName: "alias/xks-spec", TargetKeyId: keyId }));
    const answer = await post("/tenant-1/kms/xks/v1/keys/xks-spec/metadata", METADATA_REQUEST);
    assert.equal(answer.status, 200);
  });

  test("Encrypt answers the example's members, AES-GCM sizes and CDIV; Decrypt of that answer is the example's response byte for byte", async () => {
    const answer = await post(`/kms/xks/v1/keys/${keyId}/encrypt`, ENCRYPT_REQUEST);
    assert.equal(answer.status, 200);
    const encrypted = JSON.parse(answer.body) as Record<string, string>;
    assert.deepEqual(Object.keys(encrypted).sort(), ["authenticationTag", "ciphertext", "ciphertextDataIntegrityValue", "ciphertextMetadata", "initializationVector"]);
    const bytes = (name: string) => Buffer.from(encrypted[name] ?? "", "base64");
    assert.equal(bytes("ciphertext").length, "Hello World!".length);
    assert.equal(bytes("initializationVector").length, 12);
    assert.equal(bytes("authenticationTag").length, 16);
    assert.ok(bytes("ciphertextMetadata").length <= 20);
    const aad = Buffer.from("project=nile,department=marketing");
    const cdiv = createHash("sha256")
      .update(Buffer.concat([aad, bytes("ciphertextMetadata"), bytes("initializationVector"), bytes("ciphertext"), bytes("authenticationTag")]))
      .digest("base64");
    assert.equal(encrypted.ciphertextDataIntegrityValue, cdiv);

    const decryptRequest = JSON.stringify({
      requestMetadata: { awsPrincipalArn: "arn:aws:iam::123456789012:user/Alice", kmsKeyArn: "arn:aws:kms:us-east-2:123456789012:/key/1234abcd-12ab-34cd-56ef-1234567890ab", kmsOperation: "Decrypt", kmsRequestId: "5112f4d6-db54-4af4-ae30-c55a22a8dfae", kmsViaService: "ebs" },
      additionalAuthenticatedData: "cHJvamVjdD1uaWxlLGRlcGFydG1lbnQ9bWFya2V0aW5n",
      encryptionAlgorithm: "AES_GCM",
      ciphertext: encrypted.ciphertext,
      ciphertextMetadata: encrypted.ciphertextMetadata,
      initializationVector: encrypted.initializationVector,
      authenticationTag: encrypted.authenticationTag,
    });
    const decrypted = await post(`/kms/xks/v1/keys/${keyId}/decrypt`, decryptRequest);
    assert.equal(decrypted.status, 200);
    assert.equal(decrypted.body, '{"plaintext":"SGVsbG8gV29ybGQh"}');

    // The example error: the AAD changed.
    const tampered = await post(`/kms/xks/v1/keys/${keyId}/decrypt`, decryptRequest.replace("cHJvamVjdD1uaWxlLGRlcGFydG1lbnQ9bWFya2V0aW5n", "cHJvamVjdD1uaWxl"));
    assert.equal(tampered.status, 400);
    assert.equal((JSON.parse(tampered.body) as { errorName: string }).errorName, "InvalidCiphertextException");
  });

  test("the CDIV of Appendix C's example is the spec's value", () => {
    const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ""), "hex");
    const value = ciphertextDataIntegrityValue(Buffer.from("project=nile,department=marketing"), {
      ciphertextMetadata: Buffer.from("key_version=1"),
      iv: hex("1c ca e5 47 0f 39 70 02 54 77 90 31"),
      ciphertext: hex("82 1c 64 2b 5b 71 78 33 67 de af 18"),
      tag: hex("bc 1c 4d da 77 07 d6 81 24 47 c5 95 5e 99 b2 61"),
    });
    assert.equal(value, "qHA/ImC9h5HsLRXqCyPmWgYx7tzyoTplzILbP0fPXsc=");
  });

  test("GetHealthStatus answers every member of the example's response", async () => {
    const answer = await post("/kms/xks/v1/health", HEALTH_REQUEST);
    assert.equal(answer.status, 200);
    const health = JSON.parse(answer.body) as Record<string, unknown>;
    assert.deepEqual(Object.keys(health), ["xksProxyFleetSize", "xksProxyVendor", "xksProxyModel", "ekmVendor", "ekmFleetDetails"]);
    assert.equal(typeof health.xksProxyFleetSize, "number");
    const fleet = health.ekmFleetDetails as Array<Record<string, unknown>>;
    assert.ok(fleet.length >= 1 && fleet.length <= 10);
    assert.deepEqual(Object.keys(fleet[0] ?? {}), ["id", "model", "healthStatus"]);
    assert.equal(fleet[0]?.healthStatus, "ACTIVE");
  });

  test("errors carry the spec's status and errorName", async () => {
    const cases: Array<[string, () => Promise<Answer>, number, string]> = [
      ["a GET", () => post("/kms/xks/v1/health", "", { method: "GET" }), 405, "ValidationException"],
      ["a path outside the API", () => post("/kms/xks/v2/health", HEALTH_REQUEST), 404, "InvalidUriPathException"],
      ["a wrong secret", () => post("/kms/xks/v1/health", HEALTH_REQUEST, { secretAccessKey: "x".repeat(43) }), 401, "AuthenticationFailedException"],
      ["an unknown key", () => post("/kms/xks/v1/keys/no-such-key/metadata", METADATA_REQUEST), 404, "KeyNotFoundException"],
      ["no requestMetadata", () => post(`/kms/xks/v1/keys/${keyId}/metadata`, "{}"), 400, "ValidationException"],
    ];
    for (const [what, send, status, errorName] of cases) {
      const answer = await send();
      assert.equal(answer.status, status, what);
      assert.equal((JSON.parse(answer.body) as { errorName: string }).errorName, errorName, what);
    }
    await b.kms().send(new DisableKeyCommand({ KeyId: keyId }));
    const disabled = await post(`/kms/xks/v1/keys/${keyId}/encrypt`, ENCRYPT_REQUEST);
    assert.equal(disabled.status, 400);
    assert.equal((JSON.parse(disabled.body) as { errorName: string }).errorName, "InvalidStateException");
  });
});
