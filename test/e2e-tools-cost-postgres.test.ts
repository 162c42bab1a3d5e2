// `kmsd cost --database URL` reads a PostgreSQL deployment's keys and audit trail (no data
// directory, no root key), and takes price overrides from the deployment's config file
// (`costPrices`), which may hold `kmsd serve`'s options too. A scripted month on the dev
// clock: one key alive all month, five Encrypts in it.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { DescribeKeyCommand, EncryptCommand } from "@aws-sdk/client-kms";
import { createKey, type CreatedKey } from "./support/e2e.ts";
import { startKmsd, type Kmsd } from "./support/kmsd.ts";
import { freshDatabase } from "./support/postgres.ts";
import { monthAfterNext, runTool } from "./support/tools.ts";

const HOUR = 3600;

interface Report {
  hoursInMonth: number;
  accounts: { accountId: string; requests: Record<string, number>; total: number; keys: { keyArn: string | null; keyHours: number; requests: Record<string, number> }[] }[];
  total: number;
}

void describe("kmsd cost --database (PostgreSQL)", () => {
  let kmsd: Kmsd;
  let databaseUrl: string;
  let month: string;
  let hours: number;
  let key: CreatedKey;
  const cost = async (...args: string[]): Promise<Report> => {
    const run = await runTool(["cost", "--month", month, "--format", "json", ...args], { env: { PATH: process.env.PATH ?? "" }, cwd: mkdtempSync(join(tmpdir(), "kmsd-cost-cwd-")) });
    assert.equal(run.code, 0, run.stderr);
    return JSON.parse(run.stdout) as Report;
  };

  before(async () => {
    databaseUrl = await freshDatabase();
    kmsd = await startKmsd({ dev: true, args: ["--database", databaseUrl] });
    const kms = kmsd.kms();
    const scripted = await monthAfterNext(kmsd);
    const { now, start, end } = scripted;
    month = scripted.month;
    hours = scripted.hours;
    await kmsd.advanceClock(start - HOUR - now);
    key = await createKey(kms);
    await kmsd.advanceClock(2 * HOUR);
    for (let i = 0; i < 5; i++) await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from("x") }));
    const { epochSeconds } = await kmsd.advanceClock(0);
    await kmsd.advanceClock(end + HOUR - epochSeconds);
    await kms.send(new DescribeKeyCommand({ KeyId: key.KeyId }));
  });
  after(async () => kmsd.dispose());

  void it("reports the database's key-hours and requests at AWS's prices", async () => {
    const report = await cost("--database", databaseUrl);
    assert.equal(report.hoursInMonth, hours);
    const account = report.accounts.find((candidate) => candidate.accountId === kmsd.accountId);
    assert.ok(account);
    const row = account.keys.find((candidate) => candidate.keyArn === key.Arn);
    assert.equal(row?.keyHours, hours);
    assert.equal(row?.requests.standard, 5);
    // One key-month; the five requests are inside the free tier.
    assert.equal(report.total, 1);
  });

  void it("takes costPrices from the config file, whose serve options it leaves to kmsd serve", async () => {
    const config = join(mkdtempSync(join(tmpdir(), "kmsd-cost-config-")), "kmsd.yaml");
    writeFileSync(config, `port: 8443\nworkers: 4\ndatabaseUrl: "${databaseUrl}"\ncostPrices: "keyMonth=2,standard=100,freeRequestsPerMonth=0"\n`);
    const report = await cost("--config", config);
    assert.equal(report.total, 2 + (5 * 100) / 10_000);
    // A flag still wins over the file.
    assert.equal((await cost("--config", config, "--cost-prices", "keyMonth=3")).total, 3);
  });

  void it("refuses an unknown price, naming the known ones", async () => {
    const run = await runTool(["cost", "--database", databaseUrl, "--cost-prices", "keyYear=1"], { env: { PATH: process.env.PATH ?? "" } });
    assert.equal(run.code, 1);
    assert.equal(run.stderr, "kmsd cost: --cost-prices: no price 'keyYear' (known: keyMonth, rotationMonth, chargedRotations, freeRequestsPerMonth, standard, rsa2048, asymmetric, eccDataKeyPair, rsaDataKeyPair)\n");
  });
});
