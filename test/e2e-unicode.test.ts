// Strings that are not valid Unicode, end to end. UTF-8 encoding turns an unpaired UTF-16
// surrogate into U+FFFD, so an encryption context {"k": "\ud800"} would bind the same bytes
// as {"k": "\udfff"} or {"k": "\ufffd"}, and a grant constraint or a policy condition
// comparing the JS strings would see three different values. kmsd refuses such strings
// wherever they arrive: a lone surrogate escape in a JSON body (what @aws-sdk/client-kms
// sends for one), bytes that are not UTF-8 in a JSON body or in a form value (raw or
// percent-encoded), and a lone surrogate escape inside a policy document's own JSON.
// Every refused call changes nothing. Valid text, U+FFFD and astral characters included,
// still works.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CreateUserCommand, GetUserPolicyCommand, PutUserPolicyCommand } from "@aws-sdk/client-iam";
import {
  CreateGrantCommand,
  CreateKeyCommand,
  DecryptCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GetKeyPolicyCommand,
  ListGrantsCommand,
  ListKeysCommand,
  ListResourceTagsCommand,
  PutKeyPolicyCommand,
  ReEncryptCommand,
  TagResourceCommand,
  type KMSClient,
} from "@aws-sdk/client-kms";
import { bytes, createKey, type CreatedKey } from "./support/e2e.ts";
import { allow, policy, rootStatement, TestIdentities } from "./support/identities.ts";
import { expectAwsError, rawRequest, startKmsd, type Kmsd, type RawResponse } from "./support/kmsd.ts";

const PLAINTEXT = Buffer.from("bound to its context");
/** Unpaired surrogates: high, low, and a high one followed by a non-surrogate. */
const LONE_SURROGATES = ["\ud800", "\udfff", "a\udbffb"] as const;
/** UTF-8 encoding errors, as bytes: a surrogate encoded (CESU-8), an overlong NUL, a stray continuation byte, a truncated sequence, 0xFF. */
const NOT_UTF8: readonly (readonly [string, Buffer])[] = [
  ["an encoded surrogate (ED A0 80)", Buffer.from([0xed, 0xa0, 0x80])],
  ["an overlong encoding (C0 80)", Buffer.from([0xc0, 0x80])],
  ["a stray continuation byte (80)", Buffer.from([0x80])],
  ["a truncated sequence (E2 82)", Buffer.from([0xe2, 0x82])],
  ["the byte FF", Buffer.from([0xff])],
];
const NOT_UNICODE = /not valid (UTF-8|Unicode)/;

/** The encryption contexts that must be refused: a lone surrogate as a value and as a key. */
const badContexts = (): Record<string, string>[] => LONE_SURROGATES.flatMap((s) => [{ k: s }, { [s]: "v" }]);
const label = (value: unknown) => JSON.stringify(value); // escapes lone surrogates, so the test name is readable

void describe("strings that are not valid Unicode", () => {
  let kmsd: Kmsd;
  let kms: KMSClient;
  let key: CreatedKey;
  const identities = new TestIdentities(() => kmsd);

  before(async () => {
    kmsd = await startKmsd();
    kms = kmsd.kms();
    key = await createKey(kms);
  });
  after(async () => {
    identities.destroy();
    kms.destroy();
    await kmsd.dispose();
  });

  void describe("in an encryption context", () => {
    void it("valid text round-trips: U+FFFD itself, astral characters (surrogate pairs), non-ASCII keys", async () => {
      const contexts: Record<string, string>[] = [{ k: "\ufffd" }, { k: "😀 \u{10ffff}" }, { "clé": "valeur" }];
      for (const context of contexts) {
        const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: PLAINTEXT, EncryptionContext: context }));
        const { Plaintext } = await kms.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: context }));
        assert.deepEqual(bytes(Plaintext), PLAINTEXT, label(context));
      }
    });

    void it("is refused by every operation that binds one (Encrypt, Decrypt, GenerateDataKey, ReEncrypt source and destination)", async () => {
      // A ciphertext bound to U+FFFD: before the fix, any lone surrogate decrypted it.
      const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: PLAINTEXT, EncryptionContext: { k: "\ufffd" } }));
      for (const context of badContexts()) {
        const calls: [string, Promise<unknown>][] = [
          ["Encrypt", kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: PLAINTEXT, EncryptionContext: context }))],
          ["Decrypt", kms.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: context }))],
          ["GenerateDataKey", kms.send(new GenerateDataKeyCommand({ KeyId: key.KeyId, KeySpec: "AES_256", EncryptionContext: context }))],
          [
            "ReEncrypt (source)",
            kms.send(new ReEncryptCommand({ CiphertextBlob, SourceEncryptionContext: context, DestinationKeyId: key.KeyId })),
          ],
          [
            "ReEncrypt (destination)",
            kms.send(new ReEncryptCommand({ CiphertextBlob, SourceEncryptionContext: { k: "\ufffd" }, DestinationKeyId: key.KeyId, DestinationEncryptionContext: context })),
          ],
        ];
        for (const [operation, call] of calls) {
          await assert.doesNotReject(expectAwsError(call, "SerializationException", NOT_UNICODE), `${operation} ${label(context)}`);
        }
      }
    });

    void it("sent as bytes that are not UTF-8 is refused, not decoded as U+FFFD", async () => {
      for (const [name, invalid] of NOT_UTF8) {
        const body = Buffer.concat([
          Buffer.from(`{"KeyId":"${key.KeyId}","Plaintext":"${PLAINTEXT.toString("base64")}","EncryptionContext":{"k":"`),
          invalid,
          Buffer.from('"}}'),
        ]);
        const response = await rawRequest(kmsd.endpoint, { target: "TrentService.Encrypt", body, sign: { credentials: kmsd.credentials } });
        assertJsonError(response, "SerializationException", name);
      }
    });
  });

  void it("in grant constraints is refused by CreateGrant, and no grant is made", async () => {
    const grantee = `arn:aws:iam::${kmsd.accountId}:root`;
    for (const context of badContexts()) {
      for (const Constraints of [{ EncryptionContextEquals: context }, { EncryptionContextSubset: context }]) {
        await assert.doesNotReject(
          expectAwsError(
            kms.send(new CreateGrantCommand({ KeyId: key.KeyId, GranteePrincipal: grantee, Operations: ["Decrypt"], Constraints })),
            "SerializationException",
            NOT_UNICODE,
          ),
          label(Constraints),
        );
      }
    }
    const { Grants } = await kms.send(new ListGrantsCommand({ KeyId: key.KeyId }));
    assert.deepEqual(Grants, []);
  });

  void it("in tags is refused by TagResource and CreateKey, and nothing is tagged or created", async () => {
    const badTags = LONE_SURROGATES.flatMap((s) => [{ TagKey: s, TagValue: "v" }, { TagKey: "k", TagValue: s }]);
    const keysBefore = await allKeyIds(kms);
    for (const tag of badTags) {
      await assert.doesNotReject(expectAwsError(kms.send(new TagResourceCommand({ KeyId: key.KeyId, Tags: [tag] })), "SerializationException", NOT_UNICODE), label(tag));
      await assert.doesNotReject(expectAwsError(kms.send(new CreateKeyCommand({ Tags: [tag] })), "SerializationException", NOT_UNICODE), label(tag));
    }
    const { Tags } = await kms.send(new ListResourceTagsCommand({ KeyId: key.KeyId }));
    assert.deepEqual(Tags, []);
    assert.deepEqual(await allKeyIds(kms), keysBefore);
  });

  void describe("in a key policy", () => {
    // The policy text is valid Unicode; its JSON holds a lone surrogate escape in a condition value.
    const escapedPolicy = () =>
      policy(
        rootStatement(kmsd.accountId),
        allow("kms:Decrypt", "*", {
          Principal: { AWS: `arn:aws:iam::${kmsd.accountId}:root` },
          Condition: { StringEquals: { "kms:EncryptionContext:k": "\ud800" } },
        }),
      );

    void it("as an escape in the policy's JSON is refused by PutKeyPolicy and CreateKey (MalformedPolicyDocumentException)", async () => {
      const text = escapedPolicy();
      assert.match(text, /\\ud800/); // JSON.stringify escapes the lone surrogate: the Policy string itself is ASCII
      const { Policy: before } = await kms.send(new GetKeyPolicyCommand({ KeyId: key.KeyId }));
      const keysBefore = await allKeyIds(kms);
      await expectAwsError(kms.send(new PutKeyPolicyCommand({ KeyId: key.KeyId, Policy: text })), "MalformedPolicyDocumentException", NOT_UNICODE);
      await expectAwsError(kms.send(new CreateKeyCommand({ Policy: text })), "MalformedPolicyDocumentException", NOT_UNICODE);
      const { Policy: afterwards } = await kms.send(new GetKeyPolicyCommand({ KeyId: key.KeyId }));
      assert.equal(afterwards, before);
      assert.deepEqual(await allKeyIds(kms), keysBefore);
    });

    void it("as a lone surrogate in the Policy member itself is refused by PutKeyPolicy and CreateKey", async () => {
      const text = escapedPolicy().replace("\\ud800", "\ud800");
      await expectAwsError(kms.send(new PutKeyPolicyCommand({ KeyId: key.KeyId, Policy: text })), "SerializationException", NOT_UNICODE);
      await expectAwsError(kms.send(new CreateKeyCommand({ Policy: text })), "SerializationException", NOT_UNICODE);
    });
  });

  void describe("in an IAM policy document (Query protocol)", () => {
    let userName: string;
    const goodPolicy = () => policy(allow("kms:Encrypt"));
    before(async () => {
      userName = identities.uniqueName("unicode");
      await identities.iam().send(new CreateUserCommand({ UserName: userName }));
    });

    /** A signed PutUserPolicy whose PolicyDocument parameter is `document` (bytes sent as they are). */
    const putUserPolicy = (document: Buffer) =>
      rawRequest(kmsd.endpoint, {
        body: Buffer.concat([Buffer.from(`Action=PutUserPolicy&Version=2010-05-08&UserName=${userName}&PolicyName=p&PolicyDocument=`), document]),
        headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
        sign: { credentials: kmsd.credentials, service: "iam" },
      });

    void it("as an escape in the policy's JSON is refused by PutUserPolicy (MalformedPolicyDocument)", async () => {
      // @aws-sdk/client-iam cannot send a lone surrogate itself (encodeURIComponent throws), but it sends this escape.
      const text = policy(allow("kms:Encrypt", "*", { Condition: { StringEquals: { "aws:username": "\udfff" } } }));
      await expectAwsError(
        identities.iam().send(new PutUserPolicyCommand({ UserName: userName, PolicyName: "p", PolicyDocument: text })),
        "MalformedPolicyDocumentException",
        NOT_UNICODE,
      );
      await expectAwsError(identities.iam().send(new GetUserPolicyCommand({ UserName: userName, PolicyName: "p" })), "NoSuchEntityException");
    });

    void it("as bytes that are not UTF-8, percent-encoded or raw, is refused (ValidationError), and nothing is stored", async () => {
      const [start, end] = goodPolicy().split("kms:Encrypt") as [string, string];
      for (const [name, invalid] of NOT_UTF8) {
        const percentEncoded = [...invalid].map((b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`).join("");
        for (const [how, document] of [
          ["percent-encoded", Buffer.from(encodeURIComponent(start) + percentEncoded + encodeURIComponent(`kms:Encrypt${end}`))],
          ["raw", Buffer.concat([Buffer.from(encodeURIComponent(start)), invalid, Buffer.from(encodeURIComponent(`kms:Encrypt${end}`))])],
        ] as const) {
          const response = await putUserPolicy(document);
          assert.equal(response.status, 400, `${name}, ${how}: ${response.body}`);
          assert.match(response.body, /<Code>ValidationError<\/Code><Message>[^<]*not valid UTF-8/, `${name}, ${how}`);
        }
      }
      await expectAwsError(identities.iam().send(new GetUserPolicyCommand({ UserName: userName, PolicyName: "p" })), "NoSuchEntityException");
      // The same request with valid bytes is stored: the refusal was about the bytes alone.
      const valid = await putUserPolicy(Buffer.from(encodeURIComponent(goodPolicy())));
      assert.equal(valid.status, 200, valid.body);
    });
  });
});

/** Asserts an AWS JSON error of `type` whose message says the text is not valid Unicode. */
function assertJsonError(response: RawResponse, type: string, what: string): void {
  assert.equal(response.status, 400, `${what}: ${response.body}`);
  const body = response.json();
  assert.equal(body.__type, type, what);
  assert.match(String(body.message), NOT_UNICODE, what);
}

async function allKeyIds(kms: KMSClient): Promise<string[]> {
  const ids: string[] = [];
  let Marker: string | undefined;
  do {
    const page = await kms.send(new ListKeysCommand({ Marker }));
    ids.push(...(page.Keys ?? []).map((k) => k.KeyId ?? ""));
    Marker = page.NextMarker;
  } while (Marker !== undefined);
  return ids.sort();
}
