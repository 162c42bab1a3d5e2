/**
 * The web console's audit-side pages (issues 17 and 18) in real Chromium against a real
 * kmsd on the dev clock: usage charts (uPlot) with their table alternatives, the cost page
 * giving exactly the figures of `kmsd cost --format json` for the same month and data, the
 * trail's integrity status (from GetTrailStatus) before and after a delivery and after a
 * record was altered, and IAM identities (managed policies and their versions, attachment,
 * group membership, tags). axe checks every new screen.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "@playwright/test";
import { DescribeKeyCommand, EncryptCommand, RotateKeyOnDemandCommand, ScheduleKeyDeletionCommand, SignCommand, type KMSClient } from "@aws-sdk/client-kms";
import {
  IAMClient, ListAttachedRolePoliciesCommand, ListAttachedUserPoliciesCommand, ListGroupsForUserCommand, ListPoliciesCommand, ListPolicyVersionsCommand,
  ListRoleTagsCommand, ListUserTagsCommand,
} from "@aws-sdk/client-iam";
import { createKey, type CreatedKey } from "./support/e2e.ts";
import { startKmsd, type Kmsd } from "./support/kmsd.ts";
import { monthAfterNext, runTool } from "./support/tools.ts";
import { assertAccessible, openBrowser, screenshot, signInWithKeyboard, SKIP_WITHOUT_CHROMIUM } from "./support/console.ts";

const HOUR = 3600;
const DAY = 86_400;

/** What `kmsd cost --format json` prints, as far as the page shows it. */
interface CostJson {
  accounts: {
    keyCost: number;
    rotationCost: number;
    requestCost: number;
    freeTierCredit: number;
    total: number;
    keys: { keyArn: string | null; keyHours: number; keyCost: number; rotationHours: number; rotationCost: number; requestCost: number }[];
  }[];
}

const usd = (amount: number) => `$${amount.toFixed(6)}`;

describe("web console: usage, cost, trail integrity and identities", { skip: SKIP_WITHOUT_CHROMIUM }, () => {
  let kmsd: Kmsd;
  let kms: KMSClient;
  let iam: IAMClient;
  let browser: Browser;
  let page: Page;
  let errors: string[] = [];
  let month = "";
  const keys: Record<string, CreatedKey> = {};

  before(async () => {
    kmsd = await startKmsd({ dev: true });
    kms = kmsd.kms();
    iam = new IAMClient({ endpoint: kmsd.endpoint, region: "us-east-1", credentials: kmsd.credentials, maxAttempts: 1 });
    ({ browser, page, errors } = await openBrowser());
  });
  after(async () => {
    await browser?.close();
    iam?.destroy();
    await kmsd?.dispose();
  });

  it("before any delivery, the audit page says no digest was signed yet", async () => {
    await signInWithKeyboard(page, kmsd, kmsd.credentials);
    await page.getByRole("heading", { name: "Keys", exact: true }).waitFor();
    await page.getByRole("link", { name: "Audit" }).click();
    const status = page.getByTestId("trail-status");
    await status.getByText(`arn:aws:cloudtrail:us-east-1:${kmsd.accountId}:trail/kmsd`).waitFor();
    await status.getByText("Not yet: no digest signed so far").waitFor();
    assert.match((await status.textContent()) ?? "", /Last digest signed\s*never/);
  });

  it("a scripted month: keys created, used, rotated and deleted on the dev clock", async () => {
    const scripted = await monthAfterNext(kmsd);
    const { now, start, end } = scripted;
    month = scripted.month;

    await kmsd.advanceClock(start - 30 * 60 - now);
    keys.a = await createKey(kms, { Description: "lives all month" });
    keys.b = await createKey(kms, { Description: "deleted in the month" });
    keys.rsa = await createKey(kms, { KeySpec: "RSA_2048", KeyUsage: "SIGN_VERIFY" });
    keys.ecc = await createKey(kms, { KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY" });
    await kmsd.advanceClock(2 * HOUR);
    for (let i = 0; i < 6; i++) await kms.send(new EncryptCommand({ KeyId: keys.a.KeyId, Plaintext: Buffer.from("x") }));
    for (let i = 0; i < 3; i++) await kms.send(new SignCommand({ KeyId: keys.rsa.KeyId, Message: Buffer.from("m"), SigningAlgorithm: "RSASSA_PSS_SHA_256" }));
    await kms.send(new SignCommand({ KeyId: keys.ecc.KeyId, Message: Buffer.from("m"), SigningAlgorithm: "ECDSA_SHA_256" }));
    await kmsd.advanceClock(3 * DAY + 17 * 60);
    await kms.send(new RotateKeyOnDemandCommand({ KeyId: keys.a.KeyId }));
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keys.b.KeyId, PendingWindowInDays: 7 }));
    // Past the month's end (B was deleted on the way), and a request there: the records cover the whole month.
    const { epochSeconds } = await kmsd.advanceClock(0);
    await kmsd.advanceClock(end + HOUR - epochSeconds);
    await kms.send(new DescribeKeyCommand({ KeyId: keys.a.KeyId }));
  });

  it("the cost page gives the figures of kmsd cost --format json for the same month, with a chart per key", async () => {
    const run = await runTool(["cost", "--data-dir", kmsd.dataDir, "--month", month, "--format", "json"], { env: { PATH: process.env.PATH ?? "" } });
    assert.equal(run.code, 0, run.stderr);
    const [account] = (JSON.parse(run.stdout) as CostJson).accounts;
    assert.ok(account);
    assert.ok(account.keys.some((key) => key.keyArn === keys.b?.Arn && key.keyHours > 0), "the deleted key is billed for its hours");
    assert.ok(account.rotationCost > 0 && account.requestCost > 0);

    await page.getByRole("link", { name: "Cost" }).click();
    await page.getByRole("heading", { name: "Cost", exact: true }).waitFor();
    await page.getByLabel("Month (UTC)").fill(month);
    await page.getByRole("button", { name: "Compute cost" }).click();
    await page.getByText(`Cost of ${month}`).waitFor({ timeout: 30_000 });
    const summary = {
      keys: await page.getByTestId("cost-keys").textContent(),
      rotations: await page.getByTestId("cost-rotations").textContent(),
      requests: await page.getByTestId("cost-requests").textContent(),
      freeTier: await page.getByTestId("cost-free-tier").textContent(),
      total: await page.getByTestId("cost-total").textContent(),
    };
    assert.deepEqual(summary, {
      keys: usd(account.keyCost),
      rotations: usd(account.rotationCost),
      requests: usd(account.requestCost),
      freeTier: `-${usd(account.freeTierCredit)}`,
      total: usd(account.total),
    });
    const table = page.getByRole("table", { name: "Cost per key" });
    for (const key of account.keys) {
      const row = table.getByRole("row").filter({ has: page.getByRole("rowheader", { name: new RegExp(`^${key.keyArn ?? "\\(requests naming no key\\)"}`) }) });
      const cells = await row.getByRole("cell").allTextContents();
      assert.deepEqual(
        [cells[1], cells[2], cells[3], cells[4], cells[6]],
        [String(key.keyHours), usd(key.keyCost), String(key.rotationHours), usd(key.rotationCost), usd(key.requestCost)],
        `${key.keyArn} on the page and in kmsd cost`,
      );
    }
    await page.getByRole("img", { name: new RegExp(`^Cost per key \\(USD\\): .*${keys.a?.Arn}`) }).waitFor();
    await page.getByRole("img", { name: /^Requests per pricing class: .*rsa2048 3/ }).waitFor();
    await assertAccessible(page, "cost");
    await screenshot(page, "cost");
  });

  it("usage charts requests per operation and per key over time, with the numbers as tables", async () => {
    for (let i = 0; i < 4; i++) await kms.send(new EncryptCommand({ KeyId: keys.a?.KeyId, Plaintext: Buffer.from("x") }));
    await page.getByRole("link", { name: "Usage" }).click();
    const byOperation = page.getByRole("img", { name: /^Requests per operation over time \(UTC\): .*Encrypt 4/ });
    await byOperation.waitFor();
    // Key A: the four Encrypts and the cost page's reads (DescribeKey, ListKeyRotations).
    await page.getByRole("img", { name: new RegExp(`^Requests per key over time \\(UTC\\): .*${keys.a?.Arn} ([4-9]|\\d\\d)`) }).waitFor();
    assert.equal(await byOperation.locator("canvas").count(), 1, "uPlot drew it");
    await page.getByText("Requests per operation over time (UTC) as a table").click();
    const table = page.getByRole("table", { name: "Requests per operation over time (UTC)" });
    const encryptColumn = (await table.getByRole("columnheader").allTextContents()).indexOf("Encrypt");
    assert.ok(encryptColumn > 0);
    const counts = await table.getByRole("row").evaluateAll((rows, column) => rows.slice(1).map((row) => Number(row.children[column]?.textContent ?? 0)), encryptColumn);
    assert.equal(counts.reduce((sum, count) => sum + count, 0), 4);
    await assertAccessible(page, "usage-charts");
  });

  it("after an hourly delivery the audit page shows when the digest was signed and that verification passes", async () => {
    const { epochSeconds } = await kmsd.advanceClock(HOUR);
    await page.getByRole("link", { name: "Audit" }).click();
    const status = page.getByTestId("trail-status");
    await status.getByText("Passes: every record delivered so far chains to the signed digests.").waitFor();
    const signed = /Last digest signed\s*(\S+Z)/.exec((await status.textContent()) ?? "")?.[1];
    assert.ok(signed && Math.abs(Date.parse(signed) - epochSeconds * 1000) < 5000, `signed at ${signed}`);
    await assertAccessible(page, "audit-integrity");
    await screenshot(page, "audit-integrity");
  });

  it("a record altered in audit.db makes the next delivery fail verification, and the page says so", async () => {
    await kms.send(new EncryptCommand({ KeyId: keys.a?.KeyId, Plaintext: Buffer.from("x"), EncryptionContext: { marker: "tampered-later" } }));
    const db = new DatabaseSync(join(kmsd.dataDir, "audit.db"));
    try {
      assert.equal(db.prepare("UPDATE events SET record = replace(record, 'tampered-later', 'tampered-now') WHERE record LIKE '%tampered-later%'").run().changes, 1);
    } finally {
      db.close();
    }
    await kmsd.advanceClock(HOUR);
    await page.getByRole("link", { name: "Keys" }).click();
    await page.getByRole("link", { name: "Audit" }).click();
    const status = page.getByTestId("trail-status");
    await status.getByText(/^Fails: RecordChainBroken: record \d+ of this trail does not chain/).waitFor();
    await assertAccessible(page, "audit-integrity-broken");
    assert.deepEqual(errors, []);
  });

  let policyArn = "";
  const versions = async () => ((await iam.send(new ListPolicyVersionsCommand({ PolicyArn: policyArn }))).Versions ?? []).map((v) => [v.VersionId, v.IsDefaultVersion]);

  it("identities: creates a managed policy, adds a version, makes the first the default again and deletes the second", async () => {
    await page.getByRole("link", { name: "Identities" }).click();
    await page.getByRole("tab", { name: "Managed policies" }).click();
    await page.getByLabel("New policy name").fill("console-managed");
    await page.getByRole("button", { name: "Create policy" }).click();
    await page.getByRole("heading", { name: "console-managed" }).waitFor();
    policyArn = (await iam.send(new ListPoliciesCommand({ Scope: "Local" }))).Policies?.find((p) => p.PolicyName === "console-managed")?.Arn ?? "";
    assert.equal(policyArn, `arn:aws:iam::${kmsd.accountId}:policy/console-managed`);

    const second = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "kms:ListKeys", Resource: "*" }] };
    await page.getByLabel("New version's document (JSON)").fill(JSON.stringify(second));
    await page.getByRole("button", { name: "Create version" }).click();
    await page.getByRole("button", { name: "Make v1 the default" }).waitFor();
    assert.deepEqual((await versions()).sort(), [["v1", false], ["v2", true]]);
    await page.getByRole("button", { name: "Show v1" }).click();
    assert.match((await page.getByTestId("policy-version-document").textContent()) ?? "", /"Action": "kms:DescribeKey"/);
    await assertAccessible(page, "managed-policies");
    await screenshot(page, "managed-policies");
    await page.getByRole("button", { name: "Make v1 the default" }).click();
    await page.getByRole("button", { name: "Delete v2" }).click();
    await page.getByRole("button", { name: "Show v2" }).waitFor({ state: "detached" });
    assert.deepEqual(await versions(), [["v1", true]]);
  });

  it("identities: a user gets the managed policy attached, joins a group and is tagged; the policy cannot be deleted while attached", async () => {
    await page.getByRole("tab", { name: "Groups" }).click();
    await page.getByLabel("New group name").fill("console-group");
    await page.getByRole("button", { name: "Create group" }).click();
    await page.getByRole("heading", { name: "console-group" }).waitFor();
    await page.getByRole("tab", { name: "Users" }).click();
    await page.getByLabel("New user name").fill("console-user");
    await page.getByRole("button", { name: "Create user" }).click();
    await page.getByRole("heading", { name: "console-user" }).waitFor();

    await page.getByLabel("Managed policy to attach").selectOption({ label: "console-managed" });
    await page.getByRole("button", { name: "Attach policy" }).click();
    await page.getByRole("button", { name: "Detach console-managed" }).waitFor();
    assert.deepEqual((await iam.send(new ListAttachedUserPoliciesCommand({ UserName: "console-user" }))).AttachedPolicies?.map((p) => p.PolicyArn), [policyArn]);

    await page.getByLabel("Group to add the user to").selectOption("console-group");
    await page.getByRole("button", { name: "Add to group" }).click();
    await page.getByRole("button", { name: "Remove from console-group" }).waitFor();
    assert.deepEqual((await iam.send(new ListGroupsForUserCommand({ UserName: "console-user" }))).Groups?.map((g) => g.GroupName), ["console-group"]);

    await page.getByLabel("Tag key").fill("team");
    await page.getByLabel("Tag value").fill("blue");
    await page.getByRole("button", { name: "Add or replace tag" }).click();
    await page.getByRole("button", { name: "Remove tag team" }).waitFor();
    assert.deepEqual((await iam.send(new ListUserTagsCommand({ UserName: "console-user" }))).Tags, [{ Key: "team", Value: "blue" }]);
    await assertAccessible(page, "identities-user");
    await screenshot(page, "identities-user");
    await page.getByRole("button", { name: "Remove tag team" }).click();
    await page.getByRole("button", { name: "Remove tag team" }).waitFor({ state: "detached" });
    assert.deepEqual((await iam.send(new ListUserTagsCommand({ UserName: "console-user" }))).Tags, []);

    await page.getByRole("tab", { name: "Managed policies" }).click();
    await page.getByRole("button", { name: "console-managed" }).click();
    await page.getByText("attached to 1 identity").waitFor();
    await page.getByRole("button", { name: "Delete policy console-managed" }).click();
    await page.getByRole("alert").filter({ hasText: "DeleteConflict" }).waitFor();
    assert.ok((await iam.send(new ListPoliciesCommand({ Scope: "Local" }))).Policies?.some((p) => p.Arn === policyArn), "refused: nothing deleted");
  });

  it("identities: a group's members can be removed; a role is tagged and gets the policy attached and detached", async () => {
    await page.getByRole("tab", { name: "Groups" }).click();
    await page.getByRole("button", { name: "console-group" }).click();
    await page.getByRole("button", { name: "Remove console-user" }).click();
    await page.getByText("No members.").waitFor();
    assert.deepEqual((await iam.send(new ListGroupsForUserCommand({ UserName: "console-user" }))).Groups, []);
    await assertAccessible(page, "identities-group");

    await page.getByRole("tab", { name: "Roles" }).click();
    await page.getByLabel("New role name").fill("console-role");
    await page.getByRole("button", { name: "Create role" }).click();
    await page.getByRole("heading", { name: "Trust policy" }).waitFor();
    await page.getByLabel("Tag key").fill("env");
    await page.getByLabel("Tag value").fill("test");
    await page.getByRole("button", { name: "Add or replace tag" }).click();
    await page.getByRole("button", { name: "Remove tag env" }).waitFor();
    assert.deepEqual((await iam.send(new ListRoleTagsCommand({ RoleName: "console-role" }))).Tags, [{ Key: "env", Value: "test" }]);
    await page.getByLabel("Managed policy to attach").selectOption({ label: "console-managed" });
    await page.getByRole("button", { name: "Attach policy" }).click();
    await page.getByRole("button", { name: "Detach console-managed" }).click();
    await page.getByText("None attached.").waitFor();
    assert.deepEqual((await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: "console-role" }))).AttachedPolicies, []);
    await assertAccessible(page, "identities-role");
    assert.deepEqual(errors, []);
  });
});
