/**
 * The console's key-side pages (issue 17) in real Chromium against a real kmsd: the key list
 * reads each key's metadata once per session however often it is filtered, the policy editor
 * runs the server's own checks as you type, the multi-Region screens (ReplicateKey,
 * UpdatePrimaryRegion, the replica list), and Try it's ReEncrypt, GenerateDataKeyPair(+
 * WithoutPlaintext) and DeriveSharedSecret with the request sent. Each new screen passes axe.
 * Also, without a browser: the console's node:net stand-in answers as Node's, and the editor
 * puts the server's messages at the line of the element at fault.
 */
import assert from "node:assert/strict";
import { isIPv4, isIPv6 } from "node:net";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "@playwright/test";
import {
  CreateKeyCommand, DecryptCommand, DeriveSharedSecretCommand, DescribeKeyCommand, DisableKeyCommand, EncryptCommand,
  GetKeyPolicyCommand, GetPublicKeyCommand, ListResourceTagsCommand, PutKeyPolicyCommand, TagResourceCommand, type KMSClient,
} from "@aws-sdk/client-kms";
import { startKmsd, type Kmsd } from "./support/kmsd.ts";
import { assertAccessible, openBrowser, screenshot, signInWithKeyboard, SKIP_WITHOUT_CHROMIUM } from "./support/console.ts";
import { isIPv4 as shimIPv4, isIPv6 as shimIPv6 } from "../console/src/shims/net.ts";
import { keyPolicyProblem } from "../console/src/policyCheck.ts";
import { pem } from "../console/src/pem.ts";

describe("the console's node:net stand-in", () => {
  const addresses = [
    "1.2.3.4", "0.0.0.0", "255.255.255.255", "256.1.1.1", "01.2.3.4", "1.2.3", "1.2.3.4.5", "1.2.3.4 ", " 1.2.3.4", "a.b.c.d", "",
    "::", "::1", "1::", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "1::2::3", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8",
    "1:2:3:4:5:6:7:8::", "::ffff:10.0.0.1", "::10.0.0.1", "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:7:1.2.3.4", "::ffff:256.0.0.1",
    "fe80::1%eth0", "fe80::1%", "fe80::1%25en0", "12345::", "g::1", ":1:2:3:4:5:6:7", "1:2:3:4:5:6:7:", "2001:db8::/32", "[::1]",
    "2001:DB8::A", "::ffff:1.2.3.4:5", "1.2.3.4::",
  ];
  it("says of each address what Node's isIPv4 and isIPv6 say", () => {
    for (const address of addresses) {
      assert.equal(shimIPv4(address), isIPv4(address), `isIPv4(${JSON.stringify(address)})`);
      assert.equal(shimIPv6(address), isIPv6(address), `isIPv6(${JSON.stringify(address)})`);
    }
  });
});

describe("the policy editor's check, without a browser", () => {
  const policy = (statement: Record<string, unknown>) =>
    JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "Root", Effect: "Allow", Principal: { AWS: "arn:aws:iam::111122223333:root" }, Action: "kms:*", Resource: "*" }, statement] }, null, 2);
  const base = { Effect: "Allow", Principal: { AWS: "arn:aws:iam::111122223333:root" }, Action: "kms:Encrypt", Resource: "*" };
  // [what is wrong, the statement, the text on the line the problem must point at]
  const cases: [string, Record<string, unknown>, string][] = [
    ["an action without a service", { ...base, Action: "Encrypt" }, '"Action": "Encrypt"'],
    ["an effect that is neither Allow nor Deny", { ...base, Effect: "Perhaps" }, '"Effect": "Perhaps"'],
    ["an unknown element in a statement", { ...base, Principle: "x" }, '"Principle": "x"'],
    ["a resource that is not an ARN", { ...base, Resource: "everything" }, '"Resource": "everything"'],
    ["a bad IP address condition", { ...base, Condition: { IpAddress: { "aws:SourceIp": "10.0.0.300" } } }, '"aws:SourceIp": "10.0.0.300"'],
    ["a Sid that is not a string", { ...base, Sid: 5 }, '"Sid": 5'],
  ];
  for (const [what, statement, expected] of cases) {
    it(`${what}: refused with the line of the element at fault`, () => {
      const text = policy(statement);
      const problem = keyPolicyProblem(text);
      assert.ok(problem, "a problem");
      assert.equal(problem.syntax, false);
      assert.equal(text.split("\n")[problem.line - 1]?.trim().replace(/,$/, ""), expected, `line ${problem.line} for: ${problem.message}`);
    });
  }
  it("a statement without a Principal: refused with the line where that statement starts", () => {
    const text = policy({ Sid: "NoOne", Effect: "Allow", Action: "kms:Encrypt", Resource: "*" });
    const problem = keyPolicyProblem(text);
    assert.equal(problem?.message, "Policy statement must contain a principal.");
    assert.equal(problem.line, text.split("\n").findIndex((line) => line.includes('"Sid": "NoOne"')));
  });
  it("a valid key policy has no problem, and a syntax error is one", () => {
    assert.equal(keyPolicyProblem(policy(base)), undefined);
    assert.equal(keyPolicyProblem('{"Version": "2012-10-17",\n "Statement": [}')?.syntax, true);
  });
});

describe("console key pages", { skip: SKIP_WITHOUT_CHROMIUM }, () => {
  let kmsd: Kmsd;
  let kms: KMSClient;
  let browser: Browser;
  let page: Page;
  /** KMS requests the browser made, by operation. */
  const sent = new Map<string, number>();
  const count = (operation: string) => sent.get(operation) ?? 0;
  let browserErrors: string[] = [];

  before(async () => {
    kmsd = await startKmsd();
    kms = kmsd.kms();
    ({ browser, page, errors: browserErrors } = await openBrowser());
    page.setDefaultTimeout(15_000);
    page.on("request", (request) => {
      const operation = request.headers()["x-amz-target"]?.split(".")[1];
      if (operation) sent.set(operation, count(operation) + 1);
    });
    await signInWithKeyboard(page, kmsd, kmsd.credentials);
    await page.getByRole("heading", { name: "Keys", exact: true }).waitFor();
  });
  after(async () => {
    await browser?.close();
    await kmsd?.dispose();
  });

  it("key list: each key is described once for the session, however often it is filtered or revisited; tags are read only for a tag filter", async () => {
    const regional = kmsd.kms({ region: "us-west-2" });
    const ids: string[] = [];
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (ids.length < 130) {
        const index = ids.push("") - 1;
        ids[index] = (await regional.send(new CreateKeyCommand({ Description: `key ${index}` }))).KeyMetadata?.KeyId ?? "";
      }
    }));
    for (const id of ids.slice(0, 5)) await regional.send(new DisableKeyCommand({ KeyId: id }));
    for (const id of ids.slice(0, 3)) await regional.send(new TagResourceCommand({ KeyId: id, Tags: [{ TagKey: "team", TagValue: "blue" }] }));

    await page.getByLabel("Region").selectOption("us-west-2");
    await page.getByText("130 keys in us-west-2").waitFor();
    // Every key's metadata is read in the background, without a filter asking for it.
    await page.getByText("details loaded for 130 of 130").waitFor();
    assert.equal(count("DescribeKey"), 130);
    assert.equal(count("ListResourceTags"), 0, "no tags read before a tag filter");

    await page.getByLabel("State").selectOption("Disabled");
    await page.getByText("; 5 match").waitFor();
    await page.getByLabel("Key usage").selectOption("ENCRYPT_DECRYPT");
    await page.getByText("; 5 match").waitFor();
    await page.getByLabel("State").selectOption("");
    await page.getByText("; 130 match").waitFor();
    await page.getByLabel("Key usage").selectOption("");

    // A key's page, then back to the list: the list still knows every key, and the key page's own reading of the key counts.
    await page.getByLabel("Alias or key ID contains").fill(ids[0] ?? "");
    await page.getByRole("link", { name: ids[0] }).click();
    await page.getByRole("heading", { name: `Key ${ids[0]}` }).waitFor();
    await page.getByRole("link", { name: "Keys", exact: true }).click();
    await page.getByText("details loaded for 130 of 130").waitFor();
    await page.getByLabel("State").selectOption("Disabled");
    await page.getByText("; 5 match").waitFor();
    assert.equal(count("DescribeKey"), 131, "one DescribeKey per key, plus the key page's");

    await page.getByLabel("State").selectOption("");
    await page.getByLabel("Tag (Key or Key=Value)").fill("team=blue");
    await page.getByText("; 3 match; details loaded for 130 of 130").waitFor();
    // The key page read one key's tags already.
    assert.equal(count("ListResourceTags"), 130);
    await page.getByLabel("Tag (Key or Key=Value)").fill("team");
    await page.getByText("; 3 match").waitFor();
    assert.equal(count("ListResourceTags"), 130);
    await assertAccessible(page, "keys-loaded");
    await page.getByLabel("Tag (Key or Key=Value)").fill("");
    await page.getByLabel("Region").selectOption("us-east-1");
    await page.getByText(/keys in us-east-1/).waitFor();
  });

  it("policy editor: the server's checks run as you type, at the line; what only the server knows is shown at its line on save", async () => {
    const keyId = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId ?? "";
    await page.goto(`${kmsd.endpoint}/console/#/keys/${keyId}/policy`);
    const editor = page.getByLabel("Key policy (JSON)");
    await page.getByRole("cell", { name: `arn:aws:iam::${kmsd.accountId}:root` }).waitFor();
    const root = `arn:aws:iam::${kmsd.accountId}:root`;
    const withStatement = (statement: Record<string, unknown>) =>
      JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "Root", Effect: "Allow", Principal: { AWS: root }, Action: "kms:*", Resource: "*" }, statement] }, null, 2);

    const badAction = withStatement({ Sid: "Use", Effect: "Allow", Principal: { AWS: root }, Action: "Encrypt", Resource: "*" });
    const serverSays = await kms.send(new PutKeyPolicyCommand({ KeyId: keyId, Policy: badAction })).then(() => "", (error: Error) => `${error.name}: ${error.message}`);
    assert.match(serverSays, /^MalformedPolicyDocumentException: /);
    const puts = count("PutKeyPolicy");
    await editor.fill(badAction);
    const actionLine = badAction.split("\n").findIndex((line) => line.includes('"Action": "Encrypt"')) + 1;
    // The very message the server answers, at the line of the faulty Action, before anything is sent.
    await page.getByText(`Line ${actionLine}: ${serverSays.replace("MalformedPolicyDocumentException: ", "")}`).waitFor();
    await page.getByRole("button", { name: `Show line ${actionLine}` }).click();
    const selected = await editor.evaluate((area) => {
      const { value, selectionStart, selectionEnd } = area as unknown as { value: string; selectionStart: number; selectionEnd: number };
      return value.slice(selectionStart, selectionEnd).trim();
    });
    assert.equal(selected, '"Action": "Encrypt",');
    assert.equal(count("PutKeyPolicy"), puts, "checked in the browser, not by sending it");
    await assertAccessible(page, "policy-editor-problem");
    await screenshot(page, "policy-problem");

    // A principal that does not exist: only the server knows; its answer is shown at the principal's line.
    const ghost = withStatement({ Sid: "Ghost", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${kmsd.accountId}:user/nobody` }, Action: "kms:Decrypt", Resource: "*" });
    await editor.fill(ghost);
    await page.getByText(/^Line \d+:/).waitFor({ state: "detached" });
    await page.getByRole("button", { name: "Save policy" }).click();
    const ghostLine = ghost.split("\n").findIndex((line) => line.includes("user/nobody")) + 1;
    const alert = page.getByRole("alert").filter({ hasText: "MalformedPolicyDocumentException" });
    await alert.filter({ hasText: `(line ${ghostLine})` }).waitFor();
    await alert.filter({ hasText: "Policy contains a statement with one or more invalid principals." }).waitFor();
    assert.doesNotMatch((await kms.send(new GetKeyPolicyCommand({ KeyId: keyId }))).Policy ?? "", /nobody|"Encrypt"/, "nothing refused was stored");
  });

  it("multi-Region: replicates a primary key to a chosen Region with its description, tags and policy, lists the replica, and moves the primary Region", async () => {
    const primary = (await kms.send(new CreateKeyCommand({ MultiRegion: true, Description: "primary" }))).KeyMetadata;
    const keyId = primary?.KeyId ?? "";
    const replicaPolicy = JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "ReplicaRoot", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${kmsd.accountId}:root` }, Action: "kms:*", Resource: "*" }] }, null, 2);
    await page.goto(`${kmsd.endpoint}/console/#/keys/${keyId}`);
    await page.getByRole("heading", { name: "Multi-Region" }).waitFor();
    const related = page.getByRole("table", { name: "Related multi-Region keys" });
    await related.getByRole("row", { name: /Primary \(this key\) us-east-1/ }).waitFor();
    await page.getByLabel("Replica Region").selectOption("eu-west-1");
    await page.getByLabel("Replica description").fill("replica made in the console");
    await page.getByRole("button", { name: "Add tag" }).click();
    await page.getByLabel("Tag 1 key").fill("env");
    await page.getByLabel("Tag 1 value").fill("prod");
    await page.getByLabel("Replica key policy (JSON)").fill(replicaPolicy);
    await page.getByRole("button", { name: "Replicate key" }).click();
    await page.getByText(/^Replica arn:aws:kms:eu-west-1:\d{12}:key\/mrk-/).waitFor();
    await related.getByRole("row", { name: new RegExp(`Replica eu-west-1 arn:aws:kms:eu-west-1:${kmsd.accountId}:key/${keyId}`) }).waitFor();
    await assertAccessible(page, "key-detail-multi-region");
    await screenshot(page, "key-multi-region");

    const europe = kmsd.kms({ region: "eu-west-1" });
    const replica = (await europe.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata;
    assert.equal(replica?.Description, "replica made in the console");
    assert.equal(replica?.MultiRegionConfiguration?.MultiRegionKeyType, "REPLICA");
    assert.deepEqual((await europe.send(new ListResourceTagsCommand({ KeyId: keyId }))).Tags, [{ TagKey: "env", TagValue: "prod" }]);
    assert.equal(JSON.parse((await europe.send(new GetKeyPolicyCommand({ KeyId: keyId }))).Policy ?? "{}").Statement[0].Sid, "ReplicaRoot");

    await page.getByLabel("New primary Region").selectOption("eu-west-1");
    await page.getByRole("button", { name: "Update primary Region" }).click();
    await page.getByText("The primary key is now in eu-west-1; this key becomes its replica.").waitFor();
    await related.getByRole("row", { name: /Replica \(this key\) us-east-1/ }).waitFor();
    await page.getByText(/from the primary key in eu-west-1/).waitFor();
    assert.equal((await europe.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata?.MultiRegionConfiguration?.MultiRegionKeyType, "PRIMARY");
  });

  it("Try it: ReEncrypt to another key and context, showing the request sent", async () => {
    const [source, destination] = await Promise.all([kms.send(new CreateKeyCommand({})), kms.send(new CreateKeyCommand({}))]);
    const sourceId = source.KeyMetadata?.KeyId ?? "";
    const destinationArn = destination.KeyMetadata?.Arn ?? "";
    const ciphertext = (await kms.send(new EncryptCommand({ KeyId: sourceId, Plaintext: new TextEncoder().encode("moved"), EncryptionContext: { stage: "one" } }))).CiphertextBlob;
    await page.goto(`${kmsd.endpoint}/console/#/try?key=${destination.KeyMetadata?.KeyId ?? ""}`);
    await page.getByLabel("Operation").selectOption("ReEncrypt");
    await page.getByLabel("Ciphertext blob (base64)").fill(Buffer.from(ciphertext ?? []).toString("base64"));
    await page.getByLabel("Source key (optional for symmetric keys)").fill(sourceId);
    await page.getByRole("group", { name: "Source encryption context" }).getByRole("button", { name: "Add pair" }).click();
    await page.getByLabel("Source encryption context 1 name").fill("stage");
    await page.getByLabel("Source encryption context 1 value").fill("one");
    await page.getByRole("group", { name: "Destination encryption context" }).getByRole("button", { name: "Add pair" }).click();
    await page.getByLabel("Destination encryption context 1 name").fill("stage");
    await page.getByLabel("Destination encryption context 1 value").fill("two");
    await assertAccessible(page, "try-it-reencrypt");
    await page.getByRole("button", { name: "Run ReEncrypt" }).click();
    const request = (await page.getByTestId("sent-request").textContent()) ?? "";
    assert.match(request, /x-amz-target: TrentService\.ReEncrypt/);
    assert.match(request, /"DestinationEncryptionContext": \{\s+"stage": "two"/);
    assert.match(request, /"SourceEncryptionContext": \{\s+"stage": "one"/);
    const result = JSON.parse((await page.getByTestId("result").textContent()) ?? "{}") as { CiphertextBlob: string; KeyId: string; SourceKeyId: string };
    assert.equal(result.KeyId, destinationArn);
    assert.equal(result.SourceKeyId, source.KeyMetadata?.Arn);
    const decrypted = await kms.send(new DecryptCommand({ CiphertextBlob: Buffer.from(result.CiphertextBlob, "base64"), EncryptionContext: { stage: "two" } }));
    assert.equal(new TextDecoder().decode(decrypted.Plaintext), "moved");
  });

  it("Try it: GenerateDataKeyPair and ...WithoutPlaintext", async () => {
    const keyId = (await kms.send(new CreateKeyCommand({}))).KeyMetadata?.KeyId ?? "";
    await page.goto(`${kmsd.endpoint}/console/#/try?key=${keyId}`);
    await page.getByLabel("Operation").selectOption("GenerateDataKeyPair");
    await page.getByLabel("Key pair spec").selectOption("ECC_NIST_P384");
    await assertAccessible(page, "try-it-data-key-pair");
    await page.getByRole("button", { name: "Run GenerateDataKeyPair" }).click();
    assert.match((await page.getByTestId("sent-request").textContent()) ?? "", /x-amz-target: TrentService\.GenerateDataKeyPair\n[\s\S]*"KeyPairSpec": "ECC_NIST_P384"/);
    const pair = JSON.parse((await page.getByTestId("result").textContent()) ?? "{}") as Record<string, string>;
    assert.equal(pair.KeyPairSpec, "ECC_NIST_P384");
    const privateKey = await kms.send(new DecryptCommand({ CiphertextBlob: Buffer.from(pair.PrivateKeyCiphertextBlob ?? "", "base64") }));
    assert.equal(Buffer.from(privateKey.Plaintext ?? []).toString("base64"), pair.PrivateKeyPlaintext);

    await page.getByLabel("Operation").selectOption("GenerateDataKeyPairWithoutPlaintext");
    await page.getByRole("button", { name: "Run GenerateDataKeyPairWithoutPlaintext" }).click();
    await page.getByTestId("sent-request").filter({ hasText: "TrentService.GenerateDataKeyPairWithoutPlaintext" }).waitFor();
    const withoutPlaintext = JSON.parse((await page.getByTestId("result").textContent()) ?? "{}") as Record<string, string>;
    assert.equal(withoutPlaintext.PrivateKeyPlaintext, undefined);
    assert.ok(withoutPlaintext.PrivateKeyCiphertextBlob && withoutPlaintext.PublicKey);
  });

  it("Try it: DeriveSharedSecret with an ECC key agreement key and the other party's PEM public key", async () => {
    const agreement = { KeySpec: "ECC_NIST_P256", KeyUsage: "KEY_AGREEMENT" } as const;
    const [ours, theirs] = await Promise.all([kms.send(new CreateKeyCommand(agreement)), kms.send(new CreateKeyCommand(agreement))]);
    const publicKeyOf = async (KeyId: string | undefined) => (await kms.send(new GetPublicKeyCommand({ KeyId }))).PublicKey ?? new Uint8Array();
    await page.goto(`${kmsd.endpoint}/console/#/try?key=${ours.KeyMetadata?.KeyId ?? ""}`);
    await page.getByLabel("Operation").selectOption("DeriveSharedSecret");
    await page.getByLabel("Other party's public key (PEM or base64 DER)").fill(pem("PUBLIC KEY", await publicKeyOf(theirs.KeyMetadata?.KeyId)));
    await assertAccessible(page, "try-it-derive-shared-secret");
    await page.getByRole("button", { name: "Run DeriveSharedSecret" }).click();
    assert.match((await page.getByTestId("sent-request").textContent()) ?? "", /x-amz-target: TrentService\.DeriveSharedSecret\n[\s\S]*"KeyAgreementAlgorithm": "ECDH"/);
    const result = JSON.parse((await page.getByTestId("result").textContent()) ?? "{}") as { SharedSecret: string };
    // The other side derives the same secret from our public key.
    const theirSecret = await kms.send(new DeriveSharedSecretCommand({ KeyId: theirs.KeyMetadata?.KeyId, KeyAgreementAlgorithm: "ECDH", PublicKey: await publicKeyOf(ours.KeyMetadata?.KeyId) }));
    assert.equal(result.SharedSecret, Buffer.from(theirSecret.SharedSecret ?? []).toString("base64"));
    await screenshot(page, "try-it-derive");
    assert.deepEqual(browserErrors, []);
  });
});
