/**
 * The web console (issue 17) in real Chromium (Debian's /usr/bin/chromium, driven by
 * Playwright), against a real kmsd: the flows of the issue through the UI, each checked
 * against the server with the SDK too, an axe accessibility check on every page, and
 * screenshots of the main pages. Also the console's files on the wire: headers, plain 404,
 * not audited, and --no-console.
 *
 * Screenshots go to $KMSD_CONSOLE_SCREENSHOTS (default: a temporary directory, named in the
 * test output); `KMSD_CONSOLE_SCREENSHOTS=docs/images npm test` refreshes the README's.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { chromium, type Browser, type Page } from "@playwright/test";
import { AxeBuilder } from "@axe-core/playwright";
import { CreateAliasCommand, CreateKeyCommand, GetKeyPolicyCommand, ListGrantsCommand, ListResourceTagsCommand, type KMSClient } from "@aws-sdk/client-kms";
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, PutUserPolicyCommand } from "@aws-sdk/client-iam";
import { rawRequest, startKmsd, type Credentials, type Kmsd } from "./support/kmsd.ts";
import { storedEvents } from "./support/audit.ts";

const CHROMIUM = "/usr/bin/chromium";
const SCREENSHOTS = resolve(process.env.KMSD_CONSOLE_SCREENSHOTS || mkdtempSync(join(tmpdir(), "kmsd-console-screenshots-")));

/** Every page passes axe's WCAG 2 A/AA rules. */
async function assertAccessible(page: Page, name: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const problems = results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join("; ")})`);
  assert.deepEqual(problems, [], `accessibility problems on the ${name} page`);
}

async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `console-${name}.png`), fullPage: true });
}

/** Signs in with the keyboard only: Tab from the page's start to each field, Enter to submit. */
async function signInWithKeyboard(page: Page, kmsd: Kmsd, credentials: Credentials): Promise<void> {
  await page.goto(`${kmsd.endpoint}/console/`);
  await page.getByRole("heading", { name: "Sign in to kmsd" }).waitFor();
  await page.locator("body").focus();
  await page.keyboard.press("Tab");
  await page.keyboard.type(credentials.accessKeyId);
  await page.keyboard.press("Tab");
  await page.keyboard.type(credentials.secretAccessKey);
  await page.keyboard.press("Enter");
}

describe("web console", { skip: existsSync(CHROMIUM) ? false : `no ${CHROMIUM} (apt-get install chromium)` }, () => {
  let kmsd: Kmsd;
  let kms: KMSClient;
  let iam: IAMClient;
  let browser: Browser;
  let page: Page;
  let keyId = "";
  let keyArn = "";
  let granteeArn = "";
  const browserErrors: string[] = [];

  before(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    kmsd = await startKmsd();
    kms = kmsd.kms();
    iam = new IAMClient({ endpoint: kmsd.endpoint, region: "us-east-1", credentials: kmsd.credentials, maxAttempts: 1 });
    granteeArn = (await iam.send(new CreateUserCommand({ UserName: "console-grantee" }))).User?.Arn ?? "";
    browser = await chromium.launch({ executablePath: CHROMIUM });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    // A CSP violation or a script error is a failure even when the page still looks right.
    page.on("console", (message) => message.type() === "error" && !/status of 4\d\d/.test(message.text()) && browserErrors.push(message.text()));
    page.on("pageerror", (error) => browserErrors.push(error.message));
  });
  after(async () => {
    await browser?.close();
    iam?.destroy();
    await kmsd?.dispose();
    process.stdout.write(`console screenshots: ${SCREENSHOTS}\n`);
  });

  it("serves its files with a strict CSP and X-Frame-Options DENY; an unknown path is a plain 404; none of it is audited", async () => {
    const eventsBefore = storedEvents(kmsd.dataDir).length;
    const index = await fetch(`${kmsd.endpoint}/console/`);
    assert.equal(index.status, 200);
    assert.match(index.headers.get("content-type") ?? "", /^text\/html/);
    assert.equal(index.headers.get("x-frame-options"), "DENY");
    const csp = index.headers.get("content-security-policy") ?? "";
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    const html = await index.text();
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, "no inline script");
    const script = await fetch(`${kmsd.endpoint}/console/app.js`);
    assert.equal(script.status, 200);
    assert.match(script.headers.get("content-type") ?? "", /^text\/javascript/);
    for (const path of ["/console/nope.js", "/console/..%2f..%2fpackage.json", "/console/index.html/x", "/console/app.js.map"]) {
      const missing = await fetch(`${kmsd.endpoint}${path}`);
      assert.equal(missing.status, 404, path);
      assert.match(missing.headers.get("content-type") ?? "", /^text\/plain/, path);
      assert.equal(await missing.text(), "Not Found\n", path);
    }
    const redirect = await fetch(`${kmsd.endpoint}/console`, { redirect: "manual" });
    assert.equal(redirect.status, 301);
    assert.equal(redirect.headers.get("location"), "/console/");
    const post = await rawRequest(kmsd.endpoint, { path: "/console/", body: "{}" });
    assert.equal(post.status, 405);
    // An answered API call commits everything recorded before it: only its own event is new.
    await kmsd.kms().send(new ListGrantsCommand({ KeyId: "alias/none" })).catch(() => undefined);
    assert.equal(storedEvents(kmsd.dataDir).length, eventsBefore + 1);
  });

  it("signs in with an access key, by keyboard alone, and shows who is signed in", async () => {
    await signInWithKeyboard(page, kmsd, kmsd.credentials);
    await page.getByRole("heading", { name: "Keys", exact: true }).waitFor();
    await page.getByText(`arn:aws:iam::${kmsd.accountId}:root`).waitFor();
    // The credentials stay in memory: nothing in storage unless "remember in this tab" is ticked.
    assert.equal(await page.evaluate(() => sessionStorage.length + localStorage.length), 0);
  });

  it("creates a key with an alias and a tag through the wizard", async () => {
    await page.getByRole("link", { name: "Create key" }).click();
    await page.getByRole("heading", { name: "Create a key" }).waitFor();
    await assertAccessible(page, "create-key");
    await page.getByLabel("Alias", { exact: true }).fill("console-demo");
    await page.getByLabel("Description").fill("made in the console");
    await page.getByRole("button", { name: "Add tag" }).click();
    await page.getByLabel("Tag 1 key").fill("team");
    await page.getByLabel("Tag 1 value").fill("blue");
    await page.getByRole("button", { name: "Create key", exact: true }).click();
    await page.getByRole("heading", { name: /^Key [0-9a-f-]{36}$/ }).waitFor();
    keyId = (await page.getByRole("heading", { level: 1 }).textContent())?.replace("Key ", "") ?? "";
    keyArn = `arn:aws:kms:us-east-1:${kmsd.accountId}:key/${keyId}`;
    await page.getByText("alias/console-demo", { exact: true }).waitFor();
    await page.getByRole("cell", { name: "blue" }).waitFor();
    const tags = await kms.send(new ListResourceTagsCommand({ KeyId: keyId }));
    assert.deepEqual(tags.Tags, [{ TagKey: "team", TagValue: "blue" }]);
    await assertAccessible(page, "key-detail");
    await screenshot(page, "key-detail");
  });

  it("lists the key with its alias, and filters by state, spec and tag", async () => {
    for (const [alias, KeySpec, KeyUsage] of [["signing", "ECC_NIST_P256", "SIGN_VERIFY"], ["webhooks", "HMAC_256", "GENERATE_VERIFY_MAC"]] as const) {
      const created = await kms.send(new CreateKeyCommand({ KeySpec, KeyUsage, Description: `${alias} key` }));
      await kms.send(new CreateAliasCommand({ AliasName: `alias/${alias}`, TargetKeyId: created.KeyMetadata?.KeyId }));
    }
    await page.getByRole("link", { name: "Keys", exact: true }).click();
    await page.getByRole("link", { name: keyId }).waitFor();
    await page.getByRole("cell", { name: "alias/console-demo" }).waitFor();
    await page.getByLabel("Tag (Key or Key=Value)").fill("team=blue");
    await page.getByText(/1 match/).waitFor();
    await page.getByLabel("Tag (Key or Key=Value)").fill("team=red");
    await page.getByText("No keys match.").waitFor();
    await page.getByLabel("Tag (Key or Key=Value)").fill("");
    await page.getByLabel("State").selectOption("Enabled");
    await page.getByRole("link", { name: keyId }).waitFor();
    await page.getByLabel("State").selectOption("");
    await page.getByLabel("Key spec").selectOption("HMAC_256");
    await page.getByRole("cell", { name: "alias/webhooks" }).waitFor();
    assert.equal(await page.getByRole("cell", { name: "alias/console-demo" }).count(), 0);
    await page.getByLabel("Key spec").selectOption("");
    await page.getByRole("cell", { name: "alias/signing" }).waitFor();
    await page.getByRole("cell", { name: "ECC_NIST_P256" }).waitFor();
    await assertAccessible(page, "keys");
    await screenshot(page, "keys");
  });

  it("switches Region with the picker and pages through the keys there, 50 at a time", async () => {
    const regional = kmsd.kms({ region: "eu-west-2" });
    let made = 0;
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (made < 120) {
        made++;
        await regional.send(new CreateKeyCommand({}));
      }
    }));
    await page.getByLabel("Region").selectOption("eu-west-2");
    await page.getByText("120 keys in eu-west-2").waitFor();
    await page.getByText("Page 1 of 3").waitFor();
    const rows = page.getByRole("table", { name: "Keys in eu-west-2" }).locator("tbody tr");
    assert.equal(await rows.count(), 50);
    await page.getByRole("button", { name: "Next page" }).click();
    await page.getByRole("button", { name: "Next page" }).click();
    await page.getByText("Page 3 of 3").waitFor();
    assert.equal(await rows.count(), 20);
    assert.equal(await page.getByRole("button", { name: "Next page" }).isDisabled(), true);
    // Every key on the last page is described (its state shown), not only the first page's.
    await page.getByRole("table", { name: "Keys in eu-west-2" }).getByRole("cell", { name: "Enabled" }).nth(19).waitFor();
    await page.getByLabel("Region").selectOption("us-east-1");
    await page.getByText("3 keys in us-east-1").waitFor();
  });

  it("key detail: rotation on a period and on demand with its history, an asymmetric key's public key as PEM, an imported key's material state", async () => {
    await page.goto(`${kmsd.endpoint}/console/#/keys/${keyId}`);
    await page.getByLabel("Rotation period (days, 90 to 2560)").fill("180");
    await page.getByRole("button", { name: "Enable automatic rotation" }).click();
    await page.getByText(/^Automatic rotation: every 180 days/).waitFor();
    await page.getByRole("button", { name: "Rotate now" }).click();
    await page.getByRole("table", { name: "Rotation history" }).getByRole("cell", { name: "ON_DEMAND" }).waitFor();

    await page.goto(`${kmsd.endpoint}/console/#/keys`);
    await page.getByRole("row", { name: /alias\/signing/ }).getByRole("link").click();
    const download = page.waitForEvent("download");
    await page.getByRole("button", { name: "Download public key (PEM)" }).click();
    const pemText = readFileSync(await (await download).path(), "utf8");
    assert.match(pemText, /^-----BEGIN PUBLIC KEY-----\n[A-Za-z0-9+/=\n]+-----END PUBLIC KEY-----\n$/);

    await page.goto(`${kmsd.endpoint}/console/#/keys/new`);
    await page.getByLabel("Import my own key material", { exact: false }).check();
    await page.getByLabel("Alias", { exact: true }).fill("imported");
    await page.getByRole("button", { name: "Create key", exact: true }).click();
    await page.getByRole("heading", { name: "Imported key material" }).waitFor();
    await page.getByText("State: waiting for key material").waitFor();
    await page.getByText("PendingImport", { exact: true }).waitFor();
    await assertAccessible(page, "key-detail-imported");
  });

  it("edits the key policy: a syntax error shows its line, the server's MalformedPolicyDocument is shown, a lock-out is warned and not saved", async () => {
    await page.goto(`${kmsd.endpoint}/console/#/keys/${keyId}/policy`);
    const editor = page.getByLabel("Key policy (JSON)");
    await editor.waitFor();
    await page.getByRole("cell", { name: `arn:aws:iam::${kmsd.accountId}:root` }).waitFor();
    await assertAccessible(page, "policy-editor");
    const before = (await kms.send(new GetKeyPolicyCommand({ KeyId: keyId }))).Policy;

    await editor.fill('{\n  "Version": "2012-10-17",\n  "Statement": [\n    {"Effect": "Allow",,}\n  ]\n}');
    await page.getByText(/^Line 4, column \d+:/).waitFor();
    assert.equal(await page.getByRole("button", { name: "Save policy" }).isDisabled(), true);

    const badEffect = { Version: "2012-10-17", Statement: [{ Sid: "Odd", Effect: "Perhaps", Principal: { AWS: `arn:aws:iam::${kmsd.accountId}:root` }, Action: "kms:*", Resource: "*" }] };
    await editor.fill(JSON.stringify(badEffect, null, 2));
    await page.getByRole("button", { name: "Save policy" }).click();
    await page.getByRole("alert").filter({ hasText: "MalformedPolicyDocumentException" }).waitFor();

    const lockout = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: granteeArn }, Action: "kms:Decrypt", Resource: "*" }] };
    await editor.fill(JSON.stringify(lockout, null, 2));
    await page.getByRole("button", { name: "Save policy" }).click();
    await page.getByRole("alert").filter({ hasText: "This policy would lock you out" }).waitFor();
    await page.getByRole("button", { name: "Save anyway (bypass the lockout check)" }).waitFor();
    await screenshot(page, "policy-lockout");
    assert.equal((await kms.send(new GetKeyPolicyCommand({ KeyId: keyId }))).Policy, before, "the refused policies changed nothing");
  });

  let ciphertext = "";
  it("encrypts and decrypts with an encryption context, showing the request sent", async () => {
    await page.goto(`${kmsd.endpoint}/console/#/try?key=${keyId}`);
    await page.getByLabel("Plaintext (text)").fill("hello from the console");
    await page.getByRole("button", { name: "Add pair" }).click();
    await page.getByLabel("Encryption context 1 name").fill("purpose");
    await page.getByLabel("Encryption context 1 value").fill("test");
    await page.getByRole("button", { name: "Run Encrypt" }).click();
    const sent = await page.getByTestId("sent-request").textContent();
    assert.match(sent ?? "", /x-amz-target: TrentService\.Encrypt/);
    assert.match(sent ?? "", /"purpose": "test"/);
    const result = JSON.parse((await page.getByTestId("result").textContent()) ?? "{}") as { CiphertextBlob: string; KeyId: string };
    assert.equal(result.KeyId, keyArn);
    ciphertext = result.CiphertextBlob;
    await assertAccessible(page, "try-it");
    await screenshot(page, "try-it");

    await page.getByLabel("Operation").selectOption("Decrypt");
    await page.getByLabel("Ciphertext blob (base64)").fill(ciphertext);
    await page.getByRole("button", { name: "Run Decrypt" }).click();
    await page.getByTestId("result").filter({ hasText: '"PlaintextAsText": "hello from the console"' }).waitFor();
  });

  it("creates a grant and revokes it", async () => {
    await page.goto(`${kmsd.endpoint}/console/#/keys/${keyId}/grants`);
    await page.getByText("This key has no grants.").waitFor();
    await page.getByLabel("Grantee principal (ARN)").fill(granteeArn);
    await page.getByLabel("Grant name (optional)").fill("console-grant");
    await page.getByLabel("Decrypt", { exact: true }).check();
    await page.getByRole("button", { name: "Create grant" }).click();
    await page.getByText("Grant token (shown once)").waitFor();
    await page.getByRole("button", { name: "Revoke grant console-grant" }).waitFor();
    const grants = await kms.send(new ListGrantsCommand({ KeyId: keyId }));
    assert.deepEqual(grants.Grants?.map((g) => [g.Name, g.GranteePrincipal, g.Operations]), [["console-grant", granteeArn, ["Decrypt"]]]);
    await assertAccessible(page, "grants");
    await page.getByRole("button", { name: "Revoke grant console-grant" }).click();
    await page.getByText("This key has no grants.").waitFor();
    assert.deepEqual((await kms.send(new ListGrantsCommand({ KeyId: keyId }))).Grants, []);
  });

  it("disables the key, after which Decrypt is refused", async () => {
    await page.goto(`${kmsd.endpoint}/console/#/keys/${keyId}`);
    await page.getByRole("button", { name: "Disable key" }).click();
    await page.getByRole("button", { name: "Enable key" }).waitFor();
    await page.getByText("Disabled", { exact: true }).waitFor();
    await page.goto(`${kmsd.endpoint}/console/#/try?key=${keyId}`);
    await page.getByLabel("Operation").selectOption("Decrypt");
    await page.getByLabel("Ciphertext blob (base64)").fill(ciphertext);
    await page.getByRole("button", { name: "Add pair" }).click();
    await page.getByLabel("Encryption context 1 name").fill("purpose");
    await page.getByLabel("Encryption context 1 value").fill("test");
    await page.getByRole("button", { name: "Run Decrypt" }).click();
    await page.getByRole("alert").filter({ hasText: "DisabledException" }).waitFor();
  });

  it("finds those calls in the audit trail under the signed-in identity", async () => {
    await page.goto(`${kmsd.endpoint}/console/#/keys/${keyId}`);
    await page.getByRole("link", { name: "Audit events" }).click();
    await page.getByRole("heading", { name: "Audit trail" }).waitFor();
    const events = page.getByRole("table").first();
    for (const name of ["CreateKey", "PutKeyPolicy", "Encrypt", "Decrypt", "DisableKey", "CreateGrant", "RevokeGrant"]) {
      await events.getByRole("cell", { name, exact: true }).first().waitFor();
    }
    const root = `arn:aws:iam::${kmsd.accountId}:root`;
    const who = page.getByRole("table", { name: "Calls per principal and operation" });
    await who.getByRole("row", { name: new RegExp(`^${root} CreateGrant 1 0$`) }).waitFor();
    await who.getByRole("row", { name: new RegExp(`^${root} Decrypt 2 1$`) }).waitFor();
    // An event's own JSON names the caller.
    await page.getByLabel("Lookup attribute").selectOption("EventName");
    await page.getByLabel("Attribute value").fill("RevokeGrant");
    await page.getByRole("button", { name: "Look up events" }).click();
    await page.getByText("1 events").waitFor();
    await page.getByRole("button", { name: /Show JSON/ }).click();
    const record = JSON.parse((await page.locator("pre.code").textContent()) ?? "{}") as { userIdentity: { arn: string }; eventName: string };
    assert.equal(record.eventName, "RevokeGrant");
    assert.equal(record.userIdentity.arn, root);
    await assertAccessible(page, "audit");
    await screenshot(page, "audit");
  });

  it("charts usage from the audit trail", async () => {
    await page.getByRole("link", { name: "Usage" }).click();
    await page.getByRole("img", { name: /^Requests per operation: .*Encrypt 1/ }).waitFor();
    await page.getByRole("img", { name: new RegExp(`^Requests per key: .*${keyArn}`) }).waitFor();
    await assertAccessible(page, "usage");
    await screenshot(page, "usage");
  });

  it("manages identities: a user's access key is created with its secret shown once", async () => {
    await page.getByRole("link", { name: "Identities" }).click();
    await page.getByRole("button", { name: "console-grantee" }).click();
    await page.getByRole("button", { name: "Create access key" }).click();
    const secret = await page.getByTestId("new-secret").textContent();
    assert.match(secret ?? "", /^\S{40}$/);
    await page.getByRole("button", { name: /^Deactivate AKIA/ }).waitFor();
    await assertAccessible(page, "identities");
    await page.getByRole("button", { name: "I have copied it" }).click();
    assert.equal(await page.getByTestId("new-secret").count(), 0);
    await screenshot(page, "identities");
  });

  it("a user whose policy denies kms:ListKeys sees access denied, not an empty list", async () => {
    await iam.send(new CreateUserCommand({ UserName: "no-list" }));
    await iam.send(
      new PutUserPolicyCommand({
        UserName: "no-list",
        PolicyName: "deny-list",
        PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Deny", Action: "kms:ListKeys", Resource: "*" }] }),
      }),
    );
    const key = (await iam.send(new CreateAccessKeyCommand({ UserName: "no-list" }))).AccessKey;
    await page.getByRole("button", { name: "Sign out" }).click();
    await signInWithKeyboard(page, kmsd, { accessKeyId: key?.AccessKeyId ?? "", secretAccessKey: key?.SecretAccessKey ?? "" });
    await page.getByRole("heading", { name: "Keys", exact: true }).waitFor();
    const alert = page.getByRole("alert");
    await alert.filter({ hasText: "Access denied" }).waitFor();
    assert.match((await alert.textContent()) ?? "", /AccessDeniedException.*kms:ListKeys/);
    assert.equal(await page.getByText("No keys match.").count(), 0);
    await assertAccessible(page, "keys-denied");
    assert.deepEqual(browserErrors, []);
  });

  it("\"remember in this tab\" keeps the session across a reload, in sessionStorage only; signing out forgets it", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("Access key ID").fill(kmsd.credentials.accessKeyId);
    await page.getByLabel("Secret access key").fill(kmsd.credentials.secretAccessKey);
    await page.getByLabel(/Remember in this tab/).check();
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Keys", exact: true }).waitFor();
    await page.reload();
    await page.getByRole("heading", { name: "Keys", exact: true }).waitFor();
    assert.deepEqual(await page.evaluate(() => [Object.keys(sessionStorage), localStorage.length]), [["kmsd-console-session"], 0]);
    assert.deepEqual(await page.context().cookies(), []);
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in to kmsd" }).waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  });

  it("the sign-in page is accessible", async () => {
    await page.getByRole("heading", { name: "Sign in to kmsd" }).waitFor();
    await assertAccessible(page, "sign-in");
  });
});

describe("kmsd serve --no-console", () => {
  let kmsd: Kmsd;
  before(async () => {
    kmsd = await startKmsd({ args: ["--no-console"] });
  });
  after(async () => {
    await kmsd?.dispose();
  });

  it("serves no console: /console/ is not a file", async () => {
    const response = await fetch(`${kmsd.endpoint}/console/`);
    assert.notEqual(response.status, 200);
    assert.equal(response.headers.get("content-security-policy"), null);
  });
});
