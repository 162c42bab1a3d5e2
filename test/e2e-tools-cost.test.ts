// `kmsd cost` against a scripted month on a `kmsd serve --dev` whose clock the test moves:
// keys created before and during the month, one deleted through a scheduled deletion, three
// on-demand rotations (two charged), a known number of requests of every pricing class, an
// AWS managed key (free to keep, not to use). The report must give exactly the expected
// dollar figures, in json, csv and table, at the default prices and at overridden ones.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  DescribeKeyCommand,
  EncryptCommand,
  GenerateDataKeyPairCommand,
  GetPublicKeyCommand,
  RotateKeyOnDemandCommand,
  ScheduleKeyDeletionCommand,
  SignCommand,
  type KMSClient,
} from "@aws-sdk/client-kms";
import { createKey, type CreatedKey } from "./support/e2e.ts";
import { startKmsd, type Kmsd } from "./support/kmsd.ts";
import { monthAfterNext, runTool } from "./support/tools.ts";

const MINUTE = 60;
const HOUR = 3600;
const DAY = 86_400;

interface KeyRow {
  keyArn: string | null;
  customerManaged: boolean;
  keyHours: number;
  keyCost: number;
  rotationHours: number;
  rotationCost: number;
  requests: Record<string, number>;
  requestCost: number;
}
interface Report {
  month: string;
  hoursInMonth: number;
  accounts: { accountId: string; requests: Record<string, number>; freeRequests: number; freeTierCredit: number; total: number; keys: KeyRow[] }[];
  total: number;
}

/** Dollars as the report gives them in json: rounded to a millionth. */
const dollars = (amount: number) => Math.round(amount * 1e6) / 1e6;

void describe("kmsd cost over a scripted month", () => {
  let kmsd: Kmsd;
  let kms: KMSClient;
  let month: string;
  let hours: number;
  let dir: string;
  const keys: Record<"a" | "rsa" | "ecc" | "b", CreatedKey> = {} as Record<"a" | "rsa" | "ecc" | "b", CreatedKey>;
  let awsManagedArn: string;

  const cost = async (...args: string[]) => {
    const run = await runTool(["cost", "--data-dir", kmsd.dataDir, "--month", month, ...args], { env: { PATH: process.env.PATH ?? "" } });
    assert.equal(run.code, 0, run.stderr);
    return run.stdout;
  };
  const repeat = async (times: number, call: () => Promise<unknown>) => {
    for (let i = 0; i < times; i++) await call();
  };

  before(async () => {
    kmsd = await startKmsd({ dev: true });
    kms = kmsd.kms();
    dir = mkdtempSync(join(tmpdir(), "kmsd-tools-cost-"));
    const scripted = await monthAfterNext(kmsd);
    const { now, start, end } = scripted;
    month = scripted.month;
    hours = scripted.hours;

    // 55 minutes before the month: three keys that live through all of it.
    await kmsd.advanceClock(start - 55 * MINUTE - now);
    keys.a = await createKey(kms);
    keys.rsa = await createKey(kms, { KeySpec: "RSA_2048", KeyUsage: "SIGN_VERIFY" });
    keys.ecc = await createKey(kms, { KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY" });

    // 5 minutes into the month: key B, and requests of every class.
    await kmsd.advanceClock(HOUR);
    keys.b = await createKey(kms); // 1 standard
    await repeat(15, () => kms.send(new EncryptCommand({ KeyId: keys.a.KeyId, Plaintext: Buffer.from("x") }))); // 15 standard
    await repeat(3, () => kms.send(new SignCommand({ KeyId: keys.rsa.KeyId, Message: Buffer.from("m"), SigningAlgorithm: "RSASSA_PSS_SHA_256" }))); // 3 rsa2048
    await kms.send(new GetPublicKeyCommand({ KeyId: keys.rsa.KeyId })); // 1 rsa2048
    await repeat(2, () => kms.send(new SignCommand({ KeyId: keys.ecc.KeyId, Message: Buffer.from("m"), SigningAlgorithm: "ECDSA_SHA_256" }))); // 2 asymmetric
    await repeat(2, () => kms.send(new GenerateDataKeyPairCommand({ KeyId: keys.a.KeyId, KeyPairSpec: "RSA_2048" }))); // 2 rsaDataKeyPair
    await kms.send(new GenerateDataKeyPairCommand({ KeyId: keys.a.KeyId, KeyPairSpec: "ECC_NIST_P256" })); // 1 eccDataKeyPair
    const s3 = kmsd.kms({ viaService: "s3.us-east-1.amazonaws.com" });
    await repeat(2, async () => {
      awsManagedArn = (await s3.send(new EncryptCommand({ KeyId: "alias/aws/s3", Plaintext: Buffer.from("x") }))).KeyId ?? ""; // 2 standard
    });

    // 15 days later (a minute short, so the seconds the test takes stay inside the 360th hour):
    // B is scheduled for deletion (billing stops), A is rotated three times (two charged).
    await kmsd.advanceClock(15 * DAY - MINUTE);
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: keys.b.KeyId, PendingWindowInDays: 7 })); // 1 standard
    await repeat(3, () => kms.send(new RotateKeyOnDemandCommand({ KeyId: keys.a.KeyId }))); // 3 standard

    // An hour past the month's end (B was deleted on the way), and a request there: the records cover the whole month.
    const { epochSeconds } = await kmsd.advanceClock(0);
    await kmsd.advanceClock(end + HOUR - epochSeconds);
    await kms.send(new DescribeKeyCommand({ KeyId: keys.a.KeyId }));
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await kmsd.dispose();
  });

  const STANDARD = 1 + 15 + 2 + 1 + 3;

  void it("gives the expected key-hours, rotation hours, request counts and dollars at AWS's prices", async () => {
    const report = JSON.parse(await cost("--format", "json")) as Report;
    assert.equal(report.month, month);
    assert.equal(report.hoursInMonth, hours);
    assert.equal(report.accounts.length, 1);
    const account = report.accounts[0];
    assert.ok(account);
    assert.equal(account.accountId, kmsd.accountId);
    assert.deepEqual(account.requests, { standard: STANDARD, rsa2048: 4, asymmetric: 2, eccDataKeyPair: 1, rsaDataKeyPair: 2 });
    assert.equal(account.freeRequests, STANDARD, "all within the free tier");

    const row = (arn: string) => account.keys.find((key) => key.keyArn === arn);
    const expectKey = (arn: string, keyHours: number, rotationHours: number, requests: Record<string, number>) => {
      const key = row(arn);
      assert.ok(key, arn);
      assert.equal(key.keyHours, keyHours, `${arn} key hours`);
      assert.equal(key.keyCost, dollars(keyHours / hours), `${arn} key cost`);
      assert.equal(key.rotationHours, rotationHours, `${arn} rotation hours`);
      assert.equal(key.rotationCost, dollars(rotationHours / hours), `${arn} rotation cost`);
      for (const [requestClass, count] of Object.entries(requests)) assert.equal(key.requests[requestClass], count, `${arn} ${requestClass}`);
    };
    // A lives all month; its first two rotations add their material from day 15 on (the third is free).
    expectKey(keys.a.Arn, hours, 2 * (hours - 360), { standard: 15 + 3, rsaDataKeyPair: 2, eccDataKeyPair: 1 });
    expectKey(keys.rsa.Arn, hours, 0, { rsa2048: 4 });
    expectKey(keys.ecc.Arn, hours, 0, { asymmetric: 2 });
    // B: from its creation to its deletion being scheduled, 360 hours; nothing while pending, nor once deleted.
    expectKey(keys.b.Arn, 360, 0, { standard: 1 + 1 });
    // The AWS managed key costs nothing to keep; its requests are charged like any.
    expectKey(awsManagedArn, 0, 0, { standard: 2 });
    assert.equal(row(awsManagedArn)?.customerManaged, false);

    const requests = (STANDARD * 0.03 + 4 * 0.03 + 2 * 0.15 + 1 * 0.1 + 2 * 12) / 10_000;
    const freeTier = (STANDARD * 0.03) / 10_000;
    const expected = 3 + 360 / hours + (2 * (hours - 360)) / hours + requests - freeTier;
    assert.equal(account.freeTierCredit, dollars(freeTier));
    assert.equal(account.total, dollars(expected));
    assert.equal(report.total, dollars(expected));
  });

  void it("takes prices from --prices, the free tier included", async () => {
    const prices = join(dir, "prices.json");
    writeFileSync(prices, JSON.stringify({ asOf: "test", keyMonth: 2, freeRequestsPerMonth: 10, per10kRequests: { standard: 100 } }));
    const report = JSON.parse(await cost("--format", "json", "--prices", prices)) as Report;
    const account = report.accounts[0];
    assert.ok(account);
    assert.equal(account.freeRequests, 10);
    const requests = (STANDARD * 100 + 4 * 0.03 + 2 * 0.15 + 1 * 0.1 + 2 * 12) / 10_000;
    const expected = 2 * (3 + 360 / hours) + (2 * (hours - 360)) / hours + requests - (10 * 100) / 10_000;
    assert.equal(account.total, dollars(expected));
  });

  void it("prints the same figures as csv lines and as a table", async () => {
    const csv = (await cost("--format", "csv")).trim().split("\n");
    assert.equal(csv[0], "month,account,key,item,quantity,unit,amount_usd");
    assert.ok(csv.includes(`${month},${kmsd.accountId},${keys.b.Arn},key,360,key-hours,${dollars(360 / hours)}`));
    assert.ok(csv.includes(`${month},${kmsd.accountId},${keys.a.Arn},rotated material,${2 * (hours - 360)},material-hours,${dollars((2 * (hours - 360)) / hours)}`));
    assert.ok(csv.includes(`${month},${kmsd.accountId},${keys.a.Arn},requests rsaDataKeyPair,2,requests,0.0024`));
    const json = JSON.parse(await cost("--format", "json")) as Report;
    assert.equal(csv.at(-1), `${month},,,total,,,${json.total}`);
    const table = await cost();
    assert.match(table, new RegExp(`^AWS KMS cost of ${month} `));
    assert.match(table, new RegExp(`\\n {4}key: 360 h of ${hours} +\\$${(360 / hours).toFixed(2)}\\n`));
    assert.match(table, new RegExp(`\\ntotal +\\$${json.total.toFixed(2)}\\n$`));
  });

  void it("reports nothing for another account, and refuses a malformed month, format or account as bad usage", async () => {
    const other = JSON.parse(await cost("--format", "json", "--account", "999999999999")) as Report;
    assert.deepEqual(other.accounts, []);
    for (const args of [["--month", "2026-13"], ["--format", "xml"], ["--account", "12"]]) {
      const run = await runTool(["cost", "--data-dir", kmsd.dataDir, ...args], { env: { PATH: process.env.PATH ?? "" } });
      assert.equal(run.code, 2, args.join(" "));
      assert.match(run.stderr, /^kmsd cost: --(month|format|account) must be .+\nRun 'kmsd cost --help' for usage\.\n$/);
    }
  });
});
